// Builders for admission requests and lookups: request() is the one place that knows an AdmissionRequest's
// shape; the wire review the API server posts is that request in an envelope (wireReview).
import type { AdmissionRequest, Operation } from "../../src/core/admission.js";
import { type Desired, prepareDesired } from "../../src/core/desired.js";
import type { Lookup, RecentRevision } from "../../src/core/lookup.js";
import type { Policy } from "../../src/core/policy.js";
import type { JsonObject } from "../../src/core/types.js";

export const ALICE = { username: "alice", groups: ["team-a", "system:authenticated"] };

export function desiredFor(
  manifest: JsonObject,
  policy: Policy,
  namespace = "default",
  commit = "0123456789abcdef",
): Desired {
  const metadata = manifest.metadata as JsonObject;
  const key = {
    namespace: (metadata.namespace as string | undefined) ?? namespace,
    name: String(metadata.name),
  };
  return prepareDesired(manifest, key, { source: "apps", commit, file: "apps/web.yaml" }, policy);
}

export function managed(
  desired: Desired,
  recent: readonly RecentRevision[] = [{ commit: desired.origin.commit, desired }],
): Lookup {
  return { kind: "managed", desired, recent: () => recent };
}

interface RequestParts {
  operation: Operation;
  uid?: string;
  object?: JsonObject | null;
  oldObject?: JsonObject | null;
  subResource?: string;
  user?: { username: string; groups: string[] };
  namespace?: string;
  name?: string;
  dryRun?: boolean;
}

export function request(parts: RequestParts): AdmissionRequest {
  const source = parts.object ?? parts.oldObject ?? {};
  const metadata = (source.metadata ?? {}) as JsonObject;
  const scale = parts.subResource === "scale";
  return {
    uid: parts.uid ?? "705ab4f5-6393-11e8-b7cc-42010a800002",
    kind: scale
      ? { group: "autoscaling", version: "v1", kind: "Scale" }
      : { group: "apps", version: "v1", kind: "Deployment" },
    resource: { group: "apps", version: "v1", resource: "deployments" },
    ...(parts.subResource ? { subResource: parts.subResource } : {}),
    name: parts.name ?? String(metadata.name ?? ""),
    namespace: parts.namespace ?? String(metadata.namespace ?? "default"),
    operation: parts.operation,
    userInfo: parts.user ?? ALICE,
    object: parts.object ?? null,
    oldObject: parts.oldObject ?? null,
    dryRun: parts.dryRun ?? false,
  };
}

/** The AdmissionReview v1 body the API server posts to the webhook, around `request`. */
export function wireReview(request: AdmissionRequest) {
  return { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request };
}

/** A wire review of the Deployment shop/web by `username`, an authenticated user in no other group. */
export function deploymentReview(parts: {
  operation?: "CREATE" | "UPDATE" | "DELETE";
  username: string;
  object: JsonObject | null;
  oldObject: JsonObject | null;
}) {
  return wireReview(
    request({
      operation: parts.operation ?? "UPDATE",
      // The uid this review has always carried, so that the tests using it send what they always sent.
      uid: "9a3f6f0e-1111-4222-8333-444455556666",
      name: "web",
      namespace: "shop",
      user: { username: parts.username, groups: ["system:authenticated"] },
      object: parts.object,
      oldObject: parts.oldObject,
    }),
  );
}

export function scaleObject(name: string, namespace: string, replicas: number | undefined): JsonObject {
  return {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: { name, namespace, uid: "u", resourceVersion: "1", creationTimestamp: "2026-11-24T06:00:00Z" },
    spec: replicas === undefined || replicas === 0 ? {} : { replicas },
    status: { replicas: 1, selector: "app=web" },
  };
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}
