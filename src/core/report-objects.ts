// The cluster objects that show one Deployment's drift to policy-report readers (docs/contract.md §10):
// an openreports.io/v1alpha1 Report and, as an option, a wgpolicyk8s.io/v1alpha2 PolicyReport. Pure:
// the writer (src/kube/report-writer.ts) decides when to send them. One result per drifted field group,
// `pass` when in sync. Values come from Drift, so a sensitive value never appears (it is not even shown
// masked: the message says the values are hidden).
import { describeOrigin } from "./format.js";
import { type LiveDrift, type ReportGroup, reportGroupOf } from "./live-drift.js";
import type { Drift, Json, JsonObject, Mode } from "./types.js";

export type ReportKind = "openreports" | "policyreports";

export interface ReportResource {
  group: string;
  version: string;
  plural: string;
  kind: string;
}

/** Where each kind lives in the API (the CRDs under charts/driftguard/crds-optional). */
export const REPORT_RESOURCES: Readonly<Record<ReportKind, ReportResource>> = {
  openreports: { group: "openreports.io", version: "v1alpha1", plural: "reports", kind: "Report" },
  policyreports: {
    group: "wgpolicyk8s.io",
    version: "v1alpha2",
    plural: "policyreports",
    kind: "PolicyReport",
  },
};

export const REPORT_SOURCE = "driftguard";
export const REPORT_POLICY = "driftguard/git-drift";
/** The label the writer lists its own Reports by; never the only sign of ownership (the name is the uid). */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "driftguard";

/** Paths listed per result, and characters per value and per property, so a Report stays small. */
const MAX_PATHS = 20;
const MAX_VALUE = 80;
const MAX_PROPERTY = 2000;
const MAX_MESSAGE = 1000;

export type ResultStatus = "pass" | "fail" | "warn" | "error";

export interface ReportResult {
  source?: string;
  policy: string;
  rule: string;
  result: ResultStatus;
  message: string;
  timestamp: { seconds: number; nanos: number };
  properties: Record<string, string>;
}

export interface ReportObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    ownerReferences: OwnerReference[];
  };
  source?: string;
  scope: { apiVersion: "apps/v1"; kind: "Deployment"; name: string; namespace: string; uid: string };
  configuration?: { limits: { maxResults: number } };
  summary: { pass: number; fail: number; warn: number; error: number; skip: number };
  results: ReportResult[];
}

interface OwnerReference {
  apiVersion: "apps/v1";
  kind: "Deployment";
  name: string;
  uid: string;
  controller: false;
  blockOwnerDeletion: false;
}

/**
 * What the writer does for one Deployment: `write` the Report; `remove` it (unmanaged, gone, or no
 * uid); `update-existing`: the desired state cannot be told now (no source synced, or two manifests
 * disagree), so an existing Report says so with an `error` result, and none is made for it (a Deployment
 * first seen while Git is unknown may well be unmanaged).
 */
export type ReportPlan =
  | { action: "write"; report: ReportObject }
  | { action: "update-existing"; report: ReportObject }
  | { action: "remove" };

export interface ReportInput {
  drift: LiveDrift;
  /** Epoch ms since the object drifted with these fields; undefined in sync. */
  since: number | undefined;
  /** Epoch ms the entry was last recomputed: the timestamp of a pass or error result. */
  observedAt: number;
}

export function reportPlan(kind: ReportKind, input: ReportInput, maxResults: number): ReportPlan {
  const { drift } = input;
  if (drift.uid === undefined || drift.state === "unmanaged") return { action: "remove" };
  const results = resultsOf(input);
  const report = reportObject(kind, drift, drift.uid, capResults(results, maxResults), maxResults);
  return { action: drift.state === "unknown" ? "update-existing" : "write", report };
}

/**
 * What of a Report the writer compares, to write only when something changed: everything it sets but
 * the times (each replica sees a change at its own moment; a new leader must not rewrite every Report
 * for that). Works on a Report as read back from the API server too (extra metadata is left out).
 */
export function reportContent(report: JsonObject | ReportObject): string {
  const object = report as JsonObject;
  const metadata = (object.metadata ?? {}) as JsonObject;
  const labels = (metadata.labels ?? {}) as JsonObject;
  const results = Array.isArray(object.results) ? (object.results as JsonObject[]) : [];
  return stableJson({
    managedBy: labels[MANAGED_BY_LABEL] ?? null,
    ownerReferences: metadata.ownerReferences ?? null,
    source: object.source ?? null,
    scope: object.scope ?? null,
    configuration: object.configuration ?? null,
    summary: object.summary ?? null,
    results: results.map(({ timestamp: _, properties, ...rest }) => {
      const { since: __, ...kept } = (properties ?? {}) as JsonObject;
      return { ...rest, properties: kept };
    }),
  });
}

