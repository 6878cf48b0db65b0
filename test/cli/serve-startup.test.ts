// `driftguard serve` as a user runs it (a child process), when a late startup step fails: whatever had
// started (here the cluster watch, holding open watch connections, and the Git source) is stopped, so
// the process exits 2 with one line on stderr instead of hanging with its watches running.
import { once } from "node:events";
import { writeFile } from "node:fs/promises";
import { createServer as createTcpServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestRepo } from "../support/git/test-repo.js";
import { freePort } from "../support/net.js";
import { type CertDir, makeCertDir } from "../support/tls/cert-dir.js";
import { PROMPTLY_MS, type StandInApi, serve, startApiServer } from "./serve-process.js";

const TEST_MS = PROMPTLY_MS + 10_000;

/** What serve printed for a person: stderr without its JSON log lines. */
const messageLines = (stderr: string) =>
  stderr
    .trimEnd()
    .split("\n")
    .filter((line) => !line.startsWith("{"));

describe("serve: a startup step that fails", () => {
  let tmp: string;
  let certs: CertDir;
  let api: StandInApi;
  const taken = createTcpServer();

  beforeAll(async () => {
    certs = await makeCertDir();
    tmp = certs.dir;
    const repo = await createTestRepo(join(tmp, "remote"), tmp);
    await repo.commit("web", {
      "apps/web.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "nginx:1.25"}]}
`,
    });
    api = await startApiServer();
    await writeFile(
      join(tmp, "kubeconfig"),
      `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "${api.url}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: not-a-real-token}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`,
    );
    taken.listen(0, "127.0.0.1");
    await once(taken, "listening");
  });

  afterAll(async () => {
    taken.close();
    api.server.closeAllConnections();
    api.server.close();
    await certs.remove();
  });

  async function config(
    server: Record<string, unknown>,
    more: Record<string, unknown> = {},
  ): Promise<string> {
    const file = join(tmp, `driftguard-${[...Object.keys(server), ...Object.keys(more)].join("-")}.yaml`);
    await writeFile(
      file,
      JSON.stringify({
        sources: [{ name: "apps", url: "./remote", paths: ["apps"] }],
        stateDir: "./state",
        kubernetes: { watch: "on", kubeconfig: "./kubeconfig" },
        server: { host: "127.0.0.1", tlsCertFile: certs.certFile, tlsKeyFile: certs.keyFile, ...server },
        ...more,
      }),
    );
    return file;
  }

  it("the port already in use: stops the watches and exits 2 promptly, saying so in one line", {
    timeout: TEST_MS,
  }, async () => {
    const address = taken.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const watchesBefore = api.watches();
    const run = await serve(await config({ port }));
    process.stdout.write(`serve with its port taken exited ${run.code} after ${run.ms} ms\n`);
    expect(run.hung, `still running after ${PROMPTLY_MS} ms`).toBe(false);
    expect(run.code).toBe(2);
    expect(api.watches()).toBeGreaterThan(watchesBefore); // the cluster watch had started
    expect(run.stderr).not.toContain("did not stop cleanly");
    expect(messageLines(run.stderr)).toEqual([
      `driftguard: cannot listen: the address is already in use (server.host 127.0.0.1, server.port ${port})`,
      "  stop the other process listening there, or set server.port to a free port",
    ]);
  });

  it("the web view's port in use: the webhook and the watches stop, the error names webView.port", {
    timeout: TEST_MS,
  }, async () => {
    const address = taken.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const run = await serve(
      await config({ port: await freePort() }, { webView: { enabled: true, host: "127.0.0.1", port } }),
    );
    expect(run.hung, `still running after ${PROMPTLY_MS} ms`).toBe(false);
    expect(run.code).toBe(2);
    expect(run.stderr).not.toContain("did not stop cleanly");
    expect(messageLines(run.stderr)).toEqual([
      `driftguard: cannot listen: the address is already in use (webView.host 127.0.0.1, webView.port ${port})`,
      "  stop the other process listening there, or set webView.port to a free port",
    ]);
  });

  it("the web view beyond loopback with no API server to check tokens: refused at start, never open", {
    timeout: TEST_MS,
  }, async () => {
    const run = await serve(
      await config(
        { port: await freePort() },
        { kubernetes: { watch: "off" }, webView: { enabled: true, host: "0.0.0.0", port: await freePort() } },
      ),
    );
    expect(run.hung, `still running after ${PROMPTLY_MS} ms`).toBe(false);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("webView.host 0.0.0.0 is beyond loopback");
    expect(run.stderr).toContain("keep webView.host 127.0.0.1");
  });

  it("an unreadable TLS key: the same, naming the file", { timeout: TEST_MS }, async () => {
    const run = await serve(await config({ port: await freePort(), tlsKeyFile: join(tmp, "missing.key") }));
    expect(run.hung, `still running after ${PROMPTLY_MS} ms`).toBe(false);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("cannot serve TLS");
    expect(run.stderr).toContain(join(tmp, "missing.key"));
  });

  it("started fine: SIGTERM stops every part the same way and exits 0", { timeout: TEST_MS }, async () => {
    const run = await serve(await config({ port: await freePort() }), true);
    expect(run.hung, `still running after ${PROMPTLY_MS} ms`).toBe(false);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('"msg":"shutting down"');
    expect(run.stderr).not.toContain("did not stop cleanly");
  });
});
