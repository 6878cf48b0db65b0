// Writes the Reports of the live scan's table (docs/contract.md §10): while this replica holds the
// writers' Lease, one Report (and/or PolicyReport) per managed Deployment, sent only when its content
// changed. On taking the Lease it lists the Reports once and reconciles them with the table (creates the
// missing, updates the differing, deletes those of Deployments no longer managed); after that, the
// table's changes drive it. Never on the request path: changes only mark a Deployment as pending, and one
// loop writes. Pending Deployments are a set of uids, so the queue is bounded by the number of scanned
// Deployments however often one of them changes. A failed write is retried with backoff, and counted.
import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import type pino from "pino";
import type { DriftTable, Leadership } from "../admission/contract.js";
import type { ReportConfig } from "../config/types.js";
import {
  REPORT_RESOURCES,
  type ReportKind,
  type ReportObject,
  reportContent,
  reportPlan,
} from "../core/report-objects.js";
import type { JsonObject } from "../core/types.js";
import { describeError } from "../errors.js";
import { listOwnedObjects } from "./owned-objects.js";
import { describeApiError, statusOf } from "./self-managed/api-status.js";

/** The field manager of driftguard's server-side applies: `kubectl get report --show-managed-fields` shows it. */
export const FIELD_MANAGER = "driftguard";

/** A Report as listed: where it is, and what it holds (compared with reportContent). */
export interface StoredReport {
  namespace: string;
  name: string;
  object: JsonObject;
}

export interface ReportApi {
  /** Every Report of the kind that driftguard made, in all namespaces. */
  list(kind: ReportKind): Promise<StoredReport[]>;
  /** Creates or updates (server-side apply). */
  apply(kind: ReportKind, report: ReportObject): Promise<void>;
  /** Deletes; a Report already gone is not an error. */
  remove(kind: ReportKind, namespace: string, name: string): Promise<void>;
}

export interface ReportWriterStats {
  leader: boolean;
  /** False until the Reports have been listed once in this term as leader. */
  reconciled: boolean;
  writes: number;
  deletes: number;
  /** Deployments looked at whose Reports already said the same. */
  unchanged: number;
  failures: number;
  pending: number;
  lastError?: string;
}

export interface ReportWriter {
  stats(): ReportWriterStats;
  /** Resolves when nothing is being reconciled or written now (tests; shutdown); a Deployment waiting on its retry backoff does not count. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export interface ReportWriterOptions {
  table: DriftTable;
  leadership: Leadership;
  config: ReportConfig;
  logger: pino.Logger;
  /** The API server; or `api` in tests. */
  kubeConfig?: KubeConfig;
  api?: ReportApi;
  /** Backoff of a failed write or list: base doubled per attempt, up to max. */
  retry?: { baseMs: number; maxMs: number };
}

const DEFAULT_RETRY = { baseMs: 1_000, maxMs: 5 * 60_000 };

export function kindsOf(reports: ReportConfig["reports"]): ReportKind[] {
  if (reports === "off") return [];
  return reports === "both" ? ["openreports", "policyreports"] : [reports];
}

