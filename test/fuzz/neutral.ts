// Verdict-neutral mutations, as fast-check arbitraries: what the API server owns or writes for itself
// (uid, resourceVersion, generation, creationTimestamp, managedFields, status), the last-applied
// annotation kubectl keeps, and the order of keys. None of them is in a Git manifest, so none may turn a
// denial into an allowance, or change what the denial names.
import fc from "fast-check";
import type { JsonObject } from "../../src/core/types.js";
import { shuffleKeys } from "./operators-structure.js";
import { rng } from "./prng.js";

export type NeutralMutation = (target: JsonObject) => void;

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

const metadataOf = (target: JsonObject): JsonObject => {
  if (typeof target.metadata !== "object" || target.metadata === null) target.metadata = {};
  return target.metadata as JsonObject;
};

const json = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonObject[string]>;
const jsonObject = fc.dictionary(fc.string({ maxLength: 12 }), json, { maxKeys: 5 });
const rfc3339 = fc
  .date({ min: new Date("2015-01-01T00:00:00Z"), max: new Date("2035-01-01T00:00:00Z"), noInvalidDate: true })
  .map((d) => d.toISOString().replace(/\.\d{3}Z$/, "Z"));

const managedField = fc.record({
  manager: fc.constantFrom("kubectl-client-side-apply", "kube-controller-manager", "argocd-controller", "x"),
  operation: fc.constantFrom("Update", "Apply"),
  apiVersion: fc.constant("apps/v1"),
  time: rfc3339,
  fieldsType: fc.constant("FieldsV1"),
  fieldsV1: jsonObject,
  subresource: fc.constantFrom("status", "scale", ""),
});

const status = fc.oneof(
  jsonObject,
  fc.record({
    observedGeneration: fc.nat(),
    replicas: fc.nat(50),
    readyReplicas: fc.nat(50),
    conditions: fc.array(
      fc.record({
        type: fc.constantFrom("Available", "Progressing"),
        status: fc.constantFrom("True", "False"),
      }),
      { maxLength: 3 },
    ),
  }),
);

/** Each named mutation with what it sets; `key-order` carries a seed for the shuffle. */
export const neutralMutation: fc.Arbitrary<{ name: string; apply: NeutralMutation }> = fc.oneof(
  fc.uuid().map((v) => ({ name: `uid=${v}`, apply: (t: JsonObject) => void (metadataOf(t).uid = v) })),
  fc.nat().map((v) => ({
    name: `resourceVersion=${v}`,
    apply: (t: JsonObject) => void (metadataOf(t).resourceVersion = String(v)),
  })),
  fc
    .nat()
    .map((v) => ({ name: `generation=${v}`, apply: (t: JsonObject) => void (metadataOf(t).generation = v) })),
  rfc3339.map((v) => ({
    name: `creationTimestamp=${v}`,
    apply: (t: JsonObject) => void (metadataOf(t).creationTimestamp = v),
  })),
  fc.array(managedField, { maxLength: 4 }).map((v) => ({
    name: `managedFields(${v.length})`,
    apply: (t: JsonObject) => void (metadataOf(t).managedFields = structuredClone(v)),
  })),
  status.map((v) => ({ name: "status", apply: (t: JsonObject) => void (t.status = structuredClone(v)) })),
  fc
    .oneof(
      fc.string(),
      jsonObject.map((v) => JSON.stringify(v)),
    )
    .map((v) => ({
      name: "last-applied",
      apply: (t: JsonObject) => {
        const metadata = metadataOf(t);
        metadata.annotations = { ...((metadata.annotations ?? {}) as JsonObject), [LAST_APPLIED]: v };
      },
    })),
  fc.integer().map((seed) => ({
    name: `key-order(${seed})`,
    apply: (t: JsonObject) => void shuffleKeys(t as never, rng(seed)),
  })),
);

/** Which of the request's objects a mutation lands on. */
export const neutralTarget = fc.constantFrom("object", "oldObject", "both");
