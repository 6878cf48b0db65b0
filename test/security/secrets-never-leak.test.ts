// Credentials and secret-like values never leave driftguard (docs/contract.md §2 Secrets, §9): a run with
// a token-protected Git remote (token file, and a token written into a URL), a push token, a rendered
// Helm app, a denial and an audit allowance that touch secret-like env values, a failing fetch and a
// refused push. Every log line, the answers, /readyz, /metrics and the decision history's store on disk
// are searched for each secret; the test fails on the first hit. When an sshd can be had
// (test/support/sshd.ts), a source over SSH joins, and its private key (whole, line by line, a run from
// its middle) is searched for as well, after its fetch worked and after it failed on a changed host key.
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import { buildApp } from "../../src/http/app.js";
import { type RunningServer, startServer } from "../../src/http/server.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import { deploymentManifest } from "../support/deployments.js";
import { type GitHttpServer, startGitHttpServer } from "../support/git/http-git-server.js";
import { createTestRepo } from "../support/git/test-repo.js";
import { type MemoryLogger, memoryLogger } from "../support/memory-logger.js";
import { requireRenderTools } from "../support/render-tools.js";
import { request, wireReview } from "../support/reviews.js";
import { keyFragments, makeKeyPair, requireSshd, type SshServer, startSshServer } from "../support/sshd.js";
import { type CertDir, makeCertDir, makeTempDir } from "../support/tls/cert-dir.js";
import { sendHttps } from "../support/tls/https-client.js";

const tools = requireRenderTools(["helm"]);
if (tools.skipReason !== undefined) console.warn(`secrets: ${tools.skipReason}; the Helm app is left out`);
const ssh = requireSshd();
if (ssh.skipReason !== undefined) console.warn(`secrets: ${ssh.skipReason}; the SSH source is left out`);

const SECRETS = {
  gitToken: "gittok-7a8b9c0d1e2f",
  pushToken: "pushtok-3c4d5e6f7a8b",
  gitPassword: "gitpass-1a2b3c4d5e",
  helmToken: "helmtok-4d5e6f7a8b",
  livePassword: "livepass-9z8y7x6w5v",
};

const env = (password: string) => [{ name: "DB_PASSWORD", value: password }];

