// Whether and how `driftguard serve` talks to the API server (config `kubernetes`): in a pod it uses
// its service account; elsewhere a kubeconfig. `auto` connects only when one of the two is at hand,
// so that the demo and offline use never need a cluster.
import type pino from "pino";
import type { ClusterParts } from "../admission/contract.js";
import type { KubernetesConfig, ReportConfig } from "../config/types.js";
import { watchCluster } from "./cluster-watch.js";
import { createDriftEvents, type DriftEvents } from "./drift-events.js";
import { loadKubeConfig, runningInPod } from "./kubeconfig.js";

const RBAC_GRACE_MS = 30_000;

export interface ClusterConnection {
  parts: ClusterParts;
  /** The drift Events; the live scan attaches its table (`events.attachScan(table, leadership)`). */
  events: DriftEvents;
  stop(): Promise<void>;
}

export function connectCluster(
  config: KubernetesConfig,
  env: NodeJS.ProcessEnv,
  logger: pino.Logger,
  report: Pick<ReportConfig, "events" | "eventQueue"> = { events: true, eventQueue: 1000 },
): ClusterConnection | undefined {
  const inPod = runningInPod(env);
  if (config.watch === "off" || (config.watch === "auto" && !inPod && config.kubeconfig === undefined)) {
    logger.info("not watching the API server (kubernetes.watch): no RBAC grants, no drift Events");
    return undefined;
  }
  const kubeConfig = loadKubeConfig(config, env);
  const log = logger.child({ component: "kubernetes" });
  const watch = watchCluster({ kubeConfig, logger: log, resyncMs: config.resyncMs });
  const events = createDriftEvents({ kubeConfig, logger: log, config: report });
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
  logger.info({ server: kubeConfig.getCurrentCluster()?.server }, "watching RBAC objects and namespaces");
  return {
    events,
    parts: {
      view: watch,
      decided: (decision, uid) => events.decided(decision, uid),
      eventCounts: () => events.counts(),
      status: () => ({ ...watch.status(), events: events.status() }),
      synced: () => synced,
    },
    async stop() {
      await watch.stop();
      await events.drain();
    },
  };
}
