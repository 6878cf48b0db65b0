// No misses on real manifests: each manual edit of docs/contract.md §4 / issue #2, made on every corpus Deployment as
// the API server would store it, is caught with the right path; edits that Git allows are not.
import { describe, expect, it } from "vitest";
import { decide } from "../../src/core/decide.js";
import type { Decision } from "../../src/core/decision.js";
import type { JsonObject } from "../../src/core/types.js";
import { storedByApiServer } from "../support/apiserver-standin.js";
import { CORPUS_SKIP_REASON, corpusDeployments, corpusPresent } from "../support/corpus.js";
import { testPolicy } from "../support/policy.js";
import { clone, desiredFor, managed, request, scaleObject } from "../support/reviews.js";

type O = JsonObject;
const policy = testPolicy();
const deployments = corpusDeployments();

const pod = (d: O) => ((d.spec as O).template as O).spec as O;
const first = (d: O) => (pod(d).containers as O[])[0] as O;
const C = (d: O) => `spec.template.spec.containers[name=${first(d).name}]`;

interface Edit {
  name: string;
  apply: (live: O) => void;
  /** The path every violation must lie at or under (a whole new map or list is one path), or undefined when the edit must pass. */
  path: (live: O) => string | undefined;
}

const EDITS: Edit[] = [
  {
    name: "image",
    apply: (d) => void (first(d).image = "registry.example/evil:6.6.6"),
    path: (d) => `${C(d)}.image`,
  },
  {
    name: "env added",
    apply: (d) =>
      void (first(d).env = [...((first(d).env as O[]) ?? []), { name: "DEBUG_MODE", value: "1" }]),
    path: (d) => `${C(d)}.env`,
  },
  {
    name: "nodeSelector added",
    apply: (d) =>
      void (pod(d).nodeSelector = { ...((pod(d).nodeSelector as O) ?? {}), "example.com/pool": "cheap" }),
    path: () => "spec.template.spec.nodeSelector",
  },
  {
    name: "sidecar added",
    apply: (d) =>
      void (pod(d).containers as O[]).push({
        name: "dg-sidecar",
        image: "busybox:1.36",
        imagePullPolicy: "IfNotPresent",
        terminationMessagePath: "/dev/termination-log",
        terminationMessagePolicy: "File",
        resources: {},
      }),
    path: () => "spec.template.spec.containers[name=dg-sidecar]",
  },
  {
    name: "resources",
    apply: (d) => void (first(d).resources = { limits: { cpu: "7" } }),
    path: (d) => `${C(d)}.resources`,
  },
  { name: "paused", apply: (d) => void ((d.spec as O).paused = true), path: () => "spec.paused" },
  {
    name: "label added",
    apply: (d) =>
      void ((d.metadata as O).labels = { ...(((d.metadata as O).labels as O) ?? {}), hacked: "yes" }),
    path: () => "metadata.labels",
  },
  {
    name: "owner reference added",
    apply: (d) =>
      void ((d.metadata as O).ownerReferences = [
        { apiVersion: "v1", kind: "ConfigMap", name: "x", uid: "6f1c3a52-0000-4000-8000-000000000001" },
      ]),
    path: () => "metadata.ownerReferences",
  },
  {
    name: "rollout restart",
    apply: (d) => {
      const metadata = ((d.spec as O).template as O).metadata as O;
      metadata.annotations = {
        ...((metadata.annotations as O) ?? {}),
        "kubectl.kubernetes.io/restartedAt": "2026-11-24T07:00:00+02:00",
      };
    },
    path: () => undefined,
  },
];

function judged(decision: Decision) {
  if (decision.kind !== "judged") throw new Error(`expected a judged decision, got ${decision.kind}`);
  return decision;
}

describe.skipIf(!corpusPresent)("corpus: every manual edit is caught", () => {
  if (!corpusPresent) console.warn(CORPUS_SKIP_REASON);
  const cases = deployments.flatMap((d) =>
    EDITS.map((edit) => [`${d.file}#${d.index} ${edit.name}`, d, edit] as const),
  );

  it.each(cases)("%s", (_label, d, edit) => {
    const desired = desiredFor(d.manifest as O, policy, d.namespace);
    const live = storedByApiServer(clone(d.manifest) as never, d.namespace) as O;
    const next = clone(live);
    edit.apply(next);
    const decision = judged(
      decide({
        request: request({ operation: "UPDATE", object: next, oldObject: live }),
        lookup: managed(desired),
        policy,
        namespaceTerminating: false,
      }),
    );
    const expected = edit.path(live);
    const paths = decision.violations.map((v) => v.path);
    if (expected === undefined) expect(paths).toEqual([]);
    else {
      expect(paths.length).toBeGreaterThan(0);
      for (const path of paths)
        expect(
          path === expected || path.startsWith(`${expected}.`) || path.startsWith(`${expected}[`),
          `${path} under ${expected}`,
        ).toBe(true);
    }
    expect(decision.verdict.outcome === "deny").toBe(expected !== undefined);
  });

  it.each(deployments.map((d) => [`${d.file}#${d.index}`, d] as const))(
    "%s: env value, env reorder, scale, delete, back to Git",
    (_l, d) => {
      const manifest = d.manifest as O;
      const desired = desiredFor(manifest, policy, d.namespace);
      const live = storedByApiServer(clone(manifest) as never, d.namespace) as O;
      const run = (
        object: O | null,
        oldObject: O | null,
        op: "UPDATE" | "DELETE" = "UPDATE",
        subResource?: string,
      ) =>
        judged(
          decide({
            request: request({ operation: op, object, oldObject, ...(subResource ? { subResource } : {}) }),
            lookup: managed(desired),
            policy,
            namespaceTerminating: false,
          }),
        );

      const env = (first(live).env as O[] | undefined) ?? [];
      if (env.length >= 2) {
        const reordered = clone(live);
        first(reordered).env = [...env].reverse();
        expect(run(reordered, live).violations.map((v) => v.path)).toEqual([`${C(live)}.env[order]`]);
      }
      const valueEnv = env.find((e) => typeof e.value === "string");
      if (valueEnv) {
        const changed = clone(live);
        ((first(changed).env as O[]).find((e) => e.name === valueEnv.name) as O).value = "s3cr3t-value";
        const found = run(changed, live).violations;
        expect(found.map((v) => v.path)).toEqual([`${C(live)}.env[name=${valueEnv.name}].value`]);
        expect(found[0]?.sensitive).toBe(true);
        // Back to Git's value: never a violation, even though the live object had drifted.
        expect(run(live, changed).violations).toEqual([]);
      }
      const name = String((live.metadata as O).name);
      const managesReplicas = (manifest.spec as O).replicas !== undefined;
      const gitReplicas = managesReplicas ? Number((manifest.spec as O).replicas) : 1;
      for (const replicas of [gitReplicas + 3, 0]) {
        if (replicas === gitReplicas) continue;
        const scaled = run(
          scaleObject(name, d.namespace, replicas),
          scaleObject(name, d.namespace, gitReplicas),
          "UPDATE",
          "scale",
        );
        expect(scaled.violations.map((v) => v.path)).toEqual(managesReplicas ? ["spec.replicas"] : []);
      }
      expect(run(null, live, "DELETE").violations.map((v) => v.path)).toEqual(["deleted"]);
    },
  );
});
