// What the API server's Go types say about each field of a Deployment, by field name, as far as
// comparison needs it (docs/kubernetes-facts.md §3.1 and §4). Field names are unambiguous inside a Deployment except
// where a context is given.

import { lookupTable } from "./json.js";

/** Lists matched element by element through their merge keys (SSA listMapKey). */
export const MERGE_KEYS: Readonly<Record<string, readonly string[]>> = lookupTable({
  containers: ["name"],
  initContainers: ["name"],
  ephemeralContainers: ["name"],
  env: ["name"],
  ports: ["containerPort", "protocol"],
  volumes: ["name"],
  volumeMounts: ["mountPath"],
  volumeDevices: ["devicePath"],
  imagePullSecrets: ["name"],
  hostAliases: ["ip"],
  topologySpreadConstraints: ["topologyKey", "whenUnsatisfiable"],
  schedulingGates: ["name"],
  resourceClaims: ["name"],
  ownerReferences: ["uid"],
});

/** Keyed lists whose order changes behaviour: start order of containers, `$(VAR)` expansion of env. */
export const ORDERED_LISTS: ReadonlySet<string> = new Set(["containers", "initContainers", "env"]);

/** Go maps (`map[string]…` with omitempty): `{}` is the same as absent, and values are never dropped. */
export const MAP_FIELDS: ReadonlySet<string> = new Set([
  "labels",
  "annotations",
  "nodeSelector",
  "matchLabels",
  "limits",
  "requests",
  "overhead",
]);

/**
 * Non-pointer structs: always serialized, as `{}` when empty, so `{}` equals absent. Every other
 * struct is a pointer, where `{}` is kept and differs from absent (`labelSelector: {}` selects all).
 */
export const VALUE_STRUCTS: ReadonlySet<string> = new Set(["resources", "metadata", "strategy", "template"]);

/** Lists without omitempty: `[]` is kept. Every other list collapses when empty. */
export const NON_OMITEMPTY_LISTS: ReadonlySet<string> = new Set([
  "containers",
  "sources",
  "nodeSelectorTerms",
]);

/**
 * Scalars serialized even when zero (`0`, `false`, `""`): pointers and fields without omitempty.
 * Every other scalar with a zero value is dropped, as the server's omitempty drops it. Required
 * strings (names, keys, paths) are left out on purpose: empty ones are invalid, and dropping them is
 * what the server does where they are optional (toleration `key: ""`).
 */
export const ZERO_KEPT: ReadonlySet<string> = new Set([
  // DeploymentSpec and strategy
  "replicas",
  "revisionHistoryLimit",
  "progressDeadlineSeconds",
  "maxUnavailable",
  "maxSurge",
  // PodSpec pointers
  "terminationGracePeriodSeconds",
  "activeDeadlineSeconds",
  "automountServiceAccountToken",
  "shareProcessNamespace",
  "priority",
  "enableServiceLinks",
  "preemptionPolicy",
  "setHostnameAsFQDN",
  "hostUsers",
  "runtimeClassName",
  // security contexts (all pointers)
  "runAsUser",
  "runAsGroup",
  "runAsNonRoot",
  "fsGroup",
  "fsGroupChangePolicy",
  "seLinuxChangePolicy",
  "supplementalGroupsPolicy",
  "privileged",
  "readOnlyRootFilesystem",
  "allowPrivilegeEscalation",
  "procMount",
  // containers, probes, handlers
  "restartPolicy",
  "containerPort",
  "port",
  "service",
  "seconds",
  // volumes and projections
  "defaultMode",
  "mode",
  "optional",
  "expirationSeconds",
  "type",
  "sizeLimit",
  "mountPropagation",
  "recursiveReadOnly",
  // scheduling
  "tolerationSeconds",
  "maxSkew",
  "minDomains",
  "nodeAffinityPolicy",
  "nodeTaintsPolicy",
  "weight",
  // metadata
  "controller",
  "blockOwnerDeletion",
]);

/** Zero kept only inside the given list (`httpHeaders[].value` has no omitempty; `env[].value` has). */
export const ZERO_KEPT_IN_LIST: Readonly<Record<string, ReadonlySet<string>>> = lookupTable({
  httpHeaders: new Set(["value"]),
});

/** Quantity-valued fields. Values of these maps are quantities too. */
export const QUANTITY_MAPS: ReadonlySet<string> = new Set(["limits", "requests", "overhead"]);
export const QUANTITY_FIELDS: ReadonlySet<string> = new Set(["sizeLimit", "divisor"]);
