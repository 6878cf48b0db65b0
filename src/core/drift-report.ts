// The one JSON shape of drift that leaves driftguard: `diff --cluster -o json`, `plan -o json`, the
// live scan's table and, later, the web view (docs/contract.md §10, §12). Versioned: a reader checks
// `apiVersion` and `kind`; fields are only ever added within a version. Values come from Drift, so a
// sensitive value is `<masked>` here too.
import { describeOrigin } from "./format.js";
import { type LiveDrift, type LiveState, type ReportGroup, reportGroupOf } from "./live-drift.js";
import type { Drift, DriftChange, Json, Mode } from "./types.js";

export const DRIFT_REPORT_API_VERSION = "driftguard.io/v1alpha1";
export const DRIFT_REPORT_KIND = "DriftReport";

export interface DriftReport {
  apiVersion: typeof DRIFT_REPORT_API_VERSION;
  kind: typeof DRIFT_REPORT_KIND;
  /** RFC 3339 time the report was made. */
  generatedAt: string;
  summary: DriftSummary;
  objects: ObjectReport[];
  /** What could not be read (a namespace the kubeconfig may not list, a source that failed). */
  errors: ReportError[];
}

export interface DriftSummary {
  drifted: number;
  inSync: number;
  unmanaged: number;
  unknown: number;
  errors: number;
}

export interface ObjectReport {
  namespace: string;
  name: string;
  uid?: string;
  resourceVersion?: string;
  mode: Mode;
  state: LiveState;
  /** Set when managed: where Git's desired state is. */
  git?: GitReference;
  /** Why the state is unknown. */
  reason?: string;
  /** RFC 3339: since when the object has drifted with these fields, when known. */
  since?: string;
  groups: ReportGroup[];
  fields: FieldReport[];
}

export interface GitReference {
  source: string;
  commit: string;
  /** The manifest file, or the rendered app's folder. */
  file: string;
  app?: { type: "kustomize" | "helm"; renderedFrom?: string; failedAt?: string };
  /** The same as one line, as messages say it. */
  description: string;
}

export interface FieldReport {
  path: string;
  group: ReportGroup;
  /** `changed`: Git's value replaced; `added`: not in Git; `removed`: Git's, gone from the object. */
  change: DriftChange;
  /** Git's value (normalized JSON); absent when added by hand. */
  git?: Json;
  /** The live value; absent when removed. */
  live?: Json;
  /** True when the values are masked (env values, secret-like fields). */
  masked: boolean;
  /** True for a GitOps mark: listed, not counted as drift. */
  mark: boolean;
}

export interface ReportError {
  namespace?: string;
  message: string;
}

export interface ReportInput {
  drift: LiveDrift;
  /** Epoch ms since the object drifted with these fields, when the caller knows it. */
  since?: number | undefined;
}

export function driftReport(
  entries: readonly ReportInput[],
  now: Date,
  errors: readonly ReportError[] = [],
): DriftReport {
  const objects = entries.map(objectReport).sort(byKey);
  const count = (state: LiveState) => objects.filter((object) => object.state === state).length;
  return {
    apiVersion: DRIFT_REPORT_API_VERSION,
    kind: DRIFT_REPORT_KIND,
    generatedAt: now.toISOString(),
    summary: {
      drifted: count("drifted"),
      inSync: count("in-sync"),
      unmanaged: count("unmanaged"),
      unknown: count("unknown"),
      errors: errors.length,
    },
    objects,
    errors: [...errors],
  };
}

export function objectReport({ drift, since }: ReportInput): ObjectReport {
  const out: ObjectReport = {
    namespace: drift.key.namespace,
    name: drift.key.name,
    mode: drift.mode,
    state: drift.state,
    groups: [...drift.groups],
    fields: [
      ...drift.drifts.map((d) => fieldReport(d, false)),
      ...drift.marks.map((d) => fieldReport(d, true)),
    ],
  };
  if (drift.uid !== undefined) out.uid = drift.uid;
  if (drift.resourceVersion !== undefined) out.resourceVersion = drift.resourceVersion;
  if (drift.reason !== undefined) out.reason = drift.reason;
  if (since !== undefined && drift.state === "drifted") out.since = new Date(since).toISOString();
  const origin = drift.origin;
  if (origin !== undefined) {
    out.git = {
      source: origin.source,
      commit: origin.commit,
      file: origin.file,
      description: describeOrigin(origin),
    };
    if (origin.app !== undefined) {
      const app: NonNullable<GitReference["app"]> = { type: origin.app.type };
      if (origin.app.renderedFrom !== undefined) app.renderedFrom = origin.app.renderedFrom;
      if (origin.app.failedAt !== undefined) app.failedAt = origin.app.failedAt.commit;
      out.git.app = app;
    }
  }
  return out;
}

function fieldReport(drift: Drift, mark: boolean): FieldReport {
  const out: FieldReport = {
    path: drift.path,
    group: reportGroupOf(drift),
    change: drift.change,
    masked: drift.sensitive,
    mark,
  };
  if (drift.desired !== undefined) out.git = drift.desired;
  if (drift.actual !== undefined) out.live = drift.actual;
  return out;
}

function byKey(a: ObjectReport, b: ObjectReport): number {
  return a.namespace === b.namespace ? compareText(a.name, b.name) : compareText(a.namespace, b.namespace);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
