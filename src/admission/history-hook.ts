// For admit.ts: a GitOps identity whose request matches no revision known in memory may be rolling
// back to an older commit. Its object's history is read from Git (docs/contract.md §2 History), bounded like the
// on-demand fetch; a read that takes longer goes on and serves the next request (the controller retries).
import type pino from "pino";
import type { Decision } from "../core/decision.js";
import type { ObjectKey } from "../core/types.js";
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
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  const outcome = await Promise.race([state.loadHistory(key), timeout]);
  clearTimeout(timer);
  if (outcome !== "timeout") return true;
  logger.warn(
    { timeoutMs, object: `${key.namespace}/${key.name}` },
    "Git history took too long; deciding on the revisions already known",
  );
  return false;
}
