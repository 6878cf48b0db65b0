// respond: renders a Decision as the AdmissionResponse the API server expects (docs/contract.md §6). Pure.
import type { AdmissionResponse } from "./admission.js";
import type { Decision, JudgedDecision, Subject } from "./decision.js";
import {
  boundWarnings,
  describeDrift,
  describeOrigin,
  describeWhereToChange,
  listWithMore,
} from "./format.js";
import { grantAdvice } from "./grant-advice.js";
import { auditAnnotations } from "./respond-audit.js";
import type { FieldGroup } from "./types.js";

const MESSAGE_DRIFTS = 10;

/** What an answer may add beyond the decision: where the requester gets the Git change for the edit. */
export interface AnswerHints {
  /** A command with `{uid}`, printed when the request is recorded (config history.proposeCommand). */
  proposeCommand?: string | undefined;
}

export function respond(uid: string, decision: Decision, hints: AnswerHints = {}): AdmissionResponse {
  switch (decision.kind) {
    case "ignored":
    case "silent":
      return { uid, allowed: true };
    case "gitops":
      return { uid, allowed: true, auditAnnotations: auditAnnotations(decision) };
    case "unmanaged":
      return unmanaged(uid, decision);
    case "unknown":
      return unknown(uid, decision);
    case "judged":
      return judged(uid, decision, proposeLine(uid, decision, hints));
  }
}

function objectName(subject: Subject): string {
  return `Deployment ${subject.key.namespace}/${subject.key.name}`;
}

function deny(uid: string, message: string, warnings: string[], decision: Decision): AdmissionResponse {
  return {
    uid,
    allowed: false,
    status: { code: 403, reason: "Forbidden", message },
    ...(warnings.length > 0 ? { warnings: boundWarnings(warnings) } : {}),
    auditAnnotations: auditAnnotations(decision),
  };
}

/** Warnings only when the verdict says `warn`: the verdict, not the wording, decides. */
function allow(uid: string, warnings: string[], decision: Decision): AdmissionResponse {
  if (decision.verdict.outcome !== "warn" || warnings.length === 0) return { uid, allowed: true };
  return {
    uid,
    allowed: true,
    warnings: boundWarnings(warnings),
    auditAnnotations: auditAnnotations(decision),
  };
}

function unmanaged(uid: string, decision: Extract<Decision, { kind: "unmanaged" }>): AdmissionResponse {
  const what = `${objectName(decision.subject)} is not tracked in any Git source`;
  if (decision.verdict.outcome === "deny") {
    return deny(
      uid,
      `driftguard: ${what}, and unmanaged Deployments are denied. Add its manifest to Git.`,
      [],
      decision,
    );
  }
  return allow(uid, [`driftguard: ${what}`], decision);
}

function unknown(uid: string, decision: Extract<Decision, { kind: "unknown" }>): AdmissionResponse {
  const origins = decision.origins.map(describeOrigin).join("; ");
  const why = `${decision.reason}${origins ? ` (${origins})` : ""}`;
  const what = `desired state of ${objectName(decision.subject)} is unknown: ${why}`;
  if (decision.verdict.outcome === "deny")
    return deny(
      uid,
      `driftguard: ${what}; denied (onUnsynced: deny). Retry once Git is synced.`,
      [],
      decision,
    );
  return allow(uid, [`driftguard: ${what}; allowed (onUnsynced: allow)`], decision);
}

/**
 * The one command that turns this request into a Git change (`driftguard propose --request UID`), when
 * there is one: a recorded request (not a dry-run, which leaves no record) that changes fields Git
 * holds, by a person rather than a GitOps controller, and not a DELETE (no edit of a file says "gone").
 */
function proposeLine(uid: string, decision: JudgedDecision, hints: AnswerHints): string | undefined {
  const { subject } = decision;
  if (hints.proposeCommand === undefined || subject.dryRun || subject.operation === "DELETE")
    return undefined;
  if (decision.gitops === "no-matching-revision" || decision.violations.length === 0) return undefined;
  return hints.proposeCommand.replaceAll("{uid}", uid);
}

function judged(uid: string, decision: JudgedDecision, propose: string | undefined): AdmissionResponse {
  const notes = [
    ...(decision.gitops === "no-matching-revision"
      ? ["driftguard: GitOps identity, but the result matches no recent Git revision"]
      : []),
    ...decision.exempted.map(
      ({ drift, grant }) => `driftguard: exempted by ${grant}: ${describeDrift(drift)}`,
    ),
    ...decision.preexisting.map(
      (drift) => `driftguard: drift already live, not changed here: ${describeDrift(drift, "live")}`,
    ),
  ];
  if (decision.verdict.outcome === "deny") return deny(uid, denyMessage(decision, propose), notes, decision);
  if (decision.violations.length === 0) return allow(uid, notes, decision);
  const head = `driftguard: ${objectName(decision.subject)} drifts from Git (${describeOrigin(decision.desired.origin)}); ${
    decision.mode === "audit" ? "audit mode: allowed, enforce mode would deny" : "allowed"
  }`;
  const lines = decision.violations.map((drift) => `driftguard: drift: ${describeDrift(drift)}`);
  const change = propose === undefined ? [] : [`driftguard: this edit as a Git change: ${propose}`];
  return allow(uid, [head, ...lines, ...change, ...notes], decision);
}

function denyMessage(decision: JudgedDecision, propose: string | undefined): string {
  const { subject, desired, violations } = decision;
  const drifts = listWithMore(
    violations.map((drift) => describeDrift(drift)),
    MESSAGE_DRIFTS,
  );
  const groups = neededGroups(decision);
  // A GitOps controller is never the one to exempt: its content should come from Git.
  const offerGrant = decision.gitops !== "no-matching-revision" && subject.requester.username !== "";
  return [
    `driftguard: ${objectName(subject)} would drift from Git (${describeOrigin(desired.origin)}):`,
    ...drifts.map((line) => `  - ${line}`),
    ...(decision.gitops === "no-matching-revision"
      ? ["The requester is a GitOps identity, but the result matches no recent Git revision."]
      : []),
    ...(propose === undefined ? [] : [`This edit as a Git change, ready to review: ${propose}`]),
    `To proceed, change ${describeWhereToChange(desired.origin)} in Git and let it sync, or ask a cluster admin to exempt ` +
      `${subject.requester.username || "this requester"} from field group${groups.length > 1 ? "s" : ""} ${groups.join(", ")}` +
      (offerGrant ? " with RBAC:" : "."),
    ...(offerGrant ? grantAdvice(subject.key, subject.requester, groups) : []),
  ].join("\n");
}

function neededGroups(decision: JudgedDecision): FieldGroup[] {
  const groups = new Set<FieldGroup>(decision.violations.map((drift) => drift.group ?? "*"));
  return groups.has("*") ? ["*"] : [...groups];
}
