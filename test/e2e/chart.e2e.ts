// The Helm chart against the real API server: every manifest it renders, for every ci scenario, passes
// a server-side dry-run; then the chart is installed and its self-managed certificates are exercised:
// first start, restart, rotation. The test bed has no kubelet, so the chart's pods never run: driftguard
// runs here as a local process with the config the chart rendered and the chart's ServiceAccount
// token, and the webhook configuration calls it by URL (values `webhook.url`, for exactly this case).
import { X509Certificate } from "node:crypto";
import { readdirSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { connect } from "node:tls";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { parse, parseAllDocuments, stringify } from "yaml";
import { CHART_DIR, helm } from "../chart/helm.js";
import { createTestRepo } from "../support/git/test-repo.js";
import { ALICE } from "./support/cluster-setup.js";
import { REPO_ROOT } from "./support/driftguard.js";
import { writeKubeconfigWithToken } from "./support/kubeconfig.js";
import { kubectl, kubectlOk } from "./support/kubectl.js";
import { webDeployment, yamlOf } from "./support/manifests.js";
import { freePort, type Managed, startProcess, waitFor } from "./support/processes.js";

const testbed = inject("testbed");
const NAMESPACE = "driftguard-chart";
const APPS = "e2e-chart-apps";
const RELEASE = "dg";
const FULLNAME = "dg-driftguard";
const SECRET = "dg-driftguard-tls";
const SCENARIOS = readdirSync(join(CHART_DIR, "ci")).filter((file) => file.endsWith(".yaml"));
// The test bed has no CRDs for these: the chart tests check them as rendered templates only.
const WITHOUT_CRD = new Set(["Certificate", "Issuer", "ServiceMonitor"]);

const admin = (args: string[], input?: string) =>
  kubectlOk(testbed, "admin", args, input === undefined ? {} : { input });
const helmAsAdmin = (args: string[]) => helm(args, { KUBECONFIG: testbed.kubeconfigs.admin ?? "" });

describe("every manifest the chart renders is accepted by the API server (server-side dry-run)", () => {
  beforeAll(() => admin(["create", "namespace", NAMESPACE]));

  test.each(SCENARIOS)("%s", async (scenario) => {
    const rendered = await helm([
      "template",
      RELEASE,
      CHART_DIR,
      "-n",
      NAMESPACE,
      "-f",
      join(CHART_DIR, "ci", scenario),
    ]);
    expect(rendered.code, rendered.stderr).toBe(0);
    const docs = parseAllDocuments(rendered.stdout)
      .map((doc) => doc.toJS() as { kind: string } | null)
      .filter((doc) => doc !== null);
    const checkable = docs.filter((doc) => !WITHOUT_CRD.has(doc.kind));
    const result = await kubectl(testbed, "admin", ["apply", "--dry-run=server", "-f", "-"], {
      input: checkable.map((doc) => stringify(doc)).join("---\n"),
    });
    expect(result.code, result.stderr).toBe(0);
    const accepted = result.stdout.split("\n").filter((line) => line.includes("(server dry run)")).length;
    process.stdout.write(
      `chart ${scenario}: ${accepted} of ${checkable.length} objects accepted by the API server; ` +
        `${docs.length - checkable.length} without a CRD here (${
          docs
            .filter((d) => WITHOUT_CRD.has(d.kind))
            .map((d) => d.kind)
            .join(", ") || "none"
        })\n`,
    );
    expect(accepted).toBe(checkable.length);
  });
});

describe("installed with helm: self-managed certificates", () => {
  const dir = join(testbed.workDir, "chart-install");
  let port = 0;
  let saKubeconfig = "";
  let chartConfig: Record<string, unknown> = {};
  let driftguard: Managed | undefined;

  beforeAll(async () => {
    await mkdir(dir, { recursive: true });
    port = await freePort();
    const repo = await createTestRepo(join(dir, "repo"), dir);
    await repo.commit("chart app", {
      "chart-apps/app.yaml": yamlOf(webDeployment({ name: "app", namespace: APPS })),
    });
    await admin(["create", "namespace", APPS]);
    const values = {
      webhook: { url: `https://127.0.0.1:${port}/validate`, includeNamespaces: [APPS], timeoutSeconds: 5 },
      certificates: { validity: "3m", renewBefore: "1m", checkInterval: "2s" },
      // The test bed installed the DecisionRecord CRD before any release (as a cluster that manages its
      // CRDs itself): Helm refuses to adopt an object another owner made.
      history: { installCRD: false },
      config: {
        mode: "enforce",
        sources: [{ name: "chart-e2e", url: repo.dir, paths: ["chart-apps"], interval: "5s" }],
      },
    };
    await writeFile(join(dir, "values.yaml"), stringify(values));
    const installed = await helmAsAdmin([
      "install",
      RELEASE,
      CHART_DIR,
      "-n",
      NAMESPACE,
      "-f",
      join(dir, "values.yaml"),
      "--wait=false",
    ]);
    expect(installed.code, installed.stderr).toBe(0);
    const configText = await admin([
      "get",
      "configmap",
      FULLNAME,
      "-n",
      NAMESPACE,
      "-o",
      "jsonpath={.data.driftguard\\.yaml}",
    ]);
    chartConfig = parse(configText) as Record<string, unknown>;
    // The chart's own identity: a token for its ServiceAccount, with exactly the chart's RBAC.
    const token = (await admin(["create", "token", FULLNAME, "-n", NAMESPACE, "--duration=1h"])).trim();
    saKubeconfig = join(dir, "kubeconfig-chart");
    await writeKubeconfigWithToken(testbed, saKubeconfig, token);
  });

  afterAll(async () => {
    await driftguard?.stop();
    await helmAsAdmin(["uninstall", RELEASE, "-n", NAMESPACE]);
  });

  /**
   * The chart's config, pointed at local files and the chart's token (what the pod would mount). A
   * second replica gets its own port and files: `replica` names them.
   */
  async function start(
    certificates: Record<string, unknown> = {},
    replica = "a",
    at = port,
  ): Promise<Managed> {
    const files = join(dir, replica);
    await mkdir(files, { recursive: true });
    const config = structuredClone(chartConfig) as Record<string, any>;
    config.server = {
      host: "127.0.0.1",
      port: at,
      tlsCertFile: join(files, "tls.crt"),
      tlsKeyFile: join(files, "tls.key"),
      tlsReloadInterval: "1s",
    };
    config.stateDir = join(files, "state");
    config.kubernetes = { watch: "on", kubeconfig: saKubeconfig };
    config.certificates = { ...config.certificates, ipAddresses: ["127.0.0.1"], ...certificates };
    await writeFile(join(files, "driftguard.yaml"), stringify(config));
    const process = startProcess(
      `driftguard-chart-${replica}`,
      globalThis.process.execPath,
      [join(REPO_ROOT, "dist/cli/main.js"), ...["serve", "--config", join(files, "driftguard.yaml")]],
      { logFile: join(files, "driftguard.log") },
    );
    await waitFor(
      `driftguard replica ${replica} to serve`,
      () => servingCertificate(at).then((pem) => (pem ? true : undefined)),
      60_000,
      200,
      () => (process.isRunning() ? undefined : `driftguard exited; see ${process.logFile}`),
    );
    return process;
  }

  async function secret(): Promise<{ resourceVersion: string; data: Record<string, string> }> {
    const object = JSON.parse(await admin(["get", "secret", SECRET, "-n", NAMESPACE, "-o", "json"]));
    const data = Object.fromEntries(
      Object.entries(object.data as Record<string, string>).map(([key, value]) => [
        key,
        Buffer.from(value, "base64").toString(),
      ]),
    );
    return { resourceVersion: object.metadata.resourceVersion, data };
  }

  async function caBundle(): Promise<string> {
    const b64 = await admin([
      "get",
      "validatingwebhookconfiguration",
      FULLNAME,
      "-o",
      "jsonpath={.webhooks[0].clientConfig.caBundle}",
    ]);
    return Buffer.from(b64, "base64").toString();
  }

  /** The certificate the running server presents (PEM), or undefined when nothing listens. */
  function servingCertificate(at = port): Promise<string | undefined> {
    return new Promise((resolve) => {
      const socket = connect({ host: "127.0.0.1", port: at, rejectUnauthorized: false }, () => {
        const raw = socket.getPeerCertificate().raw;
        socket.end();
        resolve(raw ? new X509Certificate(raw).toString() : undefined);
      });
      socket.on("error", () => resolve(undefined));
    });
  }

  /** A drift through the API server, answered by the chart's webhook (never "failed calling webhook"). */
  async function expectDriftDenied(): Promise<void> {
    const result = await kubectl(testbed, ALICE.name, [
      ...["set", "image", "deployment/app", "web=nginx:drift", "-n", APPS, "--dry-run=server"],
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('source "chart-e2e"');
  }

  test("first start: the Secret is created, the caBundle set, and the API server calls driftguard", async () => {
    driftguard = await start();
    const { data } = await secret();
    expect(Object.keys(data).sort()).toEqual(["ca-bundle.crt", "ca.crt", "ca.key", "tls.crt", "tls.key"]);
    await waitFor(
      "the caBundle",
      async () => ((await caBundle()) === data["ca-bundle.crt"] ? true : undefined),
      15_000,
    );
    expect(new X509Certificate((await servingCertificate()) ?? "").toString()).toBe(
      new X509Certificate(data["tls.crt"] ?? "").toString(),
    );
    await admin(["apply", "-f", "-"], yamlOf(webDeployment({ name: "app", namespace: APPS })));
    await expectDriftDenied();
  });

  test("restart: the same CA and pair are reused, nothing is rewritten", async () => {
    const before = await secret();
    await driftguard?.stop();
    driftguard = await start();
    const after = await secret();
    expect(after.resourceVersion).toBe(before.resourceVersion);
    expect(await caBundle()).toBe(before.data["ca-bundle.crt"]);
    await expectDriftDenied();
  });

  test("rotation inside the renewal window: new pair, both CAs trusted, reloaded without a restart", async () => {
    const before = await secret();
    const remainingMs = Date.parse(new X509Certificate(before.data["tls.crt"] ?? "").validTo) - Date.now();
    await driftguard?.stop();
    // Due six seconds from now: the running process, not its start, must do the rotation.
    driftguard = await start({ renewBefore: `${Math.floor((remainingMs - 6_000) / 1000)}s` });
    const running = driftguard;
    const after = await waitFor(
      "a rotated Secret",
      async () => {
        const now = await secret();
        return now.data["tls.crt"] !== before.data["tls.crt"] ? now : undefined;
      },
      30_000,
      500,
    );
    const bundle = after.data["ca-bundle.crt"] ?? "";
    expect(bundle.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(bundle).toContain((before.data["ca.crt"] ?? "").trim());
    await waitFor(
      "the caBundle to follow",
      async () => ((await caBundle()) === bundle ? true : undefined),
      15_000,
    );
    const rotated = new X509Certificate(after.data["tls.crt"] ?? "").toString();
    await waitFor(
      "the server to reload",
      async () => ((await servingCertificate()) === rotated ? true : undefined),
      15_000,
    );
    expect(running.isRunning()).toBe(true);
    await expectDriftDenied();
  });

  test("two replicas starting at once on no Secret settle on one CA and pair", async () => {
    await driftguard?.stop();
    await admin(["delete", "secret", SECRET, "-n", NAMESPACE]);
    const otherPort = await freePort();
    const [a, b] = await Promise.all([start({}, "a"), start({}, "b", otherPort)]);
    driftguard = a;
    try {
      const { data } = await secret();
      const pair = new X509Certificate(data["tls.crt"] ?? "").toString();
      expect(await servingCertificate(port)).toBe(pair);
      expect(await servingCertificate(otherPort)).toBe(pair);
      expect(data["ca-bundle.crt"]?.match(/BEGIN CERTIFICATE/g)).toHaveLength(1);
      await waitFor(
        "the caBundle",
        async () => ((await caBundle()) === data["ca-bundle.crt"] ? true : undefined),
        15_000,
      );
      await expectDriftDenied();
    } finally {
      await b.stop();
    }
  });

  test("helm upgrade keeps the caBundle driftguard set (no window where the API server cannot call it)", async () => {
    const bundle = await caBundle();
    const upgraded = await helmAsAdmin([
      "upgrade",
      RELEASE,
      CHART_DIR,
      "-n",
      NAMESPACE,
      "--reuse-values",
      "--wait=false",
    ]);
    expect(upgraded.code, upgraded.stderr).toBe(0);
    expect(await caBundle()).toBe(bundle);
    await expectDriftDenied();
  });

  test("a rewrite that drops the caBundle (a GitOps sync, kubectl apply) is undone at once, not at the next check", async () => {
    await driftguard?.stop();
    driftguard = await start({ checkInterval: "10m" }); // only the watch can restore it in time
    const bundle = await caBundle();
    await admin([
      ...["patch", "validatingwebhookconfiguration", FULLNAME, "--type=json"],
      ...["-p", '[{"op":"remove","path":"/webhooks/0/clientConfig/caBundle"}]'],
    ]);
    const started = Date.now();
    await waitFor(
      "the caBundle to be restored",
      async () => ((await caBundle()) === bundle ? true : undefined),
      10_000,
      50,
    );
    process.stdout.write(`chart: a dropped caBundle was restored in ${Date.now() - started} ms\n`);
    await expectDriftDenied();
  });
});
