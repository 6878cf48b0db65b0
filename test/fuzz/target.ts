// The system under fuzz: driftguard's own app and server (buildApp + startServer) over HTTPS on
// 127.0.0.1, enforce mode, reading a real Git repository that holds the seed Deployments' manifests.
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import pino from "pino";
import { parseConfig } from "../../src/config/load-config.js";
import { buildApp } from "../../src/http/app.js";
import { startServer } from "../../src/http/server.js";
import { createRuntime } from "../../src/runtime.js";
import { createTestRepo } from "../support/git/test-repo.js";
import { makeCertDir, makeTempDir } from "../support/tls/cert-dir.js";

export interface Target {
  url: string;
  ca: string;
  commit: string;
  stop(): Promise<void>;
}

export async function startTarget(gitFiles: Record<string, string>): Promise<Target> {
  const tmp = await makeTempDir("driftguard-fuzz-");
  const repo = await createTestRepo(join(tmp, "remote"), tmp);
  const commit = await repo.commit("fuzz seed manifests", gitFiles);
  const certs = await makeCertDir();
  // onDemandAfter is long: every denial would otherwise fetch Git again, and a fuzz run is thousands of
  // denials against a repository that does not change.
  const config = parseConfig(
    `mode: enforce
sources: [{name: fuzz, url: "${repo.dir}", paths: [fuzz], interval: 1h}]
gitops: {users: [gitops-bot]}
server: {tlsCertFile: "${certs.certFile}", tlsKeyFile: "${certs.keyFile}"}
stateDir: "${join(tmp, "state")}"
refresh: {onDemandAfter: 1h, timeout: 10s}
`,
    { file: join(tmp, "driftguard.yaml"), dir: tmp },
  );
  const logger = pino({ level: "silent" });
  const runtime = createRuntime(config, logger);
  await runtime.started;
  const app = buildApp(
    { admit: runtime.admit, readiness: runtime.readiness, refresh: runtime.refresh },
    { logger, https: { key: await readFile(certs.keyFile), cert: await readFile(certs.certFile) } },
  );
  const server = await startServer(app, {
    host: "127.0.0.1",
    port: 0,
    certFile: certs.certFile,
    keyFile: certs.keyFile,
    reloadIntervalMs: 60_000,
  });
  return {
    url: server.url,
    ca: await readFile(certs.caFile, "utf8"),
    commit,
    async stop() {
      await server.close();
      await runtime.stop();
      await certs.remove();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}
