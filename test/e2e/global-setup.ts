// The e2e run's one control plane: builds (or finds cached) the test bed binaries, starts etcd,
// kube-apiserver and kube-controller-manager on loopback, a Git repository made for the run, driftguard
// serving from the built CLI, and the ValidatingWebhookConfiguration that points the API server at it.
// At the end it prints the webhook's latency as the API server measured it.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { createTestRepo } from "../support/git/test-repo.js";
import { sendHttps } from "../support/tls/https-client.js";
import { ALICE, BOB, GITOPS, HPA, prepareCluster, webhookConfiguration } from "./support/cluster-setup.js";
import { driftguardConfigYaml } from "./support/configs.js";
import { ADMIN, type ControlPlane, DRIFTGUARD_USER, startControlPlane } from "./support/control-plane.js";
import { type DriftguardProcess, startDriftguard } from "./support/driftguard.js";
import { kubectl, kubectlOk } from "./support/kubectl.js";
import { corpusFiles, ENFORCE_NS, scenarioFiles } from "./support/manifests.js";
import { summarizeDriftguardMetrics, summarizeWebhookMetrics } from "./support/metrics.js";
import { freePort, waitFor } from "./support/processes.js";
import { type RenderedSetup, renderedSetup, renderedSourcesYaml, renderersYaml } from "./support/rendered.js";
import { searchRunFiles } from "./support/run-artefacts.js";
import { buildTestbed } from "./support/testbed-build.js";
import type { TestbedInfo } from "./support/testbed-info.js";

export const WEBHOOK_CONFIGURATION = "driftguard";
/** The API server labels its webhook metrics with the webhook's own name. */
export const WEBHOOK_NAME = "deployments.driftguard.io";

let plane: ControlPlane | undefined;
let driftguard: DriftguardProcess | undefined;
let workDir: string | undefined;
let control: Server | undefined;

export async function setup(project: TestProject): Promise<void> {
  const binDir = buildTestbed();
  workDir = await mkdtemp(join(tmpdir(), "driftguard-e2e-"));
  process.stdout.write(`e2e: test bed binaries in the build cache; logs and state in ${workDir}\n`);
  plane = await startControlPlane({ binDir, workDir, users: [ALICE, BOB] });
  const corpus = corpusFiles();
  if (!corpus.layout)
    process.stdout.write("e2e: ../shared/corpus is not beside the repository: corpus fidelity skipped\n");
  const rendered = renderedSetup();
  if (!rendered.ok) process.stdout.write(`e2e: no rendered apps: ${rendered.reason}\n`);
  const repo = await createTestRepo(join(workDir, "repo"), workDir);
  await repo.commit("Desired state for the e2e run", {
    ...scenarioFiles(),
    ...corpus.files,
    ...(rendered.ok ? rendered.files : {}),
  });

  const kubeconfigs: Record<string, string> = {};
  for (const user of [ADMIN, ALICE.name, BOB.name, DRIFTGUARD_USER])
    kubeconfigs[user] = plane.kubeconfig(user);
  const testbed: TestbedInfo = {
    server: plane.server,
    apiCaFile: plane.pki.caFile,
    binDir,
    workDir,
    kubeconfigs,
    repoDir: repo.dir,
    driftguardUrl: "",
    driftguardCaFile: "",
    webViewUrl: "",
    auditLog: "",
    controlUrl: "",
    corpus: corpus.layout,
    rendered: rendered.ok ? rendered.layout : undefined,
    renderedMissing: rendered.ok ? undefined : { reason: rendered.reason, required: rendered.required },
  };
  await prepareCluster(testbed, [
    ...Object.keys(corpus.layout?.namespaces ?? {}),
    ...(rendered.ok ? rendered.layout.namespaces : []),
  ]);

  const driftguardKubeconfig = plane.kubeconfig(DRIFTGUARD_USER);
  // The web view on all addresses, so beyond loopback: HTTPS and bearer tokens, as in a cluster.
  const webViewPort = await freePort();
  driftguard = await startDriftguard(workDir, (server) =>
    driftguardConfig(repo.dir, workDir ?? "", server, driftguardKubeconfig, rendered, webViewPort),
  );
  testbed.webViewUrl = `https://127.0.0.1:${webViewPort}`;
  testbed.driftguardUrl = driftguard.url;
  testbed.driftguardCaFile = driftguard.caFile;
  testbed.auditLog = plane.auditLog;
  await kubectlOk(testbed, ADMIN, ["apply", "-f", "-"], {
    input: webhookConfiguration(WEBHOOK_CONFIGURATION, driftguard.url, driftguard.caPem),
  });
  await waitForWebhook(testbed);
  testbed.controlUrl = await startControlServer(plane);
  await writeFile(join(workDir, "testbed.json"), JSON.stringify(testbed, null, 2));
  project.provide("testbed", testbed);
}

