// Which answers leave a Kubernetes Event on the Deployment (docs/contract.md §1, audit mode: "warnings, audit
// annotations and events"), and what it says. Pure: the recorder in src/kube writes it, off the
// request path. Denials leave none: the requester already has the message, and the API server's audit
// log records the refusal.
import type { Decision } from "./decision.js";
import { describeDrift } from "./format.js";
import type { ObjectKey } from "./types.js";

export interface AuditEvent {
  key: ObjectKey;
  reason: "DriftAllowedInAuditMode";
  /** At most EVENT_MESSAGE_LIMIT characters, no values of sensitive fields. */
  message: string;
}

// core/v1 Event messages are cut by the API server's clients at 1 KiB; stay under it ourselves.
export const EVENT_MESSAGE_LIMIT = 1000;
const LISTED_DRIFTS = 5;

export function auditEventFor(decision: Decision): AuditEvent | undefined {
  if (decision.kind !== "judged" || decision.subject.dryRun) return undefined;
  const { verdict } = decision;
  // Audit mode let through what enforce would have denied: that is what the Event records.
  if (verdict.outcome === "deny" || verdict.mode !== "audit" || !verdict.wouldDenyInEnforce) return undefined;
  const { subject, desired, violations } = decision;
  const listed = violations.slice(0, LISTED_DRIFTS).map((drift) => describeDrift(drift));
  const more = violations.length > LISTED_DRIFTS ? [`and ${violations.length - LISTED_DRIFTS} more`] : [];
  const who = subject.requester.username || "an unnamed requester";
  const message = [
    `${who} changed it away from Git (${desired.origin.file} at ${desired.origin.commit.slice(0, 7)}); audit mode allowed it:`,
    ...listed,
    ...more,
  ].join("; ");
  return { key: subject.key, reason: "DriftAllowedInAuditMode", message: cut(message) };
}

function cut(text: string): string {
  return text.length <= EVENT_MESSAGE_LIMIT ? text : `${text.slice(0, EVENT_MESSAGE_LIMIT - 1)}…`;
}
