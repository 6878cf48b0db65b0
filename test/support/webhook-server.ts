// driftguard's runtime and HTTPS app on 127.0.0.1 from a config, built as `serve` builds them, for tests
// that talk to the whole webhook over real TLS (the service test, the fuzzer).
import { readFile } from "node:fs/promises";
import pino from "pino";
import type { Config } from "../../src/config/types.js";
import { buildApp } from "../../src/http/app.js";
import { startServer } from "../../src/http/server.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";

export interface RunningWebhook {
  url: string;
  runtime: Runtime;
  /** Closes the server, then stops the runtime's sources. */
  stop(): Promise<void>;
}

/** Waits for the first sync, then listens on a free port with the config's serving pair. */
export async function startWebhook(config: Config): Promise<RunningWebhook> {
  const logger = pino({ level: "silent" });
  const runtime = createRuntime(config, logger);
  await runtime.started;
  const { tlsCertFile: certFile, tlsKeyFile: keyFile } = config.server;
  const app = buildApp(
    { admit: runtime.admit, readiness: runtime.readiness, refresh: runtime.refresh },
    { logger, https: { key: await readFile(keyFile), cert: await readFile(certFile) } },
  );
  const server = await startServer(app, {
    host: "127.0.0.1",
    port: 0,
    certFile,
    keyFile,
    reloadIntervalMs: 60_000,
  });
  return {
    url: server.url,
    runtime,
    async stop() {
      await server.close();
      await runtime.stop();
    },
  };
}
