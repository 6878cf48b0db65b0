// The live scan through the real API server (docs/contract.md §10): drift made before a driftguard
// started shows in its metrics at once; fixing it removes it; the audit-mode allowance that made the
// drift counts as "enforce would have denied" (by namespace and field group); and the scan follows
// changes made after an API server crash and restart.
//
// The drift is made in the audit namespace by the admin (audit mode lets it through with warnings),
// then a second driftguard is started (its own port and state, not registered as a webhook) and read.
// The same drift is in the Report and the DriftWarned Event the webhook's driftguard wrote, and in
// `diff --cluster`.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { DriftReport } from "../../src/core/drift-report.js";
import { createTestRepo } from "../support/git/test-repo.js";
import { sendHttps } from "../support/tls/https-client.js";
import { runCli as cli } from "./support/cli.js";
import { driftguardConfigYaml } from "./support/configs.js";
import { DRIFTGUARD_USER } from "./support/control-plane.js";
import { type DriftguardProcess, startDriftguard } from "./support/driftguard.js";
import { kubectl, kubectlOk } from "./support/kubectl.js";
import { AUDIT_NS, GIT_IMAGE, webDeployment, yamlOf } from "./support/manifests.js";
import { parsePrometheusText } from "./support/metrics.js";
import { waitFor } from "./support/processes.js";

const testbed = inject("testbed");
const NAME = "scan-before";
const FILE = `scenarios/${AUDIT_NS}/${NAME}.yaml`;
const MANIFEST = webDeployment({ name: NAME, namespace: AUDIT_NS });
const admin = (args: string[], input?: string) =>
  kubectlOk(testbed, "admin", args, input === undefined ? {} : { input });
const setImage = (image: string) =>
  kubectl(testbed, "admin", ["set", "image", `deployment/${NAME}`, `web=${image}`, "-n", AUDIT_NS]);

interface Target {
  url: string;
  caPem: string;
}

async function metricsOf(target: Target): Promise<ReturnType<typeof parsePrometheusText>> {
  const text = (await sendHttps({ url: `${target.url}/metrics`, ca: target.caPem })).text;
  return parsePrometheusText(text);
}

