// judge: the drift rule of docs/contract.md §4 on one managed object. Given D, old and new (normalized), a path is a
// violation when new ≠ D and new ≠ old; where new ≠ D but new = old the drift was already there.
import { compare, driftAt, withPrevious } from "./compare.js";
import type { Desired } from "./desired.js";
import { sameAt, valueAt } from "./diff.js";
import { DELETED_PATH } from "./field-groups.js";
import { asObject } from "./json.js";
import type { LiveObject } from "./live-object.js";
import type { Drift, JsonObject, Path } from "./types.js";

export type Change =
  | { kind: "create"; object: LiveObject }
  | { kind: "update"; old: LiveObject; object: LiveObject }
  | { kind: "scale"; oldReplicas: number | undefined; replicas: number }
  | { kind: "delete" };

export interface Judgement {
  violations: Drift[];
  preexisting: Drift[];
}

export function judge(desired: Desired, change: Change): Judgement {
  switch (change.kind) {
    case "delete":
      return { violations: [driftAt([DELETED_PATH], "present", undefined)], preexisting: [] };
    case "scale":
      return judgeScale(desired, change.oldReplicas, change.replicas);
    case "create":
      return { violations: compare(desired, change.object), preexisting: [] };
    case "update":
      return judgeUpdate(desired, change.old, change.object);
  }
}

/** The old object is normalized only when new differs from D: no-ops and applies of Git never need it. */
function judgeUpdate(desired: Desired, old: LiveObject, next: LiveObject): Judgement {
  const result: Judgement = { violations: [], preexisting: [] };
  const drifts = compare(desired, next);
  if (drifts.length === 0) return result;
  const oldNormalized = old.normalizedFor(desired);
  const nextNormalized = next.normalizedFor(desired);
  for (const drift of drifts) {
    if (sameAt(oldNormalized, nextNormalized, drift.segments)) {
      result.preexisting.push(withPrevious(drift, valueAt(nextNormalized, drift.segments)));
    } else {
      result.violations.push(withPrevious(drift, valueAt(oldNormalized, drift.segments)));
    }
  }
  return result;
}

const REPLICAS: Path = ["spec", "replicas"];

/** deployments/scale carries a Scale object: only replicas can change (scale to 0 arrives as `spec: {}`). */
function judgeScale(desired: Desired, oldReplicas: number | undefined, replicas: number): Judgement {
  const wanted = valueAt(desired.normalized, REPLICAS);
  if (!desired.replicasManaged || wanted === replicas) return { violations: [], preexisting: [] };
  const entry = withPrevious(driftAt(REPLICAS, wanted, replicas), oldReplicas);
  return oldReplicas === replicas
    ? { violations: [], preexisting: [entry] }
    : { violations: [entry], preexisting: [] };
}

/** Replicas of a Scale object; a missing value is 0 (int32 with omitempty). */
export function scaleReplicas(scale: JsonObject | null | undefined): number {
  const replicas = asObject(scale?.spec)?.replicas;
  return typeof replicas === "number" ? replicas : 0;
}
