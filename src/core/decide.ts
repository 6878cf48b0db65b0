// decide: the pure decision of docs/contract.md §4. Given the admission request, what the desired state knows about
// its object, the policy and who asks, say what drifted and what to answer (the Verdict). No I/O.
import type { AdmissionRequest } from "./admission.js";
import type { Decision, Exempted, Subject } from "./decision.js";
import type { Desired } from "./desired.js";
import { exemptionFor, type Grant, type GrantResolver } from "./exemptions.js";
import { matchingRevision } from "./gitops.js";
import { isMark } from "./gitops-marks.js";
import { type Change, judge, scaleReplicas } from "./judge.js";
import { type LiveObject, type LiveObjects, liveObject } from "./live-object.js";
import type { Lookup } from "./lookup.js";
import type { Policy } from "./policy.js";
import { subjectOf } from "./subject.js";
import { matchesSubjects } from "./subjects.js";
import type { Drift, Mode } from "./types.js";
import { quietVerdict, type VerdictReason, verdictFor } from "./verdict.js";

export interface DecideInput {
  request: AdmissionRequest;
  /** From subjectOf(request), when the caller already has it; computed here otherwise. */
  subject?: Subject | undefined;
  lookup: Lookup;
  policy: Policy;
  /** True when the object's namespace is being deleted (its deletes are always allowed). */
  namespaceTerminating: boolean;
  grant?: GrantResolver | undefined;
  /** Where live objects come from; `liveObject` (nothing shared between requests) by default. */
  live?: LiveObjects | undefined;
}

export function decide(input: DecideInput): Decision {
  const { request, lookup, policy } = input;
  const subject = input.subject ?? subjectOf(request);
  if (typeof subject === "string") return ignoredDecision(subject);
  const fallbackMode = policy.namespaceModes.get(subject.key.namespace) ?? policy.mode;
  const mode = lookup.kind === "managed" ? (lookup.desired.mode ?? fallbackMode) : fallbackMode;
  if (mode === "off") return { kind: "silent", verdict: quietVerdict("mode-off", mode), subject };
  switch (lookup.kind) {
    case "unmanaged":
      return unmanaged(subject, mode, policy);
    case "unsynced":
    case "conflict": {
      const reason = lookup.kind === "conflict" ? "conflicting manifests in Git" : lookup.reason;
      const origins = lookup.kind === "conflict" ? lookup.origins : [];
      const verdict = verdictFor(mode, "desired-unknown", policy.onUnsynced === "deny", true);
      return { kind: "unknown", verdict, subject, mode, reason, origins };
    }
    case "managed":
      return judgeManaged(input, subject, lookup, mode);
  }
}

/** A request driftguard does not judge (another resource, CONNECT): allowed without a word. */
export function ignoredDecision(reason: string): Decision {
  return { kind: "ignored", verdict: quietVerdict("not-judged"), reason };
}

function unmanaged(subject: Subject, mode: Mode, policy: Policy): Decision {
  // Deleting an object Git does not hold removes drift; it is never refused for being unmanaged.
  const action = subject.operation === "DELETE" ? "allow" : policy.unmanaged;
  const verdict = verdictFor(mode, "unmanaged", action === "deny", action !== "allow");
  return { kind: "unmanaged", verdict, subject, mode, action };
}

function judgeManaged(
  input: DecideInput,
  subject: Subject,
  lookup: Extract<Lookup, { kind: "managed" }>,
  mode: Mode,
): Decision {
  const { desired } = lookup;
  const change = changeOf(input.request, input.live ?? liveObject);
  const isGitOps = matchesSubjects(subject.requester, input.policy.gitops);
  if (isGitOps) {
    const commit = matchingRevision(lookup.recent(), change, input.policy.gitopsMarks);
    if (commit !== undefined) {
      const verdict = verdictFor(mode, "gitops-revision", false, false);
      return { kind: "gitops", verdict, subject, mode, desired, commit };
    }
  }
  const judged = judge(desired, change);
  const { violations } = judged;
  // A mark the GitOps tool wrote earlier is what it always writes: not worth a warning on every update.
  const preexisting =
    change.kind === "update"
      ? expectedMarksOut(judged.preexisting, input, change.object, desired)
      : judged.preexisting;
  const namespaceTerminating = subject.operation === "DELETE" && input.namespaceTerminating;
  const { kept, exempted } = applyExemptions(namespaceTerminating ? [] : violations, input, subject);
  const gitops = isGitOps ? "no-matching-revision" : "not-gitops";
  const warns = kept.length + exempted.length + preexisting.length > 0 || gitops !== "not-gitops";
  const reason = judgedReason(namespaceTerminating, kept, exempted, preexisting);
  return {
    kind: "judged",
    verdict: verdictFor(mode, reason, kept.length > 0, warns),
    subject,
    mode,
    desired,
    violations: kept,
    preexisting,
    exempted,
    gitops,
    namespaceTerminating,
  };
}

function expectedMarksOut(
  drifts: readonly Drift[],
  input: DecideInput,
  object: LiveObject,
  desired: Desired,
): Drift[] {
  if (drifts.length === 0) return [];
  const normalized = object.normalizedFor(desired);
  return drifts.filter((drift) => !isMark(drift, input.policy.gitopsMarks, normalized));
}

function judgedReason(
  namespaceTerminating: boolean,
  violations: readonly Drift[],
  exempted: readonly Exempted[],
  preexisting: readonly Drift[],
): VerdictReason {
  if (namespaceTerminating) return "namespace-terminating";
  if (violations.length > 0) return "drift";
  if (exempted.length > 0) return "exempted";
  return preexisting.length > 0 ? "preexisting-drift" : "in-sync";
}

function applyExemptions(violations: readonly Drift[], input: DecideInput, subject: Subject) {
  const kept: Drift[] = [];
  const exempted: Exempted[] = [];
  for (const drift of violations) {
    const grant = exemptionFor(subject.requester, drift.group, input.policy, input.grant);
    if (grant === undefined) kept.push(drift);
    else exempted.push(exemptedBy(drift, grant));
  }
  return { kept, exempted };
}

function exemptedBy(drift: Drift, grant: Grant): Exempted {
  return {
    drift,
    grant: grant.description,
    ...(grant.binding ? { binding: grant.binding } : {}),
    ...(grant.expiresAt === undefined ? {} : { expiresAt: grant.expiresAt }),
  };
}

function changeOf(request: AdmissionRequest, live: LiveObjects): Change {
  if (request.operation === "DELETE") return { kind: "delete" };
  if (request.subResource === "scale") {
    const oldReplicas = request.oldObject ? scaleReplicas(request.oldObject) : undefined;
    return { kind: "scale", oldReplicas, replicas: scaleReplicas(request.object) };
  }
  const object = live(request.object ?? {}, "object");
  if (request.operation === "CREATE" || !request.oldObject) return { kind: "create", object };
  return { kind: "update", old: live(request.oldObject, "oldObject"), object };
}
