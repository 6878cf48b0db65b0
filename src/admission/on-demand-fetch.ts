// The fetch made before a denial or a warning: every stale source at once, bounded by a time limit so
// that the whole answer stays well inside the webhook's timeout. Never throws.
import type pino from "pino";
import type { GitSource } from "../sources/types.js";

/** What an on-demand fetch brought: a new revision, nothing new, no answer in time, or only failures. */
export type FetchOutcome = "fresh" | "unchanged" | "timed_out" | "failed";
export const FETCH_OUTCOMES: readonly FetchOutcome[] = ["fresh", "unchanged", "timed_out", "failed"];

export async function refreshWithin(
  sources: readonly GitSource[],
  timeoutMs: number,
  logger: pino.Logger,
): Promise<FetchOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  const results = Promise.all(sources.map((source) => source.refresh("on-demand before deny or warn")));
  const outcome = await Promise.race([results, timeout]);
  clearTimeout(timer);
  if (outcome === "timeout") {
    logger.warn({ timeoutMs }, "on-demand Git refresh took too long; deciding on the revision already known");
    return "timed_out";
  }
  if (outcome.some((result) => result.kind === "updated")) return "fresh";
  return outcome.every((result) => result.kind === "failed") ? "failed" : "unchanged";
}
