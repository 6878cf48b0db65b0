// The admission service: look the object up, decide, and when the answer would deny or warn on a
// desired state fetched more than a few seconds ago, fetch Git once more (bounded, one fetch at a time
// per source) and decide on the newest revision. Never throws: a failure answers with what is known.
import type pino from "pino";
import type { AdmissionRequest, AdmissionResponse } from "../core/admission.js";
import { decide, objectKeyOf, requesterOf } from "../core/decide.js";
import type { Decision } from "../core/decision.js";
import type { Policy } from "../core/policy.js";
import { respond } from "../core/respond.js";
import type { AdmissionHandler } from "../http/types.js";
import type { GitSource } from "../sources/types.js";
import type { ClusterView } from "./cluster-view.js";
import type { DesiredState } from "./desired-state.js";
import { isGitOpsMiss, loadHistoryWithin } from "./history-hook.js";

export interface AdmitDependencies {
  state: DesiredState;
  sources: readonly GitSource[];
  policy: Policy;
  refresh: { onDemandAfterMs: number; timeoutMs: number };
  logger: pino.Logger;
  /** RBAC grants and terminating namespaces; without it, neither exists. */
  cluster?: ClusterView | undefined;
  now?: () => number;
  /** Called once per answered request (metrics, audit-mode events). */
  onDecision?: (decision: Decision, response: AdmissionResponse, request: AdmissionRequest) => void;
}

export function createAdmit(deps: AdmitDependencies): AdmissionHandler {
  const now = deps.now ?? Date.now;
  const decideNow = (request: AdmissionRequest): Decision => {
    const key = objectKeyOf(request);
    const lookup = deps.state.lookup(key);
    return decide({
      request,
      lookup,
      policy: deps.policy,
      namespaceTerminating: deps.cluster?.namespaceTerminating(key.namespace) ?? false,
      grant: deps.cluster?.grantsFor(requesterOf(request), key),
    });
  };
  return async (request) => {
    const arrivedAt = now();
    let decision = decideNow(request);
    let response = respond(request.uid, decision);
    if (!quiet(response)) {
      const stale = staleSources(
        decision,
        deps.sources,
        freshAfter(decision, arrivedAt, deps.refresh.onDemandAfterMs),
      );
      if (stale.length > 0 && (await refreshWithin(stale, deps.refresh.timeoutMs, deps.logger))) {
        deps.state.rebuild();
        decision = decideNow(request);
        response = respond(request.uid, decision);
      }
    }
    // An older commit's content (a rollback): read the object's past from Git and decide again.
    const key = objectKeyOf(request);
    if (
      isGitOpsMiss(decision) &&
      (await loadHistoryWithin(deps.state, key, deps.refresh.timeoutMs, deps.logger))
    ) {
      decision = decideNow(request);
      response = respond(request.uid, decision);
    }
    deps.onDecision?.(decision, response, request);
    return response;
  };
}

// A GitOps identity applying content that matches no known revision has most likely read a commit that
// driftguard has not fetched yet (the commit/apply race): only a fetch begun after the request arrived
// can tell. Fetches stay one at a time per source, which bounds what a misbehaving controller can cost.
function freshAfter(decision: Decision, arrivedAt: number, onDemandAfterMs: number): number {
  const gitopsMiss = decision.kind === "judged" && decision.gitops === "no-matching-revision";
  return gitopsMiss ? arrivedAt : arrivedAt - onDemandAfterMs;
}

function quiet(response: AdmissionResponse): boolean {
  return response.allowed && (response.warnings?.length ?? 0) === 0;
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

/** True when at least one source changed within the time allowed. */
async function refreshWithin(
  sources: readonly GitSource[],
  timeoutMs: number,
  logger: pino.Logger,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  const results = Promise.all(sources.map((source) => source.refresh("on-demand before deny or warn")));
  const outcome = await Promise.race([results, timeout]);
  clearTimeout(timer);
  if (outcome === "timeout") {
    logger.warn({ timeoutMs }, "on-demand Git refresh took too long; deciding on the revision already known");
    return false;
  }
  return outcome.some((result) => result.kind === "updated");
}
