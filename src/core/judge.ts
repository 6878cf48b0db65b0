// judge: the drift rule of SPEC §4 on one managed object. Given D, old and new (normalized), a path is a
// violation when new ≠ D and new ≠ old; where new ≠ D but new = old the drift was already there.
import type { Desired } from "./desired.js";
import { normalizeLive } from "./desired.js";
import { diff, sameAt, valueAt } from "./diff.js";
import { DELETED_PATH, groupOf, isSensitive } from "./field-groups.js";
import { asObject } from "./json.js";
import { formatPath } from "./paths.js";
import type { Drift, Json, JsonObject, Path } from "./types.js";

export type Change =
  | { kind: "create"; object: JsonObject }
  | { kind: "update"; old: JsonObject; object: JsonObject }
  | { kind: "scale"; oldReplicas: number | undefined; replicas: number }
  | { kind: "delete" };

export interface Judgement {
  violations: Drift[];
  preexisting: Drift[];
}

export function judge(desired: Desired, change: Change): Judgement {
  switch (change.kind) {
    case "delete":
      return { violations: [drift([DELETED_PATH], "present", "deleted")], preexisting: [] };
    case "scale":
      return judgeScale(desired, change.oldReplicas, change.replicas);
    case "create":
      return judgeObjects(desired, undefined, normalizeLive(change.object, desired));
    case "update":
      return judgeObjects(desired, change.old, normalizeLive(change.object, desired));
  }
}

/** `rawOld` is normalized only when new differs from D: most requests (no-ops, applies of Git) never need it. */
function judgeObjects(desired: Desired, rawOld: JsonObject | undefined, next: JsonObject): Judgement {
  const result: Judgement = { violations: [], preexisting: [] };
  const differences = diff(desired.normalized, next, desired.lenient);
  const old = rawOld !== undefined && differences.length > 0 ? normalizeLive(rawOld, desired) : undefined;
  for (const difference of differences) {
    const { path, left, right } = difference;
    if (old !== undefined && sameAt(old, next, path)) {
      result.preexisting.push(drift(path, left, right, right));
    } else {
      result.violations.push(drift(path, left, right, old === undefined ? undefined : valueAt(old, path)));
    }
  }
  return result;
}

const REPLICAS: Path = ["spec", "replicas"];

/** deployments/scale carries a Scale object: only replicas can change (scale to 0 arrives as `spec: {}`). */
function judgeScale(desired: Desired, oldReplicas: number | undefined, replicas: number): Judgement {
  const wanted = valueAt(desired.normalized, REPLICAS);
  if (!desired.replicasManaged || wanted === replicas) return { violations: [], preexisting: [] };
  const entry = drift(REPLICAS, wanted, replicas, oldReplicas);
  return oldReplicas === replicas
    ? { violations: [], preexisting: [entry] }
    : { violations: [entry], preexisting: [] };
}

function drift(path: Path, desired: Json | undefined, actual: Json | undefined, previous?: Json): Drift {
  return {
    path: formatPath(path),
    segments: path,
    group: groupOf(path),
    desired,
    actual,
    previous,
    sensitive: isSensitive(path, [desired, actual, previous]),
  };
}

/** Replicas of a Scale object; a missing value is 0 (int32 with omitempty). */
export function scaleReplicas(scale: JsonObject | null | undefined): number {
  const replicas = asObject(scale?.spec)?.replicas;
  return typeof replicas === "number" ? replicas : 0;
}
