// The three UPDATE AdmissionReviews the load and decision parts send, and the Git manifests they are
// judged against. Each review carries object and oldObject with managedFields, as the API server sends
// them (10–30 KB of JSON). Kinds cover the three answers: quiet allow, allow with audit warnings, deny.
import { stringify } from "yaml";
import type { AdmissionResponse } from "../../src/core/admission.js";
import type { JsonObject } from "../../src/core/types.js";
import { deployment } from "./deployment.js";
import { editEntry, fieldsOf, liveObject } from "./live.js";
import { seeded } from "./random.js";

export type ReviewKind = "no-op" | "audit-drift" | "denied";
export const REVIEW_KINDS: readonly ReviewKind[] = ["no-op", "audit-drift", "denied"];

export interface BenchReview {
  kind: ReviewKind;
  body: JsonObject;
  /** Compact JSON, as the API server sends it. */
  text: string;
}

/** Kinds the soak adds to the bench's three: a DELETE and a `deployments/scale` UPDATE. */
export type MoreKind = "delete" | "scale";
export const MORE_KINDS: readonly MoreKind[] = ["delete", "scale"];

export interface MoreReview {
  kind: MoreKind;
  body: JsonObject;
  text: string;
}

export interface ReviewSet {
  /** Repository-relative path → YAML text. */
  manifests: Record<string, string>;
  reviews: BenchReview[];
  /** DELETE of the enforced Deployment (denied) and a scale of the audited one (allowed, warned). */
  more: MoreReview[];
}

export const NAMESPACE = "shop";
/** Protected by its manifest's annotation: a drifting update is denied. */
const ENFORCED = "checkout";
/** Left to the config's default mode (audit): a drifting update is allowed with warnings. */
const AUDITED = "catalog";

const CREATED = "2026-03-02T09:14:07Z";
const UPDATED = "2026-03-09T16:40:51Z";

export function buildReviews(): ReviewSet {
  const random = seeded(20_260_302);
  const shape = { namespace: NAMESPACE, containers: 2, initContainers: 1, envPerContainer: 4, replicas: 4 };
  const enforced = deployment(
    { ...shape, name: ENFORCED, annotations: { "driftguard.io/mode": "enforce" } },
    random,
  );
  const audited = deployment({ ...shape, name: AUDITED }, random);
  const liveEnforced = liveObject(enforced, meta(1));
  const liveAudited = liveObject(audited, meta(2));
  const reviews: BenchReview[] = [
    review("no-op", liveEnforced, structuredClone(liveEnforced)),
    review("audit-drift", setImage(liveAudited), liveAudited),
    review("denied", setImage(liveEnforced), liveEnforced),
  ];
  return {
    manifests: {
      [`apps/${NAMESPACE}/${ENFORCED}.yaml`]: stringify(enforced),
      [`apps/${NAMESPACE}/${AUDITED}.yaml`]: stringify(audited),
    },
    reviews,
    more: [
      { kind: "delete", ...wire(deleteRequest(liveEnforced), 3) },
      { kind: "scale", ...wire(scaleRequest(liveAudited, 6), 4) },
    ],
  };
}

/** What the soak's two extra kinds must answer. */
export function checkMoreAnswer(kind: MoreKind, response: AdmissionResponse): string | undefined {
  switch (kind) {
    case "delete":
      return !response.allowed && response.status?.code === 403 ? undefined : "expected a 403 denial";
    case "scale":
      return response.allowed && (response.warnings?.length ?? 0) > 0
        ? undefined
        : "expected allowed with audit warnings";
  }
}

/** What each kind must answer; a mismatch means the bench would measure the wrong path. */
export function checkAnswer(kind: ReviewKind, response: AdmissionResponse): string | undefined {
  const warnings = response.warnings?.length ?? 0;
  switch (kind) {
    case "no-op":
      return response.allowed && warnings === 0 ? undefined : "expected allowed without warnings";
    case "audit-drift":
      return response.allowed && warnings > 0 ? undefined : "expected allowed with audit warnings";
    case "denied":
      return !response.allowed && response.status?.code === 403 ? undefined : "expected a 403 denial";
  }
}

function meta(n: number) {
  return {
    uid: `6f1c2d3e-4b5a-4c6d-8e7f-00000000000${n}`,
    generation: 7,
    resourceVersion: String(48_213_000 + n),
    createdAt: CREATED,
    updatedAt: UPDATED,
  };
}

