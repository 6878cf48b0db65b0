// GitOps marks: the labels and annotations a GitOps tool writes on the Deployment's own metadata when it
// applies Git's content (Argo CD's tracking label or annotation, Flux's owner labels, Helm's release
// metadata; docs/contract.md §5). They are not ignored: for anyone else, adding, changing or removing
// one is drift like any other field. Only a GitOps identity's request may carry them on top of Git's
// content and still count as applying Git.
import type { Desired } from "./desired.js";
import { valueAt } from "./diff.js";
import { asObject } from "./json.js";
import type { LiveObject } from "./live-object.js";
import type { Drift, JsonObject } from "./types.js";

export interface GitOpsMarks {
  /** Keys of `metadata.labels` of the Deployment itself (never of the pod template). */
  labels: ReadonlySet<string>;
  /** Keys of `metadata.annotations` of the Deployment itself. */
  annotations: ReadonlySet<string>;
}

/**
 * True when `live` holds Git's content plus marks and nothing else: every path where it differs from
 * `desired` is a mark (docs/contract.md §5). Reads the live object's drift memo, so a request that
 * matches exactly costs no more than before.
 */
export function reproducesWithMarks(desired: Desired, live: LiveObject, marks: GitOpsMarks): boolean {
  const drifts = live.driftFrom(desired);
  if (drifts.length === 0) return true;
  const normalized = live.normalizedFor(desired);
  return drifts.every((drift) => isMark(drift, marks, normalized));
}

/**
 * A mark key added, or set to another value than Git's. A removal is never a mark: tools add their keys
 * to what Git says and never drop a key Git declares. (A tool that stops writing a mark, as Argo CD
 * does when it moves from label to annotation tracking, removes it from the live object, not from
 * Git's: compared with Git there is nothing left to excuse.) `live` is the normalized object the drift
 * was found in: a drift's own values may be masked, its keys are read there.
 */
export function isMark(drift: Drift, marks: GitOpsMarks, live: JsonObject): boolean {
  const [root, map, key, ...rest] = drift.segments;
  if (root !== "metadata" || rest.length > 0 || drift.change === "removed") return false;
  const keys = map === "labels" ? marks.labels : map === "annotations" ? marks.annotations : undefined;
  if (keys === undefined) return false;
  if (key !== undefined) return keys.has(key);
  // Git has no labels (or annotations) at all: the whole map is one added path, every key a mark.
  const added = drift.change === "added" ? asObject(valueAt(live, drift.segments)) : undefined;
  return added !== undefined && Object.keys(added).every((name) => keys.has(name));
}
