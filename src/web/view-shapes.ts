// What the web view answers (docs/contract.md §12), as versioned JSON a page or a script reads: the
// sources' state (SourceList, made here), the live drift (the DriftReport of `diff -o json`) and the
// decisions (the DecisionHistory of `history -o json`), each cut to what the caller may see. Pure.
//
// Nothing here carries a secret: drift and decision values are masked where they are made, and source
// URLs and errors are redacted again on their way out (a URL's userinfo is the only secret a source
// status could hold).
import { DECISION_RECORD_API_VERSION, type DecisionRecord } from "../core/decision-record.js";
import { type DriftReport, driftReport, type ReportError, type ReportInput } from "../core/drift-report.js";
import { type DecisionHistory, type HistoryFilter, historyOf } from "../core/history.js";
import type { LiveState } from "../core/live-drift.js";
import { hideCredentials } from "../errors.js";
import type { SourceStatus } from "../sources/types.js";

export const VIEW_API_VERSION = DECISION_RECORD_API_VERSION;
export const SOURCE_LIST_KIND = "SourceList";

export interface SourceList {
  apiVersion: typeof VIEW_API_VERSION;
  kind: typeof SOURCE_LIST_KIND;
  generatedAt: string;
  items: SourceView[];
}

export interface SourceView {
  name: string;
  /** Credentials hidden. */
  url: string;
  state: "pending" | "synced" | "failing";
  /** The commit being served, when there is one. */
  commit?: string;
  /** RFC 3339 times, when known. */
  lastAttemptAt?: string;
  lastSuccessAt?: string;
  failingSince?: string;
  error?: string;
  /** The revision served came from the snapshot on disk, not from a fetch of this process. */
  restored: boolean;
  fileErrors: { file: string; line?: number; message: string }[];
  apps: { path: string; type: "kustomize" | "helm"; renderedAt?: string; error?: string }[];
  notices: number;
}

/** Which namespaces the caller may see; `all` for the loopback listener and cluster-wide grants. */
export type Visible = "all" | ReadonlySet<string>;

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** The sources' state as the page shows it. */
export function sourceList(statuses: readonly SourceStatus[], now: Date): SourceList {
  return {
    apiVersion: VIEW_API_VERSION,
    kind: SOURCE_LIST_KIND,
    generatedAt: now.toISOString(),
    items: statuses.map(sourceView),
  };
}

function sourceView(status: SourceStatus): SourceView {
  const { state } = status;
  return compact({
    name: status.name,
    url: hideCredentials(status.url),
    state: state.kind,
    commit: state.kind === "pending" ? undefined : state.commit,
    lastAttemptAt: iso(status.lastAttemptAt),
    lastSuccessAt: iso(status.lastSuccessAt),
    failingSince: state.kind === "failing" ? iso(state.since) : undefined,
    error: state.kind === "failing" ? hideCredentials(state.error) : undefined,
    restored: status.restored,
    fileErrors: status.fileErrors.map((error) =>
      compact({ file: error.file, line: error.line, message: hideCredentials(error.message) }),
    ),
    apps: status.apps.map((app) =>
      compact({
        path: app.path,
        type: app.type,
        renderedAt: app.renderedAt,
        error: app.error === undefined ? undefined : hideCredentials(app.error),
      }),
    ),
    notices: status.notices.length,
  }) as SourceView;
}

export interface DriftQuery {
  namespace?: string | undefined;
  /** Only objects in this state. */
  state?: LiveState | undefined;
}

/** The live drift of the namespaces the caller may see, as one DriftReport (summary counted after the cut). */
export function visibleDrift(
  entries: Iterable<ReportInput>,
  visible: Visible,
  query: DriftQuery,
  now: Date,
  errors: readonly ReportError[] = [],
): DriftReport {
  const shown: ReportInput[] = [];
  for (const entry of entries) {
    const { namespace } = entry.drift.key;
    if (!isVisible(visible, namespace)) continue;
    if (query.namespace !== undefined && namespace !== query.namespace) continue;
    if (query.state !== undefined && entry.drift.state !== query.state) continue;
    shown.push(entry);
  }
  return driftReport(shown, now, errors);
}

/** Newest `limit` records of the namespaces the caller may see, oldest first (the history's order). */
export function visibleDecisions(
  records: Iterable<DecisionRecord>,
  visible: Visible,
  filter: HistoryFilter,
  limit: number,
  errors: readonly ReportError[] = [],
): DecisionHistory {
  const history = historyOf(
    filterIterable(records, (record) => isVisible(visible, record.object.namespace)),
    filter,
  );
  const items = history.items.length > limit ? history.items.slice(-limit) : history.items;
  return { ...history, items, ...(errors.length > 0 ? { errors: [...errors] } : {}) };
}

export function isVisible(visible: Visible, namespace: string): boolean {
  return visible === "all" || visible.has(namespace);
}

function* filterIterable<T>(items: Iterable<T>, keep: (item: T) => boolean): Iterable<T> {
  for (const item of items) if (keep(item)) yield item;
}

/** The object without its undefined keys: optional fields are left out, never null (JSON as documented). */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}
