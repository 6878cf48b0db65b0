// The system under fuzz: driftguard's own app and server (buildApp + startServer) over HTTPS on
// 127.0.0.1, enforce mode, reading a real Git repository that holds the seed Deployments' manifests.
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { parseConfig } from "../../src/config/load-config.js";
import { createTestRepo } from "../support/git/test-repo.js";
import { makeCertDir, makeTempDir } from "../support/tls/cert-dir.js";
import { startWebhook } from "../support/webhook-server.js";

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
  const webhook = await startWebhook(config);
  return {
    url: webhook.url,
    ca: await readFile(certs.caFile, "utf8"),
    commit,
    async stop() {
      await webhook.stop();
      await certs.remove();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}