function reportObject(
  kind: ReportKind,
  drift: LiveDrift,
  uid: string,
  results: ReportResult[],
  maxResults: number,
): ReportObject {
  const resource = REPORT_RESOURCES[kind];
  const { name, namespace } = drift.key;
  const scope = { apiVersion: "apps/v1", kind: "Deployment", name, namespace, uid } as const;
  const base = {
    apiVersion: `${resource.group}/${resource.version}`,
    kind: resource.kind,
    metadata: {
      name: uid,
      namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY },
      // Owned, so that the garbage collector removes it with the Deployment. Not the controller, and not
      // blocking deletion: that would need update rights on deployments/finalizers.
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          kind: "Deployment",
          name,
          uid,
          controller: false,
          blockOwnerDeletion: false,
        },
      ] as OwnerReference[],
    },
  };
  const summary = summaryOf(results);
  // The PolicyReport of v1alpha2 has no Report-level source: each result names it instead.
  if (kind === "policyreports")
    return { ...base, scope, summary, results: results.map((r) => ({ ...r, source: REPORT_SOURCE })) };
  return {
    ...base,
    source: REPORT_SOURCE,
    scope,
    configuration: { limits: { maxResults } },
    summary,
    results,
  };
}

function resultsOf(input: ReportInput): ReportResult[] {
  const { drift } = input;
  const common = commonProperties(drift);
  if (drift.state === "unknown")
    return [
      result("desired-state", "error", `desired state unknown: ${drift.reason ?? "not known yet"}`, {
        at: input.observedAt,
        properties: common,
      }),
    ];
  if (drift.state === "in-sync")
    return [
      result("in-sync", "pass", `matches Git (${originText(drift)})`, {
        at: input.observedAt,
        properties: common,
      }),
    ];
  const status = failureStatus(drift.mode);
  const since = input.since ?? input.observedAt;
  return drift.groups.map((group) => {
    const drifts = drift.drifts.filter((d) => reportGroupOf(d) === group);
    const properties: Record<string, string> = {
      ...common,
      paths: capText(listPaths(drifts), MAX_PROPERTY),
      since: new Date(since).toISOString(),
    };
    return result(group, status, groupMessage(group, drifts, drift), { at: since, properties });
  });
}

/**
 * `fail` where the namespace enforces Git (the drift got in anyway: before driftguard, or by an exempted
 * identity); `warn` in audit and off, where drift is allowed and only shown.
 */
function failureStatus(mode: Mode): ResultStatus {
  return mode === "enforce" ? "fail" : "warn";
}

function result(
  rule: string,
  status: ResultStatus,
  message: string,
  { at, properties }: { at: number; properties: Record<string, string> },
): ReportResult {
  return {
    policy: REPORT_POLICY,
    rule,
    result: status,
    message: capText(message, MAX_MESSAGE),
    timestamp: timestampOf(at),
    properties,
  };
}

function commonProperties(drift: LiveDrift): Record<string, string> {
  const out: Record<string, string> = { mode: drift.mode };
  const origin = drift.origin;
  if (origin === undefined) return out;
  out.source = origin.source;
  out.commit = origin.commit;
  out.file = origin.file;
  if (origin.app !== undefined) out.app = origin.app.type;
  return out;
}

function groupMessage(group: ReportGroup, drifts: readonly Drift[], drift: LiveDrift): string {
  const fields = drifts.slice(0, 3).map(describeField).join("; ");
  const more = drifts.length > 3 ? `; and ${drifts.length - 3} more` : "";
  return `${group} differs from Git (${originText(drift)}): ${fields}${more}`;
}

function describeField(drift: Drift): string {
  if (drift.sensitive) return `${drift.path} ${drift.change} (values hidden)`;
  if (drift.change === "added") return `${drift.path} added by hand (${shortValue(drift.actual)})`;
  if (drift.change === "removed") return `${drift.path} removed (Git: ${shortValue(drift.desired)})`;
  return `${drift.path}: Git ${shortValue(drift.desired)}, live ${shortValue(drift.actual)}`;
}

function originText(drift: LiveDrift): string {
  return drift.origin === undefined ? "no origin" : describeOrigin(drift.origin);
}

function listPaths(drifts: readonly Drift[]): string {
  const shown = drifts.slice(0, MAX_PATHS).map((d) => d.path);
  const more = drifts.length > MAX_PATHS ? [`… and ${drifts.length - MAX_PATHS} more`] : [];
  return [...shown, ...more].join(", ");
}

/** At most `max` results; the last kept one names the groups left out, so a reader knows there are more. */
function capResults(results: ReportResult[], max: number): ReportResult[] {
  if (results.length <= max) return results;
  const kept = results.slice(0, max);
  const left = results.slice(max).map((r) => r.rule);
  const last = kept[kept.length - 1] as ReportResult;
  kept[kept.length - 1] = { ...last, properties: { ...last.properties, notShown: left.join(", ") } };
  return kept;
}

function summaryOf(results: readonly ReportResult[]): ReportObject["summary"] {
  const count = (status: ResultStatus) => results.filter((r) => r.result === status).length;
  return { pass: count("pass"), fail: count("fail"), warn: count("warn"), error: count("error"), skip: 0 };
}

function timestampOf(ms: number): { seconds: number; nanos: number } {
  const whole = Math.floor(ms);
  return { seconds: Math.floor(whole / 1000), nanos: (whole % 1000) * 1_000_000 };
}

function shortValue(value: Json | undefined): string {
  if (value === undefined) return "none";
  return capText(typeof value === "string" ? value : JSON.stringify(value), MAX_VALUE);
}

function capText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** JSON with object keys sorted, so that content read back from the API server compares equal. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}
