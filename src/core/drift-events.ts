// What driftguard's events.k8s.io/v1 Events on a Deployment say (docs/contract.md §10): DriftDenied and
// DriftWarned for admission answers, DriftDetected and DriftResolved for what the live scan finds.
// Pure: the recorder in src/kube writes them off the request path, and decides when a repeat is a series.
import type { Decision, JudgedDecision } from "./decision.js";
import { describeDrift } from "./format.js";
import { asObject, objects } from "./json.js";
import type { LiveDrift } from "./live-drift.js";
import type { Drift, JsonObject, ObjectKey, Origin } from "./types.js";

export type DriftEventReason =
  | "DriftDenied"
  | "DriftWarned"
  | "DriftDetected"
  | "DriftResolved"
  | "DriftReverted";
export const DRIFT_EVENT_REASONS: readonly DriftEventReason[] = [
  "DriftDenied",
  "DriftWarned",
  "DriftDetected",
  "DriftResolved",
  "DriftReverted",
];

/** The content of one Event; the recorder adds the time, the reporting controller and instance. */
export interface DriftEventContent {
  reason: DriftEventReason;
  type: "Warning" | "Normal";
  /** `Admit` for an admission answer, `Scan` for what the live scan found, `Revert` for Git put back. */
  action: "Admit" | "Scan" | "Revert";
  key: ObjectKey;
  /** The Deployment's uid when known (a CREATE has none yet); `kubectl describe` matches on it. */
  uid: string | undefined;
  /** At most EVENT_NOTE_LIMIT characters; names fields, Git's file and commit; no sensitive value. */
  note: string;
}

// The API server rejects an events.k8s.io/v1 note over 1 KiB (counted in UTF-8 bytes); stay under it.
export const EVENT_NOTE_LIMIT = 1000;
const LISTED_DRIFTS = 5;

/** The Event an admission answer leaves: DriftDenied, DriftWarned, or none (dry-run, no drift). */
export function admissionEventFor(
  decision: Decision,
  uid: string | undefined,
): DriftEventContent | undefined {
  if (decision.kind !== "judged" || decision.subject.dryRun) return undefined;
  if (decision.violations.length === 0) return undefined;
  const { verdict } = decision;
  if (verdict.outcome === "deny") return admitEvent(decision, uid, "DriftDenied", "enforce mode denied it");
  // Audit mode let through what enforce would have denied: the warning the requester saw, kept.
  if (verdict.mode === "audit" && verdict.wouldDenyInEnforce)
    return admitEvent(decision, uid, "DriftWarned", "audit mode allowed it");
  return undefined;
}

function admitEvent(
  decision: JudgedDecision,
  uid: string | undefined,
  reason: "DriftDenied" | "DriftWarned",
  outcome: string,
): DriftEventContent {
  const { subject, desired, violations } = decision;
  const verb = reason === "DriftDenied" ? "tried to change" : "changed";
  const head = `${whoOf(decision)} ${verb} it away from Git (${gitOf(desired.origin)}); ${outcome}`;
  return {
    reason,
    type: "Warning",
    action: "Admit",
    key: subject.key,
    uid,
    note: cut(`${head}: ${listed(violations, "request").join("; ")}`),
  };
}

/**
 * What one non-dry-run allowance explains of the drift the scan will see next: the fields a warning
 * was given for (a DriftWarned Event says it already), and the fields an exemption or RBAC grant let
 * through without a word (the scan's DriftDetected then names who and the grant).
 */
export interface AdmissionAnswer {
  key: ObjectKey;
  uid: string | undefined;
  /** Epoch ms of the answer. */
  at: number;
  who: string;
  warned: readonly string[];
  exempted: readonly { path: string; grant: string }[];
}

export function admissionAnswerFor(
  decision: Decision,
  uid: string | undefined,
  at: number,
): AdmissionAnswer | undefined {
  if (decision.kind !== "judged" || decision.subject.dryRun || decision.verdict.outcome === "deny")
    return undefined;
  const warned = admissionEventFor(decision, uid) ? decision.violations.map((drift) => drift.path) : [];
  const exempted = decision.exempted.map(({ drift, grant }) => ({ path: drift.path, grant }));
  if (warned.length === 0 && exempted.length === 0) return undefined;
  return { key: decision.subject.key, uid, at, who: whoOf(decision), warned, exempted };
}