/** The value of one series, 0 when absent. */
function seriesValue(
  samples: ReturnType<typeof parsePrometheusText>,
  name: string,
  labels: Record<string, string>,
): number {
  const found = samples.find(
    (sample) =>
      sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  return found?.value ?? 0;
}

async function scanOf(target: Target): Promise<ScanBody | undefined> {
  const body = (await sendHttps({ url: `${target.url}/readyz`, ca: target.caPem })).json() as {
    details?: { scan?: ScanBody; cluster?: { deployments?: { restarts?: number } } };
  };
  const scan = body.details?.scan;
  return scan === undefined
    ? undefined
    : { ...scan, restarts: body.details?.cluster?.deployments?.restarts ?? 0 };
}

interface ScanBody {
  state: string;
  deployments: number;
  drifted: number;
  restarts: number;
}

/** Polls the metrics of `target` until the per-object gauge of NAME reads `value`. */
async function objectDriftBecomes(target: Target, value: number, timeoutMs: number): Promise<number> {
  const started = Date.now();
  await waitFor(
    `${NAME}'s drift gauge to read ${value}`,
    async () => {
      const samples = await metricsOf(target);
      const series = samples.find(
        (sample) => sample.name === "driftguard_deployment_drifted" && sample.labels.name === NAME,
      );
      return series?.value === value ? true : undefined;
    },
    timeoutMs,
    200,
  );
  return Date.now() - started;
}

let second: DriftguardProcess | undefined;
let secondTarget: Target;
let wouldDenyBefore = 0;
let globalTarget: Target;

beforeAll(async () => {
  globalTarget = { url: testbed.driftguardUrl, caPem: await readFile(testbed.driftguardCaFile, "utf8") };
  const repo = await createTestRepo(testbed.repoDir, testbed.workDir);
  const commit = await repo.commit(`${NAME}: a Deployment the scan test drifts`, {
    [FILE]: yamlOf(MANIFEST),
  });
  await waitFor(
    `driftguard to serve ${commit.slice(0, 7)}`,
    async () => {
      const body = (
        await sendHttps({ url: `${globalTarget.url}/readyz`, ca: globalTarget.caPem })
      ).json() as {
        details?: { sources?: { name: string; state?: { commit?: string } }[] };
      };
      const source = body.details?.sources?.find((entry) => entry.name === "e2e");
      return source?.state?.commit === commit ? true : undefined;
    },
    30_000,
  );
  await admin(["apply", "-f", "-"], yamlOf(MANIFEST));
  wouldDenyBefore = seriesValue(await metricsOf(globalTarget), "driftguard_would_deny_total", {
    namespace: AUDIT_NS,
    group: "image",
  });
  // The drift, before the second driftguard exists: audit mode allows it, with warnings.
  const edit = await setImage("nginx:made-before");
  expect(edit.code, edit.stderr).toBe(0);
  expect(edit.stderr).toContain("driftguard");
}, 120_000);

afterAll(async () => {
  await second?.process.stop();
  await kubectl(testbed, "admin", ["delete", "deployment", NAME, "-n", AUDIT_NS, "--wait=false"]);
  const repo = await createTestRepo(testbed.repoDir, testbed.workDir);
  await repo.commit(`${NAME}: gone again`, { [FILE]: null });
});

describe("the live scan", () => {
  test("an audit-mode allowance counts as would-deny, by namespace and field group", async () => {
    const after = seriesValue(await metricsOf(globalTarget), "driftguard_would_deny_total", {
      namespace: AUDIT_NS,
      group: "image",
    });
    expect(after).toBe(wouldDenyBefore + 1);
    const requests = seriesValue(await metricsOf(globalTarget), "driftguard_admission_requests_total", {
      operation: "UPDATE",
      outcome: "warn",
      mode: "audit",
    });
    expect(requests).toBeGreaterThanOrEqual(1);
  });

  test("drift made before driftguard started shows in its metrics with the first table", async () => {
    const dir = join(testbed.workDir, "scan-driftguard");
    await mkdir(dir, { recursive: true });
    const started = Date.now();
    second = await startDriftguard(dir, (server) => secondConfig(dir, server));
    secondTarget = { url: second.url, caPem: second.caPem };
    const scan = await waitFor(
      "the second driftguard's first drift table",
      async () => {
        const found = await scanOf(secondTarget);
        return found?.state === "synced" ? found : undefined;
      },
      60_000,
    );
    process.stdout.write(
      `drift-scan: first table of ${scan.deployments} Deployments (${scan.drifted} drifted) ${Date.now() - started} ms after the start\n`,
    );
    const samples = await metricsOf(secondTarget);
    expect(seriesValue(samples, "driftguard_deployment_drifted", { namespace: AUDIT_NS, name: NAME })).toBe(
      1,
    );
    expect(
      seriesValue(samples, "driftguard_deployments", {
        namespace: AUDIT_NS,
        source: "e2e",
        mode: "audit",
        state: "drifted",
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      seriesValue(samples, "driftguard_drifted_fields", { namespace: AUDIT_NS, group: "image" }),
    ).toBeGreaterThanOrEqual(1);
    expect(seriesValue(samples, "driftguard_scan_synced", {})).toBe(1);
    // Never a Deployment of kube-system (excluded), and no value in any label.
    expect(samples.some((sample) => sample.labels.namespace === "kube-system")).toBe(false);
    expect(samples.some((sample) => Object.values(sample.labels).includes("nginx:made-before"))).toBe(false);
  });

  test("the same drift is in a Report, an Event and diff --cluster", async () => {
    const uid = (
      await admin(["get", "deployment", NAME, "-n", AUDIT_NS, "-o", "jsonpath={.metadata.uid}"])
    ).trim();
    const report = await waitFor(
      `${NAME}'s Report to name the image`,
      async () => {
        const found = await kubectl(testbed, "admin", [
          ...["get", "reports.openreports.io", uid, "-n", AUDIT_NS, "-o", "json"],
        ]);
        if (found.code !== 0) return undefined;
        const results = (JSON.parse(found.stdout) as { results?: { rule?: string; result?: string }[] })
          .results;
        return results?.find((result) => result.rule === "image");
      },
      30_000,
      250,
    );
    expect(report.result).toBe("warn");
    const events = JSON.parse(
      await admin([
        ...[
          "get",
          "events.events.k8s.io",
          "-n",
          AUDIT_NS,
          "--field-selector",
          "reason=DriftWarned",
          "-o",
          "json",
        ],
      ]),
    ) as { items: { regarding: { name: string }; note: string }[] };
    expect(events.items.some((event) => event.regarding.name === NAME && event.note.includes("image"))).toBe(
      true,
    );
    const dir = join(testbed.workDir, "scan-diff");
    await mkdir(dir, { recursive: true });
    const config = join(dir, "driftguard.yaml");
    await writeFile(config, secondConfig(dir, { port: 1, certFile: "unused.crt", keyFile: "unused.key" }));
    const diff = await cli(["diff", "--config", config, "--cluster", "--namespace", AUDIT_NS, "-o", "json"]);
    expect(diff.code, diff.stderr).toBe(1);
    const object = (JSON.parse(diff.stdout) as DriftReport).objects.find((entry) => entry.name === NAME);
    expect(object?.state).toBe("drifted");
    expect(object?.fields.map((field) => field.path)).toContain(
      "spec.template.spec.containers[name=web].image",
    );
  });

  test("fixing the drift removes it", async () => {
    expect((await setImage(GIT_IMAGE)).code).toBe(0);
    const ms = await objectDriftBecomes(secondTarget, 0, 15_000);
    process.stdout.write(`drift-scan: the fix reached the metrics in ${ms} ms\n`);
  });

  test("the scan survives an API server crash: a change made after the restart reaches the table", async () => {
    const before = (await scanOf(secondTarget))?.restarts ?? 0;
    const crashed = await fetch(`${testbed.controlUrl}/crash-apiserver?downMs=3000`, { method: "POST" });
    expect(crashed.status).toBe(204);
    const back = Date.now();
    // The API server answers again; the admin's edit is allowed (audit) once the webhook is reached.
    await waitFor(
      "the admin's edit after the restart",
      async () => ((await setImage("nginx:after-crash")).code === 0 ? true : undefined),
      30_000,
      500,
    );
    await objectDriftBecomes(secondTarget, 1, 30_000);
    process.stdout.write(
      `drift-scan: after an API server crash, a change reached the table ${Date.now() - back} ms after the restart\n`,
    );
    const scan = await scanOf(secondTarget);
    expect(scan?.state).toBe("synced");
    expect(scan?.restarts ?? 0).toBeGreaterThan(before);
    expect((await setImage(GIT_IMAGE)).code).toBe(0);
    await objectDriftBecomes(secondTarget, 0, 15_000);
  });
});

/** The second driftguard: the global one's source and modes, per-object metrics, never a webhook. */
function secondConfig(dir: string, server: { port: number; certFile: string; keyFile: string }): string {
  return driftguardConfigYaml({
    auditNamespace: AUDIT_NS,
    source: { name: "e2e", url: testbed.repoDir, paths: ["scenarios"], interval: "5s" },
    server,
    stateDir: join(dir, "state"),
    logLevel: "info",
    kubernetes: { watch: "on", kubeconfig: testbed.kubeconfigs[DRIFTGUARD_USER] ?? "" },
    report: { objectMetrics: true },
  });
}
