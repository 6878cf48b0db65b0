// For admit.ts: a GitOps identity whose request matches no revision known in memory may be rolling
// back to an older commit. Its object's history is read from Git (docs/contract.md §2 History), bounded like the
// on-demand fetch; a read that takes longer goes on and serves the next request (the controller retries).
import type pino from "pino";
import type { Decision } from "../core/decision.js";
import type { ObjectKey } from "../core/types.js";
import { TIMED_OUT, within } from "../within.js";
import type { DesiredState } from "./desired-state.js";

export function isGitOpsMiss(decision: Decision): boolean {
  return decision.kind === "judged" && decision.gitops === "no-matching-revision";
}

/** True when the history was read within `timeoutMs`: lookup(key) now includes it. */
export async function loadHistoryWithin(
  state: DesiredState,
  key: ObjectKey,
  timeoutMs: number,
  logger: pino.Logger,
): Promise<boolean> {
  if ((await within(state.loadHistory(key), timeoutMs)) !== TIMED_OUT) return true;
  logger.warn(
    { timeoutMs, object: `${key.namespace}/${key.name}` },
    "Git history took too long; deciding on the revisions already known",
  );
  return false;
}
