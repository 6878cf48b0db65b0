// `driftguard serve`: the webhook. Without --config it runs the built-in demo.
import { readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { registerReportMetrics, registerRevertMetrics } from "../admission/report-metrics.js";
import { loadConfig } from "../config/load-config.js";
import type { Config } from "../config/types.js";
import { setUpDemo } from "../demo/setup.js";
import { DriftguardError, describeFileError } from "../errors.js";
import { HISTORY_DIR } from "../history/disk-store.js";
import { buildApp } from "../http/app.js";
import { loadKeyPair, type RunningServer, startServer } from "../http/server.js";
import { connectCluster } from "../kube/connect.js";
import { loadKubeConfig } from "../kube/kubeconfig.js";
import { manageCertificates } from "../kube/self-managed-certs.js";
import { createRuntime, type Runtime } from "../runtime.js";
import { startWebView } from "../web/view-server.js";
import { parse } from "./args.js";
import { createLogger } from "./logger.js";
import { StartedParts, StartupError } from "./started-parts.js";

type Logger = ReturnType<typeof createLogger>;

const HELP = `driftguard serve [--config FILE]

Runs the HTTPS validating admission webhook: POST /validate, GET /healthz, GET /readyz, GET /metrics,
POST /refresh (push webhook, when server.pushTokenFile is set). TLS key and certificate are read from
the files in the config and reloaded when they change. With webView.enabled, the read-only web view
(sources, drift, decisions) on a listener of its own: http://127.0.0.1:8081/ by default.

Without --config, a demo starts on https://127.0.0.1:8443 (web view on http://127.0.0.1:8081/): a local
Git repository made from example manifests, a CA and serving certificate under certs/, and sample
reviews to send with curl.`;

export async function runServe(args: string[]): Promise<number> {
  const parsed = parse(args, { config: { type: "string", short: "c" } }, HELP);
  if (!parsed) return 0;
  const demo = parsed.values.config === undefined ? await setUpDemo(process.cwd()) : undefined;
  const config = loadConfig(parsed.values.config ?? demo?.configFile ?? "");
  const logger = createLogger(config.logLevel);
  const parts = new StartedParts((part, error) =>
    logger.warn({ part, error: (error as Error).message }, "did not stop cleanly"),
  );
  const draining = { on: false };
  const { server, webView } = await parts.startOrUndo(() => startParts(config, logger, parts, draining));
  // Handlers first: whoever reads "listening" may signal at once, and a SIGTERM that arrives before
  // them ends the process without stopping anything.
  const signalled = waitForSignal();
  process.stdout.write(`driftguard listening on ${server.url} (POST /validate)\n`);
  if (webView) process.stdout.write(`driftguard web view on ${webView.url}/ (read-only)\n`);
  if (demo) printDemoHint(server.url, demo.reviewsDir, demo.certsDir);
  if (demo?.withoutApps) process.stdout.write(`Demo: ${demo.withoutApps}\n`);
  await signalled;
  // Unready first, still answering: the API server keeps sending to this pod until its endpoint is gone,
  // and a listener closed before that turns those admissions into failures.
  draining.on = true;
  logger.info({ drainDelayMs: config.server.drainDelayMs }, "shutting down: not ready, still answering");
  await new Promise((resolve) => setTimeout(resolve, config.server.drainDelayMs));
  logger.info("shutting down");
  await parts.stopAll();
  return 0;
}

/** Starts every part in order, each added to `parts` as soon as it runs, so a later failure stops it. */
async function startParts(
  config: Config,
  logger: Logger,
  parts: StartedParts,
  draining: Draining,
): Promise<{ server: RunningServer; webView: RunningServer | undefined }> {
  const certificates = startCertificates(config, logger);
  if (certificates) parts.add("certificates", () => certificates.stop());
  await certificates?.ready;
  const cluster = connectCluster(config.kubernetes, process.env, logger, {
    report: config.report,
    scanDeployments: config.report.scan !== "off",
    history: { config: config.history, dir: join(config.stateDir, HISTORY_DIR) },
  });
  if (!cluster && config.report.scan === "on")
    logger.warn("report.scan is on but the API server is not watched (kubernetes.watch): no live scan");
  if (cluster) parts.add("cluster watch", () => cluster.stop());
  const runtime = createRuntime(config, logger, cluster?.parts, { recordHistory: true });
  parts.add("Git sources", () => runtime.stop());
  if (cluster && runtime.scan) {
    const writers = cluster.attachScan(runtime.scan, config.report, {
      desired: runtime.state,
      policy: config.policy,
    });
    registerReportMetrics(runtime.metrics.registry, () => writers.reports.stats(), writers.leadership);
    const reverter = writers.reverter;
    if (reverter) registerRevertMetrics(runtime.metrics.registry, () => reverter.counts());
  }
  await runtime.toolsChecked;
  const server = await listen(config, runtime, logger, parts, draining);
  const webView = config.webView.enabled
    ? await startView(config, runtime, cluster, logger, parts)
    : undefined;
  // Readiness does not wait for Git (docs/contract.md §6): sync in the background, then poll.
  runtime.started.then(
    () => {
      for (const source of runtime.sources) source.startPolling();
    },
    // Only the tool check rejects, and it was awaited above.
    () => undefined,
  );
  return { server, webView };
}

/** The web view's listener (config webView): a failure names its address, as the webhook's does. */
async function startView(
  config: Config,
  runtime: Runtime,
  cluster: ReturnType<typeof connectCluster>,
  logger: Logger,
  parts: StartedParts,
): Promise<RunningServer> {
  try {
    const view = await startWebView(config, runtime, cluster, logger);
    parts.add("web view", () => view.stop());
    return view.server;
  } catch (error) {
    if (error instanceof DriftguardError) throw error;
    throw new StartupError(`the web view on ${config.webView.host}:${config.webView.port}`, error);
  }
}

/** The HTTPS server; any failure here names the address, since it is what the user checks first. */
async function listen(
  config: Config,
  runtime: Runtime,
  logger: Logger,
  parts: StartedParts,
  draining: Draining,
) {
  const { host, port, tlsCertFile, tlsKeyFile, tlsReloadIntervalMs } = config.server;
  try {
    const app = await buildWebhook(config, runtime, logger, draining);
    // While draining, every answer closes its connection: a keep-alive client moves to a new one (another
    // replica) before the listener closes, instead of sending on a socket the close then resets.
    app.addHook("onRequest", async (_request, reply) => {
      if (draining.on) reply.header("connection", "close");
    });
    // Until it listens, closing the app is all there is to stop; from then on, a graceful close.
    let server: RunningServer | undefined;
    parts.add("HTTPS server", () => (server ? server.close() : app.close()));
    server = await startServer(app, {
      host,
      port,
      certFile: tlsCertFile,
      keyFile: tlsKeyFile,
      reloadIntervalMs: tlsReloadIntervalMs,
    });
    return server;
  } catch (error) {
    // Coded errors (unreadable TLS files, the port taken) already say what and where.
    if (error instanceof DriftguardError) throw error;
    throw new StartupError(`the HTTPS server on ${host}:${port}`, error);
  }
}

/** Set on SIGTERM: from then on /readyz says not ready while /validate still answers. */
interface Draining {
  on: boolean;
}

async function buildWebhook(config: Config, runtime: Runtime, logger: Logger, draining: Draining) {
  const readiness = () => {
    const now = runtime.readiness();
    return draining.on ? { ready: false, details: { ...(now.details as object), shuttingDown: true } } : now;
  };
  return buildApp(
    {
      admit: runtime.admit,
      readiness,
      refresh: runtime.refresh,
      pushToken: await readPushToken(config),
      metrics: () => runtime.metrics.registry.metrics(),
    },
    {
      logger,
      https: await loadKeyPair({ certFile: config.server.tlsCertFile, keyFile: config.server.tlsKeyFile }),
    },
  );
}

/** Self-managed certificates: the serving pair must be on disk before the server reads it. */
function startCertificates(config: Config, logger: Logger) {
  if (config.certificates.mode !== "self-managed") return undefined;
  return manageCertificates({
    config: config.certificates,
    kubeConfig: loadKubeConfig(config.kubernetes, process.env),
    certFile: config.server.tlsCertFile,
    keyFile: config.server.tlsKeyFile,
    logger: logger.child({ component: "certificates" }),
  });
}

async function readPushToken(config: Config): Promise<string | undefined> {
  const file = config.server.pushTokenFile;
  if (file === undefined) return undefined;
  try {
    return (await readFile(file, "utf8")).trim();
  } catch (error) {
    // The reason only: the file's content is the secret.
    throw new DriftguardError(
      "DG_PUSH_TOKEN_UNREADABLE",
      `cannot read the push token: ${describeFileError(error)}`,
      {
        where: `server.pushTokenFile ${file}`,
        hint: "point server.pushTokenFile at a readable file holding the token, or remove the key to disable POST /refresh",
      },
    );
  }
}

function printDemoHint(url: string, reviewsDir: string, certsDir: string): void {
  const review = relative(process.cwd(), `${reviewsDir}/set-image.json`);
  const ca = relative(process.cwd(), `${certsDir}/ca.crt`);
  process.stdout.write(
    `Demo: Deployment shop/web is protected (enforce). Try a manual image change:\n` +
      `  curl -s --cacert ${ca} -H 'Content-Type: application/json' --data @${review} ${url}/validate\n`,
  );
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
}
