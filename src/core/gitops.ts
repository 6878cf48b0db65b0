// GitOps identities are trusted only to write what Git holds: their request must leave the object
// equal to the desired state at one of the source's recent revisions (rollbacks and the race between a
// commit and its apply included), give or take the marks the tool writes at apply time (gitops-marks.ts).
// A stolen controller token cannot write arbitrary content.
import { valueAt } from "./diff.js";
import { type GitOpsMarks, reproducesWithMarks } from "./gitops-marks.js";
import type { Change } from "./judge.js";
import type { RecentRevision } from "./lookup.js";

/** The commit whose desired state the change reproduces, or undefined when none does. */
export function matchingRevision(
  recent: readonly RecentRevision[],
  change: Change,
  marks: GitOpsMarks,
): string | undefined {
  return recent.find((revision) => reproduces(revision, change, marks))?.commit;
}

function reproduces({ desired }: RecentRevision, change: Change, marks: GitOpsMarks): boolean {
  // A delete is Git's when a recent revision no longer holds the object (pruning).
  if (change.kind === "delete") return desired === undefined;
  if (desired === undefined) return false;
  if (change.kind === "scale") {
    return !desired.replicasManaged || valueAt(desired.normalized, ["spec", "replicas"]) === change.replicas;
  }
  return reproducesWithMarks(desired, change.object, marks);
}
