// What `driftguard history` prints (docs/contract.md §11 Decision history): records filtered, the
// versioned DecisionHistory list (`-o json`; the web view reads the same shape) and its text. Pure.
//
//   2026-12-02T03:14Z alice DENIED UPDATE shop/web (request 1f0c…)
//     ~ spec.template.spec.containers[name=web].image: "nginx:1.27" → "nginx:evil" (Git: "nginx:1.27")
//     Git: source "apps", commit 0123456, file apps/web.yaml; mode enforce
import {
  DECISION_RECORD_API_VERSION,
  DECISION_RECORD_KIND,
  type DecisionRecord,
  type RecordField,
} from "./decision-record.js";
import { formatValue } from "./format.js";
import type { Json } from "./types.js";

export const HISTORY_KIND = "DecisionHistory";

export interface DecisionHistory {
  apiVersion: typeof DECISION_RECORD_API_VERSION;
  kind: typeof HISTORY_KIND;
  /** Oldest first. */
  items: DecisionRecord[];
  /** What could not be read (the web view: the API server's records while it is away). Left out when none. */
  errors?: { message: string }[];
}

export interface HistoryFilter {
  namespace?: string | undefined;
  name?: string | undefined;
  user?: string | undefined;
  /** Epoch ms: records at or after it. */
  since?: number | undefined;
}

/** The record in `value`, when it has a record's shape (read back from disk or the API server). */
export function asDecisionRecord(value: unknown): DecisionRecord | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const record = value as Partial<DecisionRecord>;
  if (record.apiVersion !== DECISION_RECORD_API_VERSION || record.kind !== DECISION_RECORD_KIND)
    return undefined;
  const fine =
    typeof record.time === "string" &&
    Number.isFinite(Date.parse(record.time)) &&
    typeof record.requestUid === "string" &&
    typeof record.requester?.username === "string" &&
    typeof record.object?.namespace === "string" &&
    typeof record.object?.name === "string" &&
    typeof record.verdict?.outcome === "string" &&
    typeof record.why?.mode === "string" &&
    Array.isArray(record.fields);
  return fine ? (record as DecisionRecord) : undefined;
}

export function matchesFilter(record: DecisionRecord, filter: HistoryFilter): boolean {
  if (filter.namespace !== undefined && record.object.namespace !== filter.namespace) return false;
  if (filter.name !== undefined && record.object.name !== filter.name) return false;
  if (filter.user !== undefined && !matchesUser(record, filter.user)) return false;
  return filter.since === undefined || Date.parse(record.time) >= filter.since;
}

// A service account is found by `namespace/name` as well as by its user name.
function matchesUser(record: DecisionRecord, user: string): boolean {
  return record.requester.username === user || record.requester.serviceAccount === user;
}

/** The list `-o json` prints: filtered, one per request uid, oldest first. */
export function historyOf(records: Iterable<DecisionRecord>, filter: HistoryFilter): DecisionHistory {
  const byUid = new Map<string, DecisionRecord>();
  for (const record of records) if (matchesFilter(record, filter)) byUid.set(record.requestUid, record);
  const items = [...byUid.values()].sort(
    (a, b) => Date.parse(a.time) - Date.parse(b.time) || a.requestUid.localeCompare(b.requestUid),
  );
  return { apiVersion: DECISION_RECORD_API_VERSION, kind: HISTORY_KIND, items };
}

/** One block per record, newest last, newline-terminated; a line saying so when there is none. */
export function historyText(history: DecisionHistory): string {
  if (history.items.length === 0) return "no recorded decisions\n";
  return `${history.items.map(recordBlock).join("\n\n")}\n`;
}

function recordBlock(record: DecisionRecord): string {
  const lines = [headerLine(record)];
  for (const field of record.fields) lines.push(`  ${fieldLine(field)}`);
  for (const grant of record.why.grants) lines.push(`  allowed by ${grant.description}`);
  lines.push(`  ${whyLine(record)}`);
  return lines.join("\n");
}

function headerLine(record: DecisionRecord): string {
  const { requester, object } = record;
  const who = requester.serviceAccount ? `serviceaccount ${requester.serviceAccount}` : requester.username;
  const operation = record.subresource ? `${record.operation} ${record.subresource}` : record.operation;
  return `${minute(record.time)} ${who} ${outcomeWord(record)} ${operation} ${object.namespace}/${object.name} (request ${record.requestUid})`;
}

/** `2026-12-02T03:14Z`: what a person reads; the full time is in `-o json`. */
function minute(time: string): string {
  return `${new Date(time).toISOString().slice(0, 16)}Z`;
}

function outcomeWord(record: DecisionRecord): string {
  if (record.verdict.outcome === "deny") return "DENIED";
  if (record.verdict.reason === "exempted") return "ALLOWED BY GRANT";
  if (record.why.mode === "audit" && record.verdict.wouldDenyInEnforce) return "ALLOWED (audit)";
  return "ALLOWED";
}

const SIGN = { changed: "~", added: "+", removed: "-" } as const;
const ROLE = { violation: "", exempted: " [exempted]", preexisting: " [already live]" } as const;

function fieldLine(field: RecordField): string {
  const head = `${SIGN[field.change]} ${field.path}${ROLE[field.role]}`;
  if (field.masked) return `${head}: <changed> (values not shown)`;
  const requested = shown(field.requested);
  const git = field.git === undefined ? "" : ` (Git: ${shown(field.git)})`;
  switch (field.change) {
    case "removed":
      return `${head}${git}`;
    case "added":
      return `${head}: ${requested}`;
    default:
      return field.old === undefined || sameValue(field.old, field.requested)
        ? `${head}: ${requested}${git}`
        : `${head}: ${shown(field.old)} → ${requested}${git}`;
  }
}

function whyLine(record: DecisionRecord): string {
  const { git, why } = record;
  const parts: string[] = [];
  if (git) {
    const app = git.app ? `, ${git.app.type} app ${git.file}` : `, file ${git.file}`;
    const from = git.app?.renderedFrom ? ` (from ${git.app.renderedFrom})` : "";
    parts.push(`Git: source "${git.source}", commit ${git.commit.slice(0, 7)}${app}${from}`);
  }
  parts.push(`mode ${why.mode}`);
  if (why.gitops) parts.push("GitOps content in no recent revision");
  if (why.decision === "unmanaged") parts.push("unmanaged: no Git source holds it");
  if (why.detail) parts.push(`desired state unknown: ${why.detail}`);
  return parts.join("; ");
}

function shown(value: Json | undefined): string {
  return formatValue(value, false);
}

function sameValue(a: Json | undefined, b: Json | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