export function startReportWriter(options: ReportWriterOptions): ReportWriter {
  const { table, leadership, config, logger } = options;
  const kinds = kindsOf(config.reports);
  const retry = options.retry ?? DEFAULT_RETRY;
  const stats = { writes: 0, deletes: 0, unchanged: 0, failures: 0 };
  let lastError: string | undefined;
  if (kinds.length === 0)
    return idleWriter(() => ({ ...stats, leader: leadership.isLeader(), reconciled: false, pending: 0 }));
  const api = options.api ?? kubeReportApi(requireKubeConfig(options.kubeConfig));

  /** `kind\nuid` → what the API server holds, as listed or last written in this term. */
  const known = new Map<string, { namespace: string; content: string }>();
  const pending = new Set<string>();
  const attempts = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  let term = 0;
  let reconciled = false;
  let running: Promise<void> | undefined;
  let reconciling: Promise<void> | undefined;
  let stopped = false;
  // Stop must end a reconcile still waiting for the first table (Git never synced, say: serve failed to start).
  let stopWaiting: () => void = () => {};
  const stopping = new Promise<void>((resolve) => {
    stopWaiting = resolve;
  });

  const failed = (what: string, error: unknown) => {
    stats.failures++;
    const text = describeApiError(error, describeError);
    // The same failure for every Deployment (a CRD not installed, RBAC missing) is logged once.
    if (text !== lastError) logger.warn({ error: text }, `could not ${what}`);
    lastError = text;
  };
  const later = (delayMs: number, action: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      action();
    }, delayMs);
    timer.unref(); // a retry never keeps the process alive on its own
    timers.add(timer);
  };
  const backoff = (attempt: number) => Math.min(retry.baseMs * 2 ** Math.max(0, attempt - 1), retry.maxMs);

  const syncOne = async (uid: string, currentTerm: number) => {
    const entry = table.get(uid);
    for (const kind of kinds) {
      if (currentTerm !== term) return;
      const key = `${kind}\n${uid}`;
      const have = known.get(key);
      const plan =
        entry === undefined ? ({ action: "remove" } as const) : reportPlan(kind, entry, config.maxResults);
      if (plan.action === "remove") {
        if (have === undefined) continue;
        await api.remove(kind, have.namespace, uid);
        known.delete(key);
        stats.deletes++;
        continue;
      }
      if (plan.action === "update-existing" && have === undefined) continue;
      const content = reportContent(plan.report);
      if (have?.content === content) {
        stats.unchanged++;
        continue;
      }
      await api.apply(kind, plan.report);
      known.set(key, { namespace: plan.report.metadata.namespace, content });
      stats.writes++;
    }
  };

  const drain = async (currentTerm: number) => {
    for (const uid of pending) {
      if (currentTerm !== term || stopped) return;
      pending.delete(uid);
      try {
        await syncOne(uid, currentTerm);
        attempts.delete(uid);
      } catch (error) {
        failed("write a Report", error);
        const attempt = (attempts.get(uid) ?? 0) + 1;
        attempts.set(uid, attempt);
        later(backoff(attempt), () => mark(uid));
      }
    }
  };
  const kick = () => {
    if (running || !reconciled || stopped) return;
    const currentTerm = term;
    running = drain(currentTerm).finally(() => {
      running = undefined;
      if (pending.size > 0 && currentTerm === term) kick();
    });
  };
  const mark = (uid: string) => {
    if (!reconciled || stopped) return;
    pending.add(uid);
    kick();
  };

  const listAll = async (currentTerm: number, attempt = 1): Promise<void> => {
    try {
      const listed = await Promise.all(kinds.map(async (kind) => ({ kind, items: await api.list(kind) })));
      if (currentTerm !== term) return;
      for (const { kind, items } of listed)
        for (const item of items)
          known.set(`${kind}\n${item.name}`, {
            namespace: item.namespace,
            content: reportContent(item.object),
          });
    } catch (error) {
      if (currentTerm !== term) return;
      failed("list the Reports", error);
      // Not one of `timers`: a lost Lease clears those, and this wait must still end (the term check below).
      await new Promise<void>((resolve) => setTimeout(resolve, backoff(attempt)).unref());
      if (currentTerm === term && !stopped) return listAll(currentTerm, attempt + 1);
    }
  };
  const reconcile = async (currentTerm: number) => {
    await Promise.race([table.firstTable, stopping]);
    if (currentTerm !== term || stopped) return;
    await listAll(currentTerm);
    if (currentTerm !== term || stopped) return;
    for (const entry of table.entries()) if (entry.drift.uid !== undefined) pending.add(entry.drift.uid);
    for (const key of known.keys()) pending.add(key.slice(key.indexOf("\n") + 1));
    reconciled = true;
    logger.info(
      { deployments: pending.size, reports: known.size },
      "reconciling the Reports with the live scan",
    );
    kick();
  };

  const onLeadership = (leader: boolean) => {
    term++;
    reconciled = false;
    pending.clear();
    known.clear();
    attempts.clear();
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    if (leader && !stopped) {
      const started: Promise<void> = reconcile(term).finally(() => {
        if (reconciling === started) reconciling = undefined;
      });
      reconciling = started;
    }
  };
  const unsubscribeTable = table.subscribe((change) => mark(change.uid));
  const unsubscribeLeadership = leadership.onChange(onLeadership);
  if (leadership.isLeader()) onLeadership(true);

  return {
    stats: () => ({
      ...stats,
      leader: leadership.isLeader(),
      reconciled,
      pending: pending.size,
      ...(lastError === undefined ? {} : { lastError }),
    }),
    async idle() {
      while (reconciling || running) await (reconciling ?? running);
    },
    async stop() {
      stopped = true;
      stopWaiting();
      unsubscribeTable();
      unsubscribeLeadership();
      onLeadership(false);
      await running;
    },
  };
}

function idleWriter(stats: () => ReportWriterStats): ReportWriter {
  return { stats, idle: async () => {}, stop: async () => {} };
}

function requireKubeConfig(kubeConfig: KubeConfig | undefined): KubeConfig {
  if (kubeConfig === undefined) throw new TypeError("startReportWriter needs kubeConfig or api");
  return kubeConfig;
}

export function kubeReportApi(kubeConfig: KubeConfig): ReportApi {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  const applyHeader = setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply);
  return {
    async list(kind) {
      return listOwnedObjects(api, REPORT_RESOURCES[kind]);
    },
    async apply(kind, report) {
      const { group, version, plural } = REPORT_RESOURCES[kind];
      await api.patchNamespacedCustomObject(
        {
          group,
          version,
          plural,
          namespace: report.metadata.namespace,
          name: report.metadata.name,
          body: report,
          fieldManager: FIELD_MANAGER,
          force: true,
        },
        applyHeader,
      );
    },
    async remove(kind, namespace, name) {
      const { group, version, plural } = REPORT_RESOURCES[kind];
      try {
        await api.deleteNamespacedCustomObject({ group, version, plural, namespace, name });
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
      }
    },
  };
}
