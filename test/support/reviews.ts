// Builders for admission requests and lookups in core tests.
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
    uid: "705ab4f5-6393-11e8-b7cc-42010a800002",
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