/** `kubectl set image` on the app container: a new tag, generation bumped, a manager entry added. */
function setImage(live: JsonObject): JsonObject {
  const edited = structuredClone(live);
  const metadata = edited.metadata as JsonObject;
  metadata.generation = (metadata.generation as number) + 1;
  const pod = ((edited.spec as JsonObject).template as JsonObject).spec as JsonObject;
  const app = (pod.containers as JsonObject[])[0] as JsonObject;
  app.image = `${String(app.image).split(":")[0]}:9.9.9-hotfix`;
  const fields = fieldsOf({
    spec: { template: { spec: { containers: [{ name: String(app.name), image: "" }] } } },
  });
  (metadata.managedFields as JsonObject[]).push(editEntry("kubectl-set", UPDATED, fields));
  return edited;
}

function review(kind: ReviewKind, object: JsonObject, oldObject: JsonObject): BenchReview {
  const request = deploymentRequest(object, "UPDATE", object, oldObject, {
    kind: "UpdateOptions",
    apiVersion: "meta.k8s.io/v1",
    fieldManager: "kubectl-set",
  });
  return { kind, ...wire(request, REVIEW_KINDS.indexOf(kind)) };
}

/** An AdmissionRequest on `deployments` for `named` (its name and namespace), members in the API server's order. */
function deploymentRequest(
  named: JsonObject,
  operation: "UPDATE" | "DELETE",
  object: JsonObject | null,
  oldObject: JsonObject,
  options: JsonObject,
): JsonObject {
  const metadata = named.metadata as JsonObject;
  return {
    kind: { group: "apps", version: "v1", kind: "Deployment" },
    resource: { group: "apps", version: "v1", resource: "deployments" },
    requestKind: { group: "apps", version: "v1", kind: "Deployment" },
    requestResource: { group: "apps", version: "v1", resource: "deployments" },
    name: metadata.name as string,
    namespace: metadata.namespace as string,
    operation,
    userInfo: USER,
    object,
    oldObject,
    dryRun: false,
    options,
  };
}

const USER: JsonObject = {
  username: "alice@example.com",
  uid: "a11ce000-0000-4000-8000-000000000001",
  groups: ["team-shop", "system:authenticated"],
  extra: { "authentication.kubernetes.io/credential-id": ["X509SHA256=5f0c"] },
};

/** The review envelope around `request`, with a uid numbered by kind (its members first, as before). */
function wire(request: JsonObject, n: number): { body: JsonObject; text: string } {
  const body: JsonObject = {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: { uid: `0b7e2c55-9a41-4f0e-b1d3-7c5e0f6a${String(n).padStart(4, "0")}`, ...request },
  };
  return { body, text: JSON.stringify(body) };
}

/** `kubectl delete deployment`: no object, the stored one as oldObject, DeleteOptions. */
function deleteRequest(live: JsonObject): JsonObject {
  return deploymentRequest(live, "DELETE", null, live, {
    kind: "DeleteOptions",
    apiVersion: "meta.k8s.io/v1",
    propagationPolicy: "Background",
  });
}

/** `kubectl scale --replicas=N`: an autoscaling/v1 Scale on the `scale` subresource. */
function scaleRequest(live: JsonObject, replicas: number): JsonObject {
  const metadata = live.metadata as JsonObject;
  const spec = live.spec as JsonObject;
  const scale = (wanted: number): JsonObject => ({
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: {
      name: metadata.name as string,
      namespace: metadata.namespace as string,
      uid: metadata.uid as string,
      resourceVersion: metadata.resourceVersion as string,
      creationTimestamp: metadata.creationTimestamp as string,
    },
    spec: { replicas: wanted },
    status: {
      replicas: spec.replicas as number,
      selector: `app.kubernetes.io/name=${String(metadata.name)}`,
    },
  });
  return {
    kind: { group: "autoscaling", version: "v1", kind: "Scale" },
    resource: { group: "apps", version: "v1", resource: "deployments" },
    subResource: "scale",
    requestKind: { group: "autoscaling", version: "v1", kind: "Scale" },
    requestResource: { group: "apps", version: "v1", resource: "deployments" },
    requestSubResource: "scale",
    name: metadata.name as string,
    namespace: metadata.namespace as string,
    operation: "UPDATE",
    userInfo: USER,
    object: scale(replicas),
    oldObject: scale(spec.replicas as number),
    dryRun: false,
    options: { kind: "UpdateOptions", apiVersion: "meta.k8s.io/v1", fieldManager: "kubectl-scale" },
  };
}