describe("secrets never leak", { timeout: 120_000 }, () => {
  let tmp: string;
  let certs: CertDir;
  let git: GitHttpServer;
  let runtime: Runtime;
  let server: RunningServer;
  let log: MemoryLogger;
  let sshd: SshServer | undefined;
  let sshKey = "";
  const seen: string[] = [];

  const post = async (body: unknown, headers: Record<string, string> = {}, path = "/validate") => {
    const response = await sendHttps({
      url: `${server.url}${path}`,
      ca: await readFile(certs.caFile, "utf8"),
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
    seen.push(response.text);
    return response;
  };
  const get = async (path: string) => {
    const response = await sendHttps({
      url: `${server.url}${path}`,
      ca: await readFile(certs.caFile, "utf8"),
    });
    seen.push(response.text);
    return response;
  };

  beforeAll(async () => {
    tmp = await makeTempDir();
    certs = await makeCertDir();
    const served = join(tmp, "served");
    const repo = await createTestRepo(join(served, "remote"), tmp);
    // No namespace: each source puts it in its own (shop enforces, audit audits).
    const web = deploymentManifest({ namespace: null, env: env(SECRETS.gitPassword), replicas: 2 });
    const files: Record<string, string> = { "apps/web.yaml": JSON.stringify(web) };
    if (tools.helm !== undefined) {
      files["charts/api/Chart.yaml"] = "apiVersion: v2\nname: api\nversion: 1.0.0\n";
      files["charts/api/values.yaml"] = `apiToken: ${SECRETS.helmToken}\n`;
      files["charts/api/templates/deployment.yaml"] = [
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata: {name: api}",
        "spec:",
        "  selector: {matchLabels: {app: api}}",
        "  template:",
        "    metadata: {labels: {app: api}}",
        "    spec:",
        "      containers:",
        "        - name: api",
        '          image: "api:1"',
        '          env: [{name: API_TOKEN, value: "{{ .Values.apiToken }}"}]',
        "",
      ].join("\n");
    }
    await repo.commit("web and api", files);
    git = await startGitHttpServer({
      root: served,
      home: tmp,
      auth: { username: "bot", password: SECRETS.gitToken },
    });
    await writeFile(join(tmp, "username"), "bot\n");
    await writeFile(join(tmp, "token"), `${SECRETS.gitToken}\n`);
    await writeFile(join(tmp, "push-token"), `${SECRETS.pushToken}\n`);
    let sshSource: string[] = [];
    if (ssh.sshd !== undefined) {
      const key = await makeKeyPair(tmp, "ssh-key");
      sshKey = await readFile(key.privateKeyFile, "utf8");
      await mkdir(join(tmp, "sshd"));
      sshd = await startSshServer({
        sshd: ssh.sshd,
        dir: join(tmp, "sshd"),
        authorizedKeys: [key.publicKey],
      });
      await writeFile(join(tmp, "known_hosts"), `${sshd.knownHostsLine()}\n`);
      const url = sshd.url(join(served, "remote"));
      sshSource = [
        `  - {name: ssh, url: "${url}", paths: [apps], namespace: keys, auth: {sshKeyFile: ssh-key, knownHostsFile: known_hosts}}`,
      ];
    }
    const withToken = git.url("remote").replace("http://", `http://bot:${SECRETS.gitToken}@`);
    const apps = tools.helm === undefined ? "" : ", {path: charts/api, namespace: shop}";
    const config = parseConfig(
      [
        "mode: audit",
        "namespaces: {shop: {mode: enforce}}",
        "sources:",
        `  - {name: files, url: "${git.url("remote")}", paths: [apps${apps}], namespace: shop, auth: {usernameFile: username, tokenFile: token}}`,
        `  - {name: inurl, url: "${withToken}", paths: [apps], namespace: audit}`,
        ...sshSource,
        "stateDir: state",
        `server: {tlsCertFile: "${certs.certFile}", tlsKeyFile: "${certs.keyFile}", pushTokenFile: push-token}`,
        ...(tools.helm === undefined ? [] : [`renderers: {helm: "${tools.helm}"}`]),
      ].join("\n"),
      { file: "driftguard.yaml", dir: tmp },
    );
    log = memoryLogger();
    // Recording, as serve does: the decision records (log line and disk store) are searched too.
    runtime = createRuntime(config, log.logger, undefined, { recordHistory: true });
    await runtime.started;
    const app = buildApp(
      {
        admit: runtime.admit,
        readiness: runtime.readiness,
        refresh: runtime.refresh,
        pushToken: SECRETS.pushToken,
        metrics: () => runtime.metrics.registry.metrics(),
      },
      {
        logger: log.logger,
        https: { key: await readFile(certs.keyFile), cert: await readFile(certs.certFile) },
      },
    );
    server = await startServer(app, {
      host: "127.0.0.1",
      port: 0,
      certFile: certs.certFile,
      keyFile: certs.keyFile,
      reloadIntervalMs: 60_000,
    });
  });
  afterAll(async () => {
    await server?.close();
    await runtime?.stop();
    await git?.stop();
    await sshd?.stop();
    await certs?.remove();
    await rm(tmp, { recursive: true, force: true });
  });

  it("runs the scenario: a denial and an audit allowance on secret-like values, probes, pushes", async () => {
    const live = (namespace: string, password: string, image = "nginx:1.25") =>
      deploymentManifest({ namespace, image, env: env(password), replicas: 2, metadata: { uid: "u-1" } });
    const denied = await post(
      wireReview(
        request({
          operation: "UPDATE",
          object: live("shop", SECRETS.livePassword, "nginx:9"),
          oldObject: live("shop", SECRETS.gitPassword),
        }),
      ),
    );
    expect(denied.text).toContain('"allowed":false');
    expect(denied.text).toContain("DB_PASSWORD");
    const warned = await post(
      wireReview(
        request({
          operation: "UPDATE",
          object: live("audit", SECRETS.livePassword),
          oldObject: live("audit", SECRETS.gitPassword),
        }),
      ),
    );
    expect(warned.text).toContain('"allowed":true');
    expect(warned.text).toContain("DB_PASSWORD");
    if (tools.helm !== undefined) {
      const api = deploymentManifest({
        name: "api",
        container: "api",
        image: "api:1",
        env: [{ name: "API_TOKEN", value: "other" }],
      });
      expect((await post(wireReview(request({ operation: "CREATE", object: api })))).text).toContain(
        "API_TOKEN",
      );
    }
    expect((await post({}, { authorization: "Bearer wrong" }, "/refresh")).status).toBe(401);
    expect(
      (await post({}, { authorization: `Bearer ${SECRETS.pushToken}` }, "/refresh")).status,
    ).toBeLessThan(300);
    // The remote goes away: the fetches fail, and their errors (with the URLs they tried) are logged and shown.
    const working = Object.fromEntries(runtime.sources.map((s) => [s.name, s.status().state.kind]));
    expect(working).toEqual({ files: "synced", inurl: "synced", ...(sshd ? { ssh: "synced" } : {}) });
    await get("/readyz");
    await git.goAway();
    // The SSH remote answers with another host key: refused, and said so. The push's fetch may still be
    // under way over the old connection: wait for it (refreshes share a fetch in flight), then restart.
    if (sshd) {
      await runtime.refresh("ssh");
      await sshd.restartWithNewHostKey();
    }
    await runtime.refresh(undefined);
    const states = Object.fromEntries(runtime.sources.map((s) => [s.name, s.status().state.kind]));
    expect(states).toEqual({ files: "failing", inurl: "failing", ...(sshd ? { ssh: "failing" } : {}) });
    await get("/readyz");
    await get("/metrics");
    expect(log.text()).toContain("source refresh failed");
    // The denial and the audit allowance were recorded: the store on disk is searched like the log.
    await runtime.history?.drain();
    expect(log.text()).toContain('"msg":"decision record"');
    const store = join(tmp, "state", "history");
    for (const file of await readdir(store)) seen.push(await readFile(join(store, file), "utf8"));
    expect(seen.join("\n")).toContain('"kind":"DecisionRecord"');
  });

  it.skipIf(ssh.sshd === undefined)(
    "the SSH private key appears in no log line, answer, /readyz or /metrics",
    () => {
      const everything = [log.text(), ...seen].join("\n");
      expect(everything).toMatch(/host key of \[127\.0\.0\.1\]:\d+ has changed/);
      const { body, fragments } = keyFragments(sshKey);
      expect(body.length).toBeGreaterThan(100);
      for (const fragment of fragments) expect(everything).not.toContain(fragment);
    },
  );

  it.each(Object.entries(SECRETS))(
    "%s appears in no log line, answer, /readyz or /metrics",
    (_name, secret) => {
      const everything = [log.text(), ...seen].join("\n");
      expect(everything.length).toBeGreaterThan(1000);
      const at = everything.indexOf(secret);
      expect(at, at < 0 ? "" : everything.slice(Math.max(0, at - 200), at + 60)).toBe(-1);
    },
  );
});
