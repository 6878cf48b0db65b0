// `driftguard serve`: the webhook. Without --config it runs the built-in demo.
import { readFile } from "node:fs/promises";
import { relative } from "node:path";
import { loadConfig } from "../config/load-config.js";
import type { Config } from "../config/types.js";
import { setUpDemo } from "../demo/setup.js";
import { DriftguardError, describeFileError } from "../errors.js";
import { buildApp } from "../http/app.js";
import { loadKeyPair, startServer } from "../http/server.js";
import { connectCluster } from "../kube/connect.js";
import { loadKubeConfig } from "../kube/kubeconfig.js";
import { manageCertificates } from "../kube/self-managed-certs.js";
import { createRuntime } from "../runtime.js";
import { parse } from "./args.js";
import { createLogger } from "./logger.js";

const HELP = `driftguard serve [--config FILE]

Runs the HTTPS validating admission webhook: POST /validate, GET /healthz, GET /readyz, GET /metrics,
POST /refresh (push webhook, when server.pushTokenFile is set). TLS key and certificate are read from
the files in the config and reloaded when they change.

Without --config, a demo starts on https://127.0.0.1:8443: a local Git repository made from example
manifests, a CA and serving certificate under certs/, and sample reviews to send with curl.`;

export async function runServe(args: string[]): Promise<number> {
  const parsed = parse(args, { config: { type: "string", short: "c" } }, HELP);
  if (!parsed) return 0;
  const demo = parsed.values.config === undefined ? await setUpDemo(process.cwd()) : undefined;
  const config = loadConfig(parsed.values.config ?? demo?.configFile ?? "");
  const logger = createLogger(config.logLevel);
  const certificates = startCertificates(config, logger);
  await certificates?.ready;
  const cluster = connectCluster(config.kubernetes, process.env, logger);
  const runtime = createRuntime(config, logger, cluster?.parts);
  const app = buildApp(
    {
      admit: runtime.admit,
      readiness: runtime.readiness,
      refresh: runtime.refresh,
      pushToken: await readPushToken(config),
      metrics: () => runtime.metrics.registry.metrics(),
    },
    {
      logger,
      https: await loadKeyPair({ certFile: config.server.tlsCertFile, keyFile: config.server.tlsKeyFile }),
    },
  );
  const server = await startServer(app, {
    host: config.server.host,
    port: config.server.port,
    certFile: config.server.tlsCertFile,
    keyFile: config.server.tlsKeyFile,
    reloadIntervalMs: config.server.tlsReloadIntervalMs,
  });
  // Readiness does not wait for Git (SPEC §6): sync in the background, then poll.
  void runtime.started.then(() => {
    for (const source of runtime.sources) source.startPolling();
  });
  process.stdout.write(`driftguard listening on ${server.url} (POST /validate)\n`);
  if (demo) printDemoHint(server.url, demo.reviewsDir, demo.certsDir);
  await waitForSignal();
  logger.info("shutting down");
  await server.close();
  await runtime.stop();
  await cluster?.stop();
  certificates?.stop();
  return 0;
}

/** Self-managed certificates: the serving pair must be on disk before the server reads it. */
function startCertificates(config: Config, logger: ReturnType<typeof createLogger>) {
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
