// Starts the real webhook (buildApp + startServer) on a loopback port with a fresh CA in a temp directory.
import { buildApp, type ConnectionLimits } from "../../src/http/app.js";
import { type RunningServer, startServer } from "../../src/http/server.js";
import type { AppDependencies } from "../../src/http/types.js";
import { type MemoryLogger, memoryLogger } from "../support/memory-logger.js";
import { type CertDir, makeCertDir } from "../support/tls/cert-dir.js";
import { postJson } from "../support/tls/https-client.js";
import { sampleReview } from "./helpers.js";

export interface TestServer {
  server: RunningServer;
  certDir: CertDir;
  log: MemoryLogger;
  /** POSTs a good review and returns the uid answered (the server still serves). */
  roundTrip(uid?: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startTestServer(
  deps: AppDependencies,
  reloadIntervalMs = 1000,
  shutdownTimeoutMs = 5000,
  limits: Partial<ConnectionLimits> = {},
): Promise<TestServer> {
  const certDir = await makeCertDir();
  const log = memoryLogger();
  const app = buildApp(deps, {
    logger: log.logger,
    https: { cert: certDir.certs.cert, key: certDir.certs.key },
    limits,
  });
  const server = await startServer(app, {
    host: "127.0.0.1",
    port: 0,
    certFile: certDir.certFile,
    keyFile: certDir.keyFile,
    reloadIntervalMs,
    shutdownTimeoutMs,
  });
  return {
    server,
    certDir,
    log,
    async roundTrip(uid = "round-trip") {
      const res = await postJson(`${server.url}/validate`, certDir.certs.caCert, sampleReview({ uid }));
      if (res.status !== 200) throw new Error(`expected 200, got ${res.status}: ${res.text}`);
      return (res.json() as { response: { uid: string } }).response.uid;
    },
    async stop() {
      await server.close();
      await certDir.remove();
    },
  };
}
