// The admission service: look the object up, decide, and when the verdict is not a plain allow on a
// desired state fetched more than a few seconds ago, fetch Git once more (bounded, one fetch at a time
// per source) and decide on the newest revision. Never throws: a failure answers with what is known.
import type pino from "pino";
import type { AdmissionRequest } from "../core/admission.js";
import { decide, ignoredDecision } from "../core/decide.js";
import type { Decision, Subject } from "../core/decision.js";
import type { Policy } from "../core/policy.js";
import { type AnswerHints, respond } from "../core/respond.js";
import { subjectOf } from "../core/subject.js";
import type { GitSource } from "../sources/types.js";
import type { ClusterView } from "./cluster-view.js";
import type { AdmissionHandler } from "./contract.js";
import type { DesiredState } from "./desired-state.js";
import { isGitOpsMiss, loadHistoryWithin } from "./history-hook.js";
import { createNormalizedCache } from "./normalized-cache.js";
import { type FetchOutcome, refreshWithin } from "./on-demand-fetch.js";

export interface AdmitDependencies {
  state: DesiredState;
  sources: readonly GitSource[];
  policy: Policy;
  refresh: { onDemandAfterMs: number; timeoutMs: number };
  logger: pino.Logger;
  /** RBAC grants and terminating namespaces; without it, neither exists. */
  cluster?: ClusterView | undefined;
  /** What answers add beyond the decision (the propose command of recorded requests). */
  hints?: AnswerHints | undefined;
  /** Wall clock, for the age of a fetch. */
  now?: () => number;
  /** Monotonic milliseconds, for the time an answer took. */
  elapsedClock?: () => number;
  /** Called once per answered request (metrics, drift Events), with the seconds it took. */
  onDecision?: (decision: Decision, request: AdmissionRequest, seconds: number) => void;
  /** Called once per on-demand fetch, with what it brought. */
  onFetch?: (outcome: FetchOutcome) => void;
}

export function createAdmit(deps: AdmitDependencies): AdmissionHandler {
  const now = deps.now ?? Date.now;
  const elapsedClock = deps.elapsedClock ?? (() => performance.now());
  // Made for this service's one policy: the cache's key relies on it (see normalized-cache.ts).
  const live = createNormalizedCache();
  const decideNow = (request: AdmissionRequest, subject: Subject): Decision =>
    decide({
      request,
      subject,
      lookup: deps.state.lookup(subject.key),
      policy: deps.policy,
      namespaceTerminating: deps.cluster?.namespaceTerminating(subject.key.namespace) ?? false,
      grant: deps.cluster?.grantsFor(subject.requester, subject.key),
      live,
    });
  return async (request, context) => {
    const started = elapsedClock();
    const arrivedAt = now();
    const subject = subjectOf(request);
    let decision = typeof subject === "string" ? ignoredDecision(subject) : decideNow(request, subject);
    if (typeof subject !== "string" && decision.verdict.outcome !== "allow") {
      const stale = staleSources(decision, deps.sources, freshAfter(decision, arrivedAt, deps.refresh));
      if (stale.length > 0) {
        const outcome = await refreshWithin(stale, deps.refresh.timeoutMs, context?.log ?? deps.logger);
        deps.onFetch?.(outcome);
        // The sources' change listener has already rebuilt the desired state: decide on it.
        if (outcome === "fresh") decision = decideNow(request, subject);
      }
    }
    // An older commit's content (a rollback): read the object's past from Git and decide again. Bounded
    // like the fetch, so a GitOps request waits at most twice refresh.timeout.
    const log = context?.log ?? deps.logger;
    if (typeof subject !== "string" && isGitOpsMiss(decision)) {
      if (await loadHistoryWithin(deps.state, subject.key, deps.refresh.timeoutMs, log))
        decision = decideNow(request, subject);
    }
    const response = respond(request.uid, decision, deps.hints);
    deps.onDecision?.(decision, request, (elapsedClock() - started) / 1000);
    return response;
  };
}

// A GitOps identity applying content that matches no known revision has most likely read a commit that
// driftguard has not fetched yet (the commit/apply race): only a fetch begun after the request arrived
// can tell. Fetches stay one at a time per source, which bounds what a misbehaving controller can cost.
function freshAfter(decision: Decision, arrivedAt: number, refresh: { onDemandAfterMs: number }): number {
  const gitopsMiss = decision.kind === "judged" && decision.gitops === "no-matching-revision";
  return gitopsMiss ? arrivedAt : arrivedAt - refresh.onDemandAfterMs;
}

/** Sources worth asking again: the object's own source, or all of them when it is not found. */
function staleSources(decision: Decision, sources: readonly GitSource[], freshAfter: number): GitSource[] {
  const owner = "desired" in decision ? decision.desired.origin.source : undefined;
  return sources.filter((source) => {
    if (owner !== undefined && source.name !== owner) return false;
    const last = source.status().lastAttemptAt;
    return last === undefined || last < freshAfter;
  });
}