/** The last write of a live object, from its managedFields: who (the field manager) and when. */
export interface LastWrite {
  manager: string;
  /** As the API server wrote it (RFC 3339), when it did. */
  time: string | undefined;
}

/**
 * The managedFields entry written last (entries without a time count as oldest). Writes of the status
 * subresource do not count: the Deployment controller writes status on its own schedule (a rollout's
 * progress, long after the edit), and neither who made drift nor when it was made is found there.
 */
export function lastWriteOf(object: JsonObject): LastWrite | undefined {
  const entries = objects(asObject(object.metadata)?.managedFields);
  let last: LastWrite | undefined;
  for (const entry of entries) {
    if (typeof entry.manager !== "string" || entry.subresource === "status") continue;
    const time = typeof entry.time === "string" ? entry.time : undefined;
    // RFC 3339 times of one API server compare as strings.
    if (last === undefined || (time ?? "") >= (last.time ?? "")) last = { manager: entry.manager, time };
  }
  return last;
}

/** The drifts of `after` on paths that did not drift `before`: what the scan reports as new. */
export function newDrifts(before: LiveDrift | undefined, after: LiveDrift | undefined): readonly Drift[] {
  if (after?.state !== "drifted") return [];
  const old = new Set(before?.state === "drifted" ? before.drifts.map((drift) => drift.path) : []);
  return after.drifts.filter((drift) => !old.has(drift.path));
}

/**
 * DriftDetected for new drift that no recent answer explains with a warning; undefined when every new
 * field was warned about (its DriftWarned says it) or nothing is new. `answers` are this object's
 * recent allowances, newest last; `lastWrite` names the manager when nobody's answer explains a field.
 */
export function detectedEventFor(
  before: LiveDrift | undefined,
  after: LiveDrift | undefined,
  answers: readonly AdmissionAnswer[],
  lastWrite: LastWrite | undefined,
): DriftEventContent | undefined {
  const fresh = newDrifts(before, after);
  if (after === undefined || fresh.length === 0) return undefined;
  if (gitMoved(before, after)) return gitMovedEvent(after, fresh);
  const exempted = new Map<string, { who: string; grant: string }>();
  const warned = new Set<string>();
  for (const answer of answers) {
    for (const path of answer.warned) warned.add(path);
    for (const { path, grant } of answer.exempted) exempted.set(path, { who: answer.who, grant });
  }
  const byGrant = fresh.filter((drift) => exempted.has(drift.path) && !warned.has(drift.path));
  const unexplained = fresh.filter((drift) => !exempted.has(drift.path) && !warned.has(drift.path));
  if (byGrant.length === 0 && unexplained.length === 0) return undefined;
  const git = after.origin ? ` (Git: ${gitOf(after.origin)})` : "";
  const parts = [
    ...grantParts(byGrant, exempted),
    ...(unexplained.length > 0 ? [unexplainedPart(unexplained, lastWrite)] : []),
  ];
  return scanEvent(after, "DriftDetected", "Warning", `${parts.join("; ")}${git}`);
}

/**
 * The live object is the one seen before (same resourceVersion) and Git's commit changed: nobody wrote
 * the drift, Git moved ahead of the cluster (a GitOps sync still to come, or a change not deployed).
 */
function gitMoved(before: LiveDrift | undefined, after: LiveDrift): boolean {
  return (
    before !== undefined &&
    after.resourceVersion !== undefined &&
    before.resourceVersion === after.resourceVersion &&
    before.origin?.commit !== after.origin?.commit
  );
}

function gitMovedEvent(after: LiveDrift, fresh: readonly Drift[]): DriftEventContent {
  const git = after.origin ? gitOf(after.origin) : "a new commit";
  const note = `${listed(fresh, "live").join(", ")}: Git moved (${git}) and the live object has not followed yet`;
  return scanEvent(after, "DriftDetected", "Normal", note);
}

