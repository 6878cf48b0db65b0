// The fetch made before a denial or a warning: every stale source at once, bounded by a time limit so
// that the whole answer stays well inside the webhook's timeout. Never throws.
import type pino from "pino";
import type { GitSource } from "../sources/types.js";
import { TIMED_OUT, within } from "../within.js";

/** What an on-demand fetch brought: a new revision, nothing new, no answer in time, or only failures. */
export type FetchOutcome = "fresh" | "unchanged" | "timed_out" | "failed";
export const FETCH_OUTCOMES: readonly FetchOutcome[] = ["fresh", "unchanged", "timed_out", "failed"];

export async function refreshWithin(
  sources: readonly GitSource[],
  timeoutMs: number,
  logger: pino.Logger,
): Promise<FetchOutcome> {
  const results = Promise.all(sources.map((source) => source.refresh("on-demand before deny or warn")));
  const outcome = await within(results, timeoutMs);
  if (outcome === TIMED_OUT) {
    logger.warn({ timeoutMs }, "on-demand Git refresh took too long; deciding on the revision already known");
    return "timed_out";
  }
  if (outcome.some((result) => result.kind === "updated")) return "fresh";
  return outcome.every((result) => result.kind === "failed") ? "failed" : "unchanged";
}
