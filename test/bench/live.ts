// The object the API server holds for a manifest applied with `kubectl apply`: its defaults filled in,
// quantities in canonical form, server metadata, the last-applied annotation, managedFields and status.
// Written independently of src/core/defaults.ts on purpose: if the two disagreed, the no-op review
// would stop being quiet and the bench's sanity check would say so.
import type { Json, JsonObject } from "../../src/core/types.js";

export interface LiveMeta {
  uid: string;
  generation: number;
  resourceVersion: string;
  /** Fixed instants keep the bodies identical between runs. */
  createdAt: string;
  updatedAt: string;
}

export function liveObject(manifest: JsonObject, meta: LiveMeta): JsonObject {
  const live = structuredClone(manifest);
  const metadata = live.metadata as JsonObject;
  const lastApplied = `${JSON.stringify(manifest)}\n`;
  metadata.annotations = {
    ...((metadata.annotations as JsonObject | undefined) ?? {}),
    "deployment.kubernetes.io/revision": String(meta.generation),
    "kubectl.kubernetes.io/last-applied-configuration": lastApplied,
  };
  metadata.uid = meta.uid;
  metadata.resourceVersion = meta.resourceVersion;
  metadata.generation = meta.generation;
  metadata.creationTimestamp = meta.createdAt;
  applyServerDefaults(live.spec as JsonObject);
  live.status = status(live.spec as JsonObject, meta);
  metadata.managedFields = [
    {
      manager: "kubectl-client-side-apply",
      operation: "Update",
      apiVersion: "apps/v1",
      time: meta.createdAt,
      fieldsType: "FieldsV1",
      fieldsV1: fieldsOf({
        metadata: {
          annotations: { "kubectl.kubernetes.io/last-applied-configuration": lastApplied },
          labels: (manifest.metadata as JsonObject).labels ?? {},
        },
        spec: live.spec as JsonObject,
      }),
    },
    {
      manager: "kube-controller-manager",
      operation: "Update",
      apiVersion: "apps/v1",
      time: meta.updatedAt,
      fieldsType: "FieldsV1",
      fieldsV1: fieldsOf({
        metadata: { annotations: { "deployment.kubernetes.io/revision": String(meta.generation) } },
      }),
    },
    {
      manager: "kube-controller-manager",
      operation: "Update",
      apiVersion: "apps/v1",
      time: meta.updatedAt,
      fieldsType: "FieldsV1",
      fieldsV1: fieldsOf({ status: live.status }),
      subresource: "status",
    },
  ];
  return live;
}

/** A managedFields entry for a later imperative edit (`kubectl set image`), as the server records it. */
export function editEntry(manager: string, time: string, fields: JsonObject): JsonObject {
  return {
    manager,
    operation: "Update",
    apiVersion: "apps/v1",
    time,
    fieldsType: "FieldsV1",
    fieldsV1: fields,
  };
}

/**
 * FieldsV1 as the API server writes it: `f:` for map keys, `k:{…}` for list items with a merge key,
 * `{}` for leaves and atomic lists. Sizes and nesting come out like the real thing.
 */
export function fieldsOf(value: Json): JsonObject {
  if (Array.isArray(value) || value === null || typeof value !== "object") return {};
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    out[`f:${key}`] = Array.isArray(item) ? listFields(item) : fieldsOf(item);
  }
  return out;
}

const MERGE_KEYS = ["name", "containerPort", "mountPath", "key"];

function listFields(items: Json[]): JsonObject {
  const out: JsonObject = {};
  for (const item of items) {
    if (item === null || typeof item !== "object" || Array.isArray(item)) return {};
    const mergeKey = MERGE_KEYS.find((key) => key in item);
    if (mergeKey === undefined) return {};
    const keyValue = item[mergeKey] ?? null;
    out[`k:${JSON.stringify({ [mergeKey]: keyValue })}`] = { ".": {}, ...fieldsOf(item) };
  }
  return out;
}

function applyServerDefaults(spec: JsonObject): void {
  spec.replicas ??= 1;
  spec.strategy ??= { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } };
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  const template = spec.template as JsonObject;
  // The API server serializes the template's zero creationTimestamp as an explicit null.
  (template.metadata as JsonObject).creationTimestamp = null;
  const pod = template.spec as JsonObject;
  pod.restartPolicy ??= "Always";
  pod.terminationGracePeriodSeconds ??= 30;
  pod.dnsPolicy ??= "ClusterFirst";
  pod.securityContext ??= {};
  pod.schedulerName ??= "default-scheduler";
  for (const list of ["initContainers", "containers"]) {
    for (const container of (pod[list] as JsonObject[] | undefined) ?? []) defaultContainer(container);
  }
  for (const volume of (pod.volumes as JsonObject[] | undefined) ?? []) {
    for (const kind of ["configMap", "secret", "projected"]) {
      const source = volume[kind] as JsonObject | undefined;
      if (source) source.defaultMode ??= 420;
    }
  }
}

function defaultContainer(container: JsonObject): void {
  container.imagePullPolicy ??= String(container.image).endsWith(":latest") ? "Always" : "IfNotPresent";
  container.terminationMessagePath ??= "/dev/termination-log";
  container.terminationMessagePolicy ??= "File";
  for (const port of (container.ports as JsonObject[] | undefined) ?? []) port.protocol ??= "TCP";
  for (const env of (container.env as JsonObject[] | undefined) ?? []) {
    const fieldRef = (env.valueFrom as JsonObject | undefined)?.fieldRef as JsonObject | undefined;
    if (fieldRef) fieldRef.apiVersion ??= "v1";
  }
  for (const name of ["livenessProbe", "readinessProbe", "startupProbe"]) {
    const probe = container[name] as JsonObject | undefined;
    if (!probe) continue;
    probe.timeoutSeconds ??= 1;
    probe.periodSeconds ??= 10;
    probe.successThreshold ??= 1;
    probe.failureThreshold ??= 3;
    const httpGet = probe.httpGet as JsonObject | undefined;
    if (httpGet) httpGet.scheme ??= "HTTP";
  }
  const resources = container.resources as JsonObject | undefined;
  for (const bucket of ["requests", "limits"]) {
    const values = resources?.[bucket] as JsonObject | undefined;
    if (values && typeof values.cpu === "number") values.cpu = canonicalCpu(values.cpu);
  }
}

/** 0.5 → "500m", 2 → "2": the API server's canonical form for a CPU quantity. */
function canonicalCpu(cores: number): string {
  return Number.isInteger(cores) ? String(cores) : `${Math.round(cores * 1000)}m`;
}

function status(spec: JsonObject, meta: LiveMeta): JsonObject {
  const replicas = spec.replicas as number;
  const condition = (type: string, reason: string, message: string): JsonObject => ({
    type,
    status: "True",
    lastUpdateTime: meta.updatedAt,
    lastTransitionTime: meta.createdAt,
    reason,
    message,
  });
  return {
    observedGeneration: meta.generation,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
    conditions: [
      condition("Available", "MinimumReplicasAvailable", "Deployment has minimum availability."),
      condition("Progressing", "NewReplicaSetAvailable", "ReplicaSet has successfully progressed."),
    ],
  };
}
