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

export function respond(uid: string, decision: Decision): AdmissionResponse {
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
      return judged(uid, decision);
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

function judged(uid: string, decision: JudgedDecision): AdmissionResponse {
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
  if (decision.verdict.outcome === "deny") return deny(uid, denyMessage(decision), notes, decision);
  if (decision.violations.length === 0) return allow(uid, notes, decision);
  const head = `driftguard: ${objectName(decision.subject)} drifts from Git (${describeOrigin(decision.desired.origin)}); ${
    decision.mode === "audit" ? "audit mode: allowed, enforce mode would deny" : "allowed"
  }`;
  const lines = decision.violations.map((drift) => `driftguard: drift: ${describeDrift(drift)}`);
  return allow(uid, [head, ...lines, ...notes], decision);
}

function denyMessage(decision: JudgedDecision): string {
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
