// The drift of one live Deployment from Git, as every report shows it: the live scan, Reports, Events,
// metrics, `diff`, `diff --cluster` and `plan` (docs/contract.md §10). The same comparison as admission
// (compare), with the GitOps marks listed apart: they are what the GitOps tool applied on top of Git,
// so an object that differs from Git only by marks is in sync.
import { compare } from "./compare.js";
import { isMark } from "./gitops-marks.js";
import { asObject } from "./json.js";
import type { LiveObject } from "./live-object.js";
import { liveObject } from "./live-object.js";
import type { Lookup } from "./lookup.js";
import type { Policy } from "./policy.js";
import {
  type Drift,
  FIELD_GROUPS,
  type FieldGroup,
  type JsonObject,
  type Mode,
  type ObjectKey,
  type Origin,
} from "./types.js";

/**
 * `drifted`: differs from Git. `in-sync`: Git's content (GitOps marks aside). `unmanaged`: no source
 * holds it. `unknown`: its desired state cannot be told now (no source synced, or two manifests disagree).
 */
export type LiveState = "drifted" | "in-sync" | "unmanaged" | "unknown";
export const LIVE_STATES: readonly LiveState[] = ["drifted", "in-sync", "unmanaged", "unknown"];

/** The group of a drifted field for reports and metric labels: `other` when only `*` covers it. */
export type ReportGroup = Exclude<FieldGroup, "*"> | "other";

export interface LiveDrift {
  key: ObjectKey;
  uid: string | undefined;
  resourceVersion: string | undefined;
  /** The mode of the object's namespace (config `namespaces`, else `mode`). */
  mode: Mode;
  state: LiveState;
  /** Where Git's desired state came from; set when managed (drifted or in sync). */
  origin: Origin | undefined;
  /** Why the state is unknown: not synced yet, or the manifests that conflict. */
  reason: string | undefined;
  /** Fields that differ from Git, GitOps marks excluded. Sensitive values are masked (Drift). */
  drifts: readonly Drift[];
  /** GitOps marks: apply-time labels and annotations, shown but not drift. */
  marks: readonly Drift[];
  /** The groups of `drifts`, each once, in FIELD_GROUPS order. */
  groups: readonly ReportGroup[];
}

const GROUP_ORDER: readonly ReportGroup[] = [
  ...FIELD_GROUPS.filter((group): group is Exclude<FieldGroup, "*"> => group !== "*"),
  "other",
];

/** The mode that applies to a namespace, as decide reads it. */
export function modeOf(policy: Policy, namespace: string): Mode {
  return policy.namespaceModes.get(namespace) ?? policy.mode;
}

/** The key of a live object as the API server stores it (a namespaced object always has a namespace). */
export function keyOfLive(object: JsonObject): ObjectKey {
  const metadata = asObject(object.metadata) ?? {};
  return { namespace: String(metadata.namespace ?? "default"), name: String(metadata.name ?? "") };
}

/**
 * The drift of `object` (a live Deployment, as read from the API server) from what `lookup` says Git
 * holds. Pure: the caller looks the object up (DesiredState.lookup) and may pass a LiveObject it keeps.
 */
export function liveDriftOf(lookup: Lookup, object: JsonObject | LiveObject, policy: Policy): LiveDrift {
  const live = "driftFrom" in object ? (object as LiveObject) : liveObject(object as JsonObject);
  const metadata = asObject(live.raw.metadata) ?? {};
  const key = keyOfLive(live.raw);
  const base = {
    key,
    uid: typeof metadata.uid === "string" ? metadata.uid : undefined,
    resourceVersion: typeof metadata.resourceVersion === "string" ? metadata.resourceVersion : undefined,
    mode: modeOf(policy, key.namespace),
    origin: undefined,
    reason: undefined,
    drifts: [],
    marks: [],
    groups: [],
  };
  switch (lookup.kind) {
    case "unmanaged":
      return { ...base, state: "unmanaged" };
    case "unsynced":
      return { ...base, state: "unknown", reason: lookup.reason };
    case "conflict":
      return {
        ...base,
        state: "unknown",
        reason: `${lookup.origins.length} manifests with different content claim it: ${lookup.origins
          .map((origin) => `${origin.source}:${origin.file}`)
          .join(", ")}`,
      };
    case "managed": {
      const all = compare(lookup.desired, live);
      // Marks are read only when something differs: an object in sync needs no normalized form here
      // (the live scan keeps none, for memory).
      const normalized = all.length === 0 ? undefined : live.normalizedFor(lookup.desired);
      const marks =
        normalized === undefined ? [] : all.filter((drift) => isMark(drift, policy.gitopsMarks, normalized));
      const drifts = marks.length === 0 ? all : all.filter((drift) => !marks.includes(drift));
      return {
        ...base,
        origin: lookup.desired.origin,
        state: drifts.length > 0 ? "drifted" : "in-sync",
        drifts,
        marks,
        groups: groupsOf(drifts),
      };
    }
  }
}

/** The report group of one drift. */
export function reportGroupOf(drift: Drift): ReportGroup {
  return drift.group === undefined || drift.group === "*" ? "other" : drift.group;
}

function groupsOf(drifts: readonly Drift[]): ReportGroup[] {
  const present = new Set(drifts.map(reportGroupOf));
  return GROUP_ORDER.filter((group) => present.has(group));
}

/** True when two LiveDrift values say the same (reports and events change only when this is false). */
export function sameDrift(a: LiveDrift | undefined, b: LiveDrift | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.state !== b.state || a.mode !== b.mode || a.reason !== b.reason) return false;
  if (a.origin?.commit !== b.origin?.commit || a.origin?.file !== b.origin?.file) return false;
  return sameFields(a.drifts, b.drifts) && sameFields(a.marks, b.marks);
}

function sameFields(a: readonly Drift[], b: readonly Drift[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((drift, index) => {
    const other = b[index];
    return (
      other !== undefined &&
      drift.path === other.path &&
      drift.change === other.change &&
      JSON.stringify(drift.desired) === JSON.stringify(other.desired) &&
      JSON.stringify(drift.actual) === JSON.stringify(other.actual)
    );
  });
}
