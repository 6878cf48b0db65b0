// Whether and how `driftguard serve` talks to the API server (config `kubernetes`): in a pod it uses
// its service account; elsewhere a kubeconfig. `auto` connects only when one of the two is at hand,
// so that the demo and offline use never need a cluster.
import type { KubeConfig } from "@kubernetes/client-node";
import type pino from "pino";
import type { ClusterParts } from "../admission/contract.js";
import type { HistoryConfig, KubernetesConfig, ReportConfig } from "../config/types.js";
import { watchCluster } from "./cluster-watch.js";
import { type DecisionRecords, startDecisionRecords } from "./decision-record-parts.js";
import { podNamespace, watchDeployments } from "./deployment-scan.js";
import { createDriftEvents, type DriftEvents } from "./drift-events.js";
import { loadKubeConfig, runningInPod } from "./kubeconfig.js";
import { type LeaderLease, startWritersLease } from "./leader-lease.js";
import { type RevertParts, type ScannedTable, type ScanWriters, startScanWriters } from "./scan-writers.js";

const RBAC_GRACE_MS = 30_000;
/** How often the in-cluster revert looks for expired grants (never less often than a resync). */
const REVERT_CHECK_MS = 5_000;

export interface ClusterConnection {
  parts: ClusterParts;
  /** The credentials every part uses (the web view's token and access reviews too). */
  kubeConfig: KubeConfig;
  /** DecisionRecord objects are written (history on, history.records resolved on). */
  records: boolean;
  /** The drift Events: every replica's answers; the scan's once attachScan has run. */
  events: DriftEvents;
  /** Starts the writers' Lease, the Report writer and the scan's Events on the live scan's table. */
  attachScan(
    table: ScannedTable,
    config: ReportConfig,
    revert?: Pick<RevertParts, "desired" | "policy">,
  ): ScanWriters;
  stop(): Promise<void>;
}

export interface ConnectOptions {
  /** Watch Deployments for the live scan (config report.scan, resolved: `auto` = on with a cluster). */
  scanDeployments?: boolean;
  /** The Events' switch and queue bound (config report); the Lease too, when records need one. */
  report?: Pick<ReportConfig, "events" | "eventQueue"> & Partial<Pick<ReportConfig, "lease">>;
  /** Decision history (config history) and the store it restores from (stateDir/history). */
  history?: { config: HistoryConfig; dir: string };
}

export function connectCluster(
  config: KubernetesConfig,
  env: NodeJS.ProcessEnv,
  logger: pino.Logger,
  options: ConnectOptions = {},
): ClusterConnection | undefined {
  const inPod = runningInPod(env);
  if (config.watch === "off" || (config.watch === "auto" && !inPod && config.kubeconfig === undefined)) {
    logger.info("not watching the API server (kubernetes.watch): no RBAC grants, no drift Events");
    return undefined;
  }
  const kubeConfig = loadKubeConfig(config, env);
  const log = logger.child({ component: "kubernetes" });
  const watch = watchCluster({ kubeConfig, logger: log, resyncMs: config.resyncMs });
  const events = createDriftEvents({
    kubeConfig,
    logger: log,
    config: options.report ?? { events: true, eventQueue: 1000 },
  });
  // Under the same supervisor as the RBAC watches; readiness never waits for it (the scan only reports).
  const deployments = options.scanDeployments
    ? watchDeployments({
        kubeConfig,
        logger: log,
        resyncMs: config.resyncMs,
        ownNamespace: inPod ? podNamespace() : undefined,
      })
    : undefined;
  // Ready once the RBAC objects are listed, or after a grace period without them: a replica that never
  // gets ready (say, its ClusterRole is missing) would leave the webhook with no endpoint, and with
  // failurePolicy Fail every Deployment write would fail. Until the list arrives it answers as if no
  // RBAC grant existed, which only ever denies more, and /readyz shows the watch errors.
  let synced = false;
  const grace = setTimeout(() => {
    if (synced) return;
    synced = true;
    log.warn(
      { graceMs: RBAC_GRACE_MS },
      "RBAC objects not listed yet; answering without RBAC grants until they are",
    );
  }, RBAC_GRACE_MS);
  grace.unref();
  void watch.firstSync.then(() => {
    synced = true;
    clearTimeout(grace);
  });
  logger.info(
    { server: kubeConfig.getCurrentCluster()?.server, deployments: deployments !== undefined },
    deployments
      ? "watching RBAC objects, namespaces and Deployments"
      : "watching RBAC objects and namespaces",
  );
  // One writers' Lease for the Reports, the scan's Events and the DecisionRecords' retention.
  let lease: LeaderLease | undefined;
  const leaseFor = (config: ReportConfig["lease"]) => {
    lease ??= startWritersLease({ kubeConfig, lease: config, logger: log });
    return lease;
  };
  const records = recordsFor(options, kubeConfig, log, leaseFor);
  let writers: ScanWriters | undefined;
  return {
    kubeConfig,
    records: records !== undefined,
    events,
    attachScan(table, report, revert) {
      const revertParts: RevertParts | undefined = revert && {
        ...revert,
        expiredGrants: (at) => watch.expiredGrants(at),
        intervalMs: Math.min(config.resyncMs, REVERT_CHECK_MS),
      };
      writers ??= startScanWriters({
        kubeConfig,
        table,
        events,
        config: report,
        logger: log,
        revert: revertParts,
        lease: leaseFor(report.lease),
      });
      return writers;
    },
    parts: {
      view: watch,
      decided: (decision, uid) => events.decided(decision, uid),
      eventCounts: () => events.counts(),
      status: () => ({
        ...watch.status(),
        ...(deployments ? { deployments: deployments.status() } : {}),
        events: events.status(),
        ...(writers ? writers.status() : {}),
      }),
      synced: () => synced,
      ...(deployments ? { deployments } : {}),
      ...(records ? { records: records.sink } : {}),
    },
    async stop() {
      await writers?.stop();
      await records?.stop();
      await lease?.stop();
      await Promise.all([watch.stop(), deployments?.stop()]);
      await events.drain();
    },
  };
}

/** DecisionRecord objects, unless history is off or history.records is `off` (`auto`: on with a cluster). */
function recordsFor(
  options: ConnectOptions,
  kubeConfig: Parameters<typeof startDecisionRecords>[0]["kubeConfig"],
  logger: pino.Logger,
  leaseFor: (config: ReportConfig["lease"]) => LeaderLease,
): DecisionRecords | undefined {
  const { history } = options;
  if (!history?.config.enabled || history.config.records === "off") return undefined;
  const leaseConfig = options.report?.lease ?? { name: "driftguard", durationMs: 15_000 };
  return startDecisionRecords({
    kubeConfig,
    config: history.config,
    dir: history.dir,
    logger,
    leadership: () => leaseFor(leaseConfig),
  });
}