/**
 * Test files run in other processes than this setup, which owns the control plane; this loopback
 * endpoint lets them crash and restart the API server (POST /crash-apiserver?downMs=N).
 */
async function startControlServer(controlPlane: ControlPlane): Promise<string> {
  control = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    if (request.method !== "POST" || url.pathname !== "/crash-apiserver") {
      response.writeHead(404).end();
      return;
    }
    const downMs = Number(url.searchParams.get("downMs") ?? "1000");
    controlPlane.crashApiServer(downMs).then(
      () => response.writeHead(204).end(),
      (error: Error) => response.writeHead(500).end(error.message),
    );
  });
  await new Promise<void>((resolve) => control?.listen(0, "127.0.0.1", resolve));
  const address = control.address();
  return `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
}

export async function teardown(): Promise<void> {
  control?.close();
  if (plane) await printApiServerFigures(plane);
  if (driftguard) await printDriftguardFigures(driftguard);
  await driftguard?.process.stop();
  await plane?.stop();
  // Every driftguard of the run has stopped: its logs and stores are whole (docs/reliability.md, Secrets).
  const secrets = workDir ? await searchRunFiles(workDir) : undefined;
  if (secrets) process.stdout.write(`e2e: secrets over the whole run: ${secrets.summary}\n`);
  if (workDir && !process.env.DRIFTGUARD_E2E_KEEP) await rm(workDir, { recursive: true, force: true });
  else if (workDir) process.stdout.write(`e2e: kept ${workDir} (DRIFTGUARD_E2E_KEEP)\n`);
  if (secrets?.leak) throw new Error(`e2e: a planted secret leaked: ${secrets.leak}`);
}

function driftguardConfig(
  repoDir: string,
  dir: string,
  server: { port: number; certFile: string; keyFile: string },
  kubeconfig: string,
  rendered: RenderedSetup,
  webViewPort: number,
) {
  return driftguardConfigYaml({
    auditNamespace: "e2e-audit",
    source: { name: "e2e", url: repoDir, paths: ["scenarios", "corpus"], interval: "5s" },
    ...(rendered.ok
      ? {
          moreSources: renderedSourcesYaml(repoDir, rendered.layout),
          renderers: renderersYaml(rendered.tools),
        }
      : {}),
    accounts: { hpa: HPA, gitops: GITOPS },
    server,
    stateDir: join(dir, "driftguard-state"),
    logLevel: "info",
    kubernetes: { watch: "on", kubeconfig },
    webView: { host: "0.0.0.0", port: webViewPort },
  });
}

/** The API server picks webhook configurations up asynchronously: probe until driftguard answers. */
async function waitForWebhook(testbed: TestbedInfo): Promise<void> {
  await waitFor(
    "the API server to call driftguard",
    async () => {
      const result = await kubectl(testbed, ALICE.name, [
        "set",
        "image",
        "deployment/probe",
        "web=nginx:probe",
        "-n",
        ENFORCE_NS,
        "--dry-run=server",
      ]);
      return result.code !== 0 && result.stderr.includes("driftguard:") ? true : undefined;
    },
    30_000,
    500,
  );
}

async function printDriftguardFigures(running: DriftguardProcess): Promise<void> {
  try {
    const text = (await sendHttps({ url: `${running.url}/metrics`, ca: running.caPem })).text;
    process.stdout.write(
      `e2e: driftguard's own view of its answers (this process only)\n${summarizeDriftguardMetrics(text)}\n`,
    );
  } catch (error) {
    process.stdout.write(`e2e: could not read driftguard's metrics: ${(error as Error).message}\n`);
  }
}

async function printApiServerFigures(controlPlane: ControlPlane): Promise<void> {
  try {
    // Histograms add up across API server restarts: one summary of every call in the run.
    const texts = await controlPlane.metricsSoFar();
    const summary = summarizeWebhookMetrics(texts.join("\n"), WEBHOOK_NAME);
    process.stdout.write(`\ne2e: the API server's view of driftguard over the whole run\n${summary.text}\n`);
    if (workDir)
      await writeFile(join(workDir, "apiserver-webhook-metrics.json"), JSON.stringify(summary, null, 2));
  } catch (error) {
    process.stdout.write(`e2e: could not read the API server's metrics: ${(error as Error).message}\n`);
  }
}
