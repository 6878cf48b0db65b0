// Starts the web view (config webView) beside the webhook: its own listener, its own app, the same
// process state. On loopback it serves plain HTTP to whoever reached the port (kubectl port-forward);
// beyond loopback it serves HTTPS with the webhook's key pair files and asks every caller for a
// Kubernetes token (docs/contract.md §12).
import { isIP } from "node:net";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import type pino from "pino";
import type { Config } from "../config/types.js";
import type { ReportError } from "../core/drift-report.js";
import { DriftguardError, describeError } from "../errors.js";
import { HISTORY_DIR, readDiskStore } from "../history/disk-store.js";
import { loadKeyPair, type RunningServer, startPlainServer, startServer } from "../http/server.js";
import { kubeAccessReviewer } from "../kube/access-reviews.js";
import { kubeConfigFetcher } from "../kube/deployment-list.js";
import { listRecords } from "../kube/record-list.js";
import type { Runtime } from "../runtime.js";
import { openAccess, tokenAccess } from "./access.js";
import { createDecisionFeed, type DecisionFeed } from "./decision-feed.js";
import { pageAssets } from "./page-assets.js";
import { buildViewApp, type ViewData } from "./view-app.js";

export interface ViewCluster {
  kubeConfig: KubeConfig;
  /** The API server holds DecisionRecords (history.records resolved on). */
  records: boolean;
}

const KEYS = { host: "webView.host", port: "webView.port" };

/** True for the names and addresses of loopback: the one place the view may listen without tokens. */
export function isLoopback(host: string): boolean {
  if (host === "localhost" || host === "::1") return true;
  return isIP(host) === 4 && host.startsWith("127.");
}

export async function startWebView(
  config: Config,
  runtime: Runtime,
  cluster: ViewCluster | undefined,
  logger: pino.Logger,
): Promise<{ server: RunningServer; stop(): Promise<void> }> {
  const { webView } = config;
  const log = logger.child({ component: "web-view" });
  const loopback = isLoopback(webView.host);
  if (!loopback && !cluster)
    throw new DriftguardError(
      "DG_CONFIG_INVALID",
      `webView.host ${webView.host} is beyond loopback, and driftguard does not talk to the API server to check tokens`,
      {
        where: "webView.host, kubernetes.watch",
        hint: "keep webView.host 127.0.0.1 (reach it with kubectl port-forward), or run driftguard with the API server (kubernetes.watch on, in a pod or with kubernetes.kubeconfig)",
      },
    );
  const feed = createDecisionFeed({
    keep: webView.maxDecisions,
    ...(cluster?.records ? { listCluster: clusterRecords(cluster.kubeConfig) } : {}),
  });
  const unsubscribe = runtime.history?.onRecord((record) => feed.add(record));
  await seed(feed, join(config.stateDir, HISTORY_DIR), webView.maxDecisions, log);
  const files = { certFile: config.server.tlsCertFile, keyFile: config.server.tlsKeyFile };
  const app = buildViewApp({
    logger: log,
    https: loopback ? undefined : await loadKeyPair(files),
    access:
      cluster && !loopback
        ? tokenAccess(kubeAccessReviewer(cluster.kubeConfig), { cacheForMs: webView.authCacheForMs })
        : openAccess(),
    data: viewData(runtime, feed),
    assets: pageAssets(),
    maxDecisions: webView.maxDecisions,
  });
  const server = loopback
    ? await startPlainServer(app, { host: webView.host, port: webView.port, keys: KEYS })
    : await startServer(app, {
        host: webView.host,
        port: webView.port,
        ...files,
        reloadIntervalMs: config.server.tlsReloadIntervalMs,
        keys: KEYS,
      });
  log.info({ url: server.url, tokens: !loopback }, "web view listening");
  return {
    server,
    async stop() {
      unsubscribe?.();
      await server.close();
    },
  };
}

function viewData(runtime: Runtime, feed: DecisionFeed): ViewData {
  return {
    sources: () => runtime.sources.map((source) => source.status()),
    drift: () => {
      const { scan } = runtime;
      if (!scan) return { entries: [], errors: [{ message: NO_SCAN }] };
      const status = scan.status();
      const errors: ReportError[] =
        status.state === "starting"
          ? [{ message: "the live scan has not finished its first pass yet: try again in a moment" }]
          : status.state === "failing"
            ? [
                {
                  message: `the Deployment watch is failing (showing the last known drift): ${status.error ?? "unknown error"}`,
                },
              ]
            : [];
      return { entries: scan.entries(), errors };
    },
    decisions: () => feed.read(),
  };
}

const NO_SCAN =
  "no live scan: this driftguard does not watch the cluster's Deployments (report.scan off, or kubernetes.watch off)";

function clusterRecords(kubeConfig: KubeConfig) {
  const { fetchPage, server } = kubeConfigFetcher(kubeConfig);
  return () => listRecords(fetchPage, server, {});
}

/** This replica's newest records from its store on disk, so a restart does not empty the page. */
async function seed(feed: DecisionFeed, dir: string, keep: number, log: pino.Logger): Promise<void> {
  try {
    const { records } = await readDiskStore(dir);
    for (const record of records.slice(-keep)) feed.add(record);
  } catch (error) {
    log.warn(
      { error: describeError(error) },
      "web view: could not read the history store; showing new decisions only",
    );
  }
}