/** The fields each exempt writer changed, one part per writer and grant. */
function grantParts(
  drifts: readonly Drift[],
  exempted: ReadonlyMap<string, { who: string; grant: string }>,
): string[] {
  const groups = new Map<string, Drift[]>();
  for (const drift of drifts) {
    const by = exempted.get(drift.path);
    if (!by) continue;
    const label = `by ${by.who}, allowed by ${by.grant}`;
    groups.set(label, [...(groups.get(label) ?? []), drift]);
  }
  return [...groups].map(([label, group]) => `${listed(group, "live").join(", ")}: changed ${label}`);
}

function unexplainedPart(drifts: readonly Drift[], lastWrite: LastWrite | undefined): string {
  const writer = lastWrite
    ? `; last written by ${lastWrite.manager}${lastWrite.time ? ` at ${lastWrite.time}` : ""}`
    : "";
  return `${listed(drifts, "live").join(", ")}: no admission answer explains it${writer} (made while driftguard was not answering, or before it was installed)`;
}

/** DriftResolved when a drifted Deployment is back to Git's content; undefined otherwise. */
export function resolvedEventFor(
  before: LiveDrift | undefined,
  after: LiveDrift | undefined,
): DriftEventContent | undefined {
  if (before?.state !== "drifted" || after?.state !== "in-sync") return undefined;
  const fields = before.drifts.slice(0, LISTED_DRIFTS).map((drift) => drift.path);
  const more =
    before.drifts.length > LISTED_DRIFTS ? [`and ${before.drifts.length - LISTED_DRIFTS} more`] : [];
  const git = after.origin ? ` (${gitOf(after.origin)})` : "";
  return scanEvent(
    after,
    "DriftResolved",
    "Normal",
    `In sync with Git again${git}: ${[...fields, ...more].join(", ")}`,
  );
}

function scanEvent(
  drift: LiveDrift,
  reason: "DriftDetected" | "DriftResolved",
  type: "Warning" | "Normal",
  note: string,
): DriftEventContent {
  return { reason, type, action: "Scan", key: drift.key, uid: drift.uid, note: cut(note) };
}

function whoOf(decision: JudgedDecision): string {
  return decision.subject.requester.username || "an unnamed requester";
}

/**
 * DriftReverted (Normal, action Revert): Git's values were put back on the object by `apply`, or by the
 * in-cluster revert after a grant expired (`why` names the expired binding). Fields named, values not.
 */
export function revertedEventFor(
  key: ObjectKey,
  uid: string | undefined,
  origin: Origin,
  drifts: readonly Drift[],
  why: string,
): DriftEventContent {
  const paths = drifts.slice(0, LISTED_DRIFTS).map((drift) => drift.path);
  if (drifts.length > LISTED_DRIFTS) paths.push(`and ${drifts.length - LISTED_DRIFTS} more`);
  return {
    reason: "DriftReverted",
    type: "Normal",
    action: "Revert",
    key,
    uid,
    note: cut(
      `${why}: Git's values put back (${gitOf(origin)}, source "${origin.source}"): ${paths.join("; ")}`,
    ),
  };
}

function gitOf(origin: Origin): string {
  return `${origin.file} at ${origin.commit.slice(0, 7)}`;
}

/** The first drifts described (masked when sensitive), and how many more there are. */
function listed(drifts: readonly Drift[], actualLabel: string): string[] {
  const shown = drifts.slice(0, LISTED_DRIFTS).map((drift) => describeDrift(drift, actualLabel));
  return drifts.length > LISTED_DRIFTS ? [...shown, `and ${drifts.length - LISTED_DRIFTS} more`] : shown;
}

const utf8 = new TextEncoder();

/** At most EVENT_NOTE_LIMIT bytes: Git's values may hold any character, and the limit is in bytes. */
function cut(text: string): string {
  if (utf8.encode(text).length <= EVENT_NOTE_LIMIT) return text;
  let kept = Array.from(text).slice(0, EVENT_NOTE_LIMIT - 1);
  while (utf8.encode(`${kept.join("")}…`).length > EVENT_NOTE_LIMIT) kept = kept.slice(0, -16);
  return `${kept.join("")}…`;
}
