// Part `scan`: the live scan against the real test bed API server (issue 11, item 8). N Deployments
// (5,000 by default) created by the admin in N/100 namespaces, the same N manifests in a Git repository;
// then `driftguard serve` (the built CLI, watching the API server) twice: with report.scan off, then on.
//
// Figures: time from the start to the first full drift table, CPU per watch event (patches of K
// objects until K recomputes are counted), a full recompute on a new Git revision, RSS of driftguard,
// and admission p99 with and without the scan under the same load of reviews, while objects change
// and a Git revision lands during the load (the scan's worst moments).
//
// BENCH_SCAN_DEPLOYMENTS=N (default 5000) and BENCH_SCAN_SECONDS=S (load per run, default 10) make it
// smaller; BENCH_QUICK=1 is 500 Deployments and 3 s runs.
//
// The manifests are paused Deployments: the controller then makes no ReplicaSets and no Pods (no
// scheduler here), so that the API server's size is the Deployments' own; Git says paused too.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { join } from "node:path";
import { AppsV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { stringify } from "yaml";
import type { JsonObject } from "../../src/core/types.js";
import { driftguardConfigYaml } from "../e2e/support/configs.js";
import { ADMIN, type ControlPlane, startControlPlane } from "../e2e/support/control-plane.js";
import { buildTestbed } from "../e2e/support/testbed-build.js";
import { type Child, startChild } from "./child.js";
import { tempDir } from "./cleanup.js";
import { deployment } from "./deployment.js";
import { run } from "./exec.js";
import { freePort } from "./fixture.js";
import { commitAll, git } from "./git.js";
import { httpsRequest } from "./https-client.js";
import { CLI, REPO_ROOT } from "./paths.js";
import { cpuMicros } from "./proc-cpu.js";
import { intBetween, seeded } from "./random.js";
import { atMost, below, info, type Row } from "./report.js";

const PART = "scan";
const PER_NAMESPACE = 100;
const CREATE_CONCURRENCY = 24;
const LOAD_CONCURRENCY = 8;
/** Objects patched to price one watch event. */
const EVENT_SAMPLE = 500;
/** Patches per second while the load runs: the watch keeps delivering while admission is measured. */
const CHURN_PER_SECOND = 20;
const TARGET_FIRST_TABLE_S = 10;
const TARGET_RSS_MB = 400;
const TARGET_P99_RATIO = 1.1;
const AUDIT_NAMESPACE = "team-01";
const PUSH_TOKEN = "bench-push-token";

interface Setup {
  dir: string;
  plane: ControlPlane;
  kubeConfig: KubeConfig;
  apps: AppsV1Api;
  repo: string;
  names: { namespace: string; name: string }[];
  certsDir: string;
  ca: Buffer;
  reviews: string[];
}

export async function runScan(log: (line: string) => void): Promise<Row[]> {
  const quick = process.env.BENCH_QUICK === "1";
  const size = Number(process.env.BENCH_SCAN_DEPLOYMENTS ?? (quick ? 500 : 5000));
  const seconds = Number(process.env.BENCH_SCAN_SECONDS ?? (quick ? 3 : 10));
  const rows: Row[] = [info(PART, "Deployments (live and in Git)", String(size))];
  const setup = await prepare(size, log, rows);
  try {
    const off = await phase(setup, "off", seconds, log);
    const on = await phase(setup, "on", seconds, log);
    rows.push(...on.rows, ...off.rows);
    rows.push(info(PART, "admission p99 without the scan (median of 2 runs)", ms(off.p99)));
    rows.push(
      atMost(
        PART,
        "admission p99 with the scan / without",
        round(on.p99 / off.p99, 3),
        TARGET_P99_RATIO,
        "×",
      ),
    );
    rows.push(info(PART, "admission p99 with the scan (median of 2 runs)", ms(on.p99)));
    rows.push(info(PART, "admission requests per run (with / without)", `${on.requests} / ${off.requests}`));
  } finally {
    await setup.plane.stop();
  }
  return rows;
}

async function prepare(size: number, log: (line: string) => void, rows: Row[]): Promise<Setup> {
  const binDir = buildTestbed();
  const dir = tempDir("scan");
  const plane = await startControlPlane({ binDir, workDir: dir, users: [] });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(plane.kubeconfig(ADMIN));
  // The Report CRDs, as the chart installs them: with the scan on, the Reports of all N are written.
  const kubectl = [join(binDir, "kubectl"), `--kubeconfig=${plane.kubeconfig(ADMIN)}`];
  await run(kubectl[0] as string, [
    ...kubectl.slice(1),
    "apply",
    "-f",
    join(REPO_ROOT, "charts", "driftguard", "crds-optional"),
  ]);
  await run(kubectl[0] as string, [
    ...kubectl.slice(1),
    "wait",
    "--for=condition=Established",
    "--timeout=60s",
    "crd",
    "--all",
  ]);
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const repo = join(dir, "repo");
  const random = seeded(5_000);
  const names: { namespace: string; name: string }[] = [];
  const manifests: JsonObject[] = [];
  for (let i = 0; i < size; i++) {
    const namespace = `team-${String(Math.floor(i / PER_NAMESPACE)).padStart(2, "0")}`;
    const name = `svc-${String(i).padStart(5, "0")}`;
    const lean = random() < 0.65;
    const manifest = deployment(
      {
        name,
        namespace,
        containers: 1,
        initContainers: 0,
        envPerContainer: lean ? intBetween(random, 2, 22) : intBetween(random, 2, 10),
        lean,
        replicas: intBetween(random, 1, 6),
      },
      random,
    );
    (manifest.spec as JsonObject).paused = true;
    manifests.push(manifest);
    names.push({ namespace, name });
    const file = join(repo, "apps", namespace, `${name}.yaml`);
    mkdirSync(join(repo, "apps", namespace), { recursive: true });
    writeFileSync(file, stringify(manifest));
  }
  await commitAll(repo, `${size} Deployment manifests`);
  for (const namespace of new Set(names.map((entry) => entry.namespace)))
    await core.createNamespace({ body: { metadata: { name: namespace } } });
  const created = performance.now();
  await inParallel(manifests, CREATE_CONCURRENCY, (manifest) =>
    apps.createNamespacedDeployment({
      namespace: String((manifest.metadata as JsonObject).namespace),
      body: manifest as never,
    }),
  );
  const createS = (performance.now() - created) / 1000;
  log(`scan: created ${size} Deployments in ${createS.toFixed(1)} s (${CREATE_CONCURRENCY} at a time)`);
  rows.push(info(PART, "creating the live Deployments (admin, parallel)", `${createS.toFixed(1)} s`));
  writeFileSync(join(dir, "push-token"), PUSH_TOKEN, { mode: 0o600 });
  const certsDir = join(dir, "certs");
  await run(process.execPath, [CLI, "certs", "--out", certsDir, "--ip", "127.0.0.1", "--dns", "localhost"], {
    cwd: REPO_ROOT,
    timeoutMs: 60_000,
  });
  const reviews = await buildReviews(apps, names);
  return {
    dir,
    plane,
    kubeConfig,
    apps,
    repo,
    names,
    certsDir,
    ca: readFileSync(join(certsDir, "ca.crt")),
    reviews,
  };
}

interface PhaseResult {
  p99: number;
  requests: number;
  rows: Row[];
}

/** One driftguard with the scan off or on: start, (figures of the scan), two load runs. */
async function phase(
  setup: Setup,
  scan: "on" | "off",
  seconds: number,
  log: (line: string) => void,
): Promise<PhaseResult> {
  const rows: Row[] = [];
  const port = await freePort();
  const configFile = join(setup.dir, `driftguard-scan-${scan}.yaml`);
  writeFileSync(configFile, config(setup, port, scan));
  const started = performance.now();
  const child = await startChild({
    name: `driftguard serve (scan ${scan})`,
    command: process.execPath,
    // BENCH_NODE_ARGS (space-separated), as for the load part's servers: `--trace-gc` goes to the log.
    args: [...nodeArgs(), "--enable-source-maps", CLI, "serve", "--config", configFile],
    cwd: setup.dir,
    logFile: join(setup.dir, `driftguard-scan-${scan}.log`),
    ready: /driftguard listening on https:\/\//,
    timeoutMs: 60_000,
  });
  const url = `https://127.0.0.1:${port}`;
  let gitSyncedAt: number | undefined;
  let listedAt: number | undefined;
  try {
    const ready = await poll(`driftguard (scan ${scan}) synced`, 120_000, async () => {
      const body = await readyz(url, setup.ca);
      const gitSynced = body.details?.objects === setup.names.length;
      if (gitSynced) gitSyncedAt ??= performance.now();
      const listed = body.details?.cluster?.deployments?.state?.kind === "synced";
      if (listed) listedAt ??= performance.now();
      if (scan === "off") return gitSynced ? body : undefined;
      const table = body.details?.scan;
      return table?.state === "synced" && table.deployments === setup.names.length ? body : undefined;
    });
    if (scan === "on") {
      const tableAt = performance.now();
      const firstS = (tableAt - started) / 1000;
      const table = ready.details?.scan;
      log(
        `scan: first full drift table ${firstS.toFixed(2)} s after the start: ${table?.deployments} Deployments, ${table?.managed} managed, ${table?.drifted} drifted`,
      );
      rows.push(
        below(
          PART,
          "first full drift table (from process start)",
          round(firstS, 2),
          TARGET_FIRST_TABLE_S,
          " s",
        ),
      );
      rows.push(info(PART, "managed / drifted in the first table", `${table?.managed} / ${table?.drifted}`));
      const since = (at: number | undefined) =>
        at === undefined ? "?" : `${((at - started) / 1000).toFixed(2)} s`;
      rows.push(
        info(
          PART,
          "of which: Git synced / Deployments listed (from start)",
          `${since(gitSyncedAt)} / ${since(listedAt)}`,
        ),
      );
      // The scan's own share: from the later of its two inputs (Git synced, Deployments listed).
      const inputsAt = Math.max(gitSyncedAt ?? started, listedAt ?? started);
      rows.push(
        info(
          PART,
          "first table after both inputs were there",
          `${((tableAt - inputsAt) / 1000).toFixed(2)} s (polled every 100 ms)`,
        ),
      );
      rows.push(...(await eventCost(setup, url, child, log)));
      rows.push(...(await gitRevisionCost(setup, url, log)));
      const rss = memoryOf(child.pid);
      rows.push(
        atMost(PART, "driftguard peak RSS (VmHWM) with the scan", round(rss.peakMb, 0), TARGET_RSS_MB, " MB"),
      );
      rows.push(info(PART, "driftguard RSS now", `${rss.nowMb.toFixed(0)} MB`));
    } else {
      rows.push(
        info(PART, "driftguard peak RSS without the scan", `${memoryOf(child.pid).peakMb.toFixed(0)} MB`),
      );
    }
    await load(url, setup, 3); // warm-up: JIT and caches settle outside the figures
    const p99s: number[] = [];
    let requests = 0;
    for (let runIndex = 0; runIndex < 2; runIndex++) {
      const churn = startChurn(setup, runIndex);
      // Mid-run, a new Git revision: with the scan on, every entry is compared again during the load.
      const revision = setTimeout(
        () => void commitChange(setup, url, `${scan}-${runIndex}`),
        (seconds * 1000) / 2,
      );
      const result = await load(url, setup, seconds);
      clearTimeout(revision);
      await churn.stop();
      p99s.push(result.p99);
      requests = result.count;
      log(
        `scan: scan ${scan} run ${runIndex + 1}/2: ${result.count} reviews, ${(result.count / seconds).toFixed(0)} req/s, p50 ${ms(result.p50)}, p99 ${ms(result.p99)} (${churn.patches()} patches during the run)`,
      );
    }
    p99s.sort((a, b) => a - b);
    return { p99: (p99s[0]! + p99s[1]!) / 2, requests, rows };
  } finally {
    await child.stop();
  }
}

const nodeArgs = () => (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== "");

const IDLE_WINDOW_MS = 2_000;
const IDLE_WAIT_MS = 90_000;
/** µs of CPU per ms below which driftguard counts as idle: 5 % of a core. */
const IDLE_CORES = 50;

/**
 * driftguard's CPU rate once it has settled: 2 s windows until one stays under 5 % of a core (at most
 * 90 s). `settled` is false when it never did; the rate is then the last window's.
 */
async function idleRate(pid: number): Promise<{ idleUsPerMs: number; settled: boolean }> {
  const deadline = performance.now() + IDLE_WAIT_MS;
  for (;;) {
    const [cpu, from] = [cpuMicros(pid), performance.now()];
    await sleep(IDLE_WINDOW_MS);
    const idleUsPerMs = (cpuMicros(pid) - cpu) / (performance.now() - from);
    if (idleUsPerMs < IDLE_CORES) return { idleUsPerMs, settled: true };
    if (performance.now() > deadline) return { idleUsPerMs, settled: false };
  }
}

/** K patches of K objects: time until K recomputes are counted, and driftguard's CPU for them. */
async function eventCost(
  setup: Setup,
  url: string,
  child: Child,
  log: (line: string) => void,
): Promise<Row[]> {
  const sample = setup.names.slice(0, Math.min(EVENT_SAMPLE, setup.names.length));
  // driftguard's CPU while idle (timers, RBAC watches, GC), subtracted below. Right after the first
  // table it is still writing the first Reports and Events (0.7 of a core was measured): wait for that.
  const { idleUsPerMs, settled } = await idleRate(child.pid);
  const before = (await readyz(url, setup.ca)).details?.scan?.recomputes ?? 0;
  const cpuBefore = cpuMicros(child.pid);
  const started = performance.now();
  await inParallel(sample, CREATE_CONCURRENCY, (object, index) => annotate(setup, object, `event-${index}`));
  await poll("the patches to be recomputed", 60_000, async () => {
    const now = (await readyz(url, setup.ca)).details?.scan?.recomputes ?? 0;
    return now >= before + sample.length ? now : undefined;
  });
  const wallMs = performance.now() - started;
  // Less the idle share; the few readiness polls at the end stay in (an upper bound).
  const cpuUs = (cpuMicros(child.pid) - cpuBefore - idleUsPerMs * wallMs) / sample.length;
  const idleText = `idle ${(idleUsPerMs * 1000).toFixed(0)} µs/s subtracted${settled ? "" : ", never settled"}`;
  log(
    `scan: ${sample.length} watch events recomputed ${wallMs.toFixed(0)} ms after the first patch; ${cpuUs.toFixed(0)} µs of driftguard CPU per event (${idleText})`,
  );
  // Busy "idle" time that stopped during the patches makes the difference meaningless: say so.
  const perEvent = settled && cpuUs >= 0 ? `${cpuUs.toFixed(0)} µs` : `not measured (${idleText})`;
  return [
    info(PART, `driftguard CPU per watch event (${sample.length} patches)`, perEvent),
    info(PART, `${sample.length} patches: first patch to last recompute`, `${wallMs.toFixed(0)} ms`),
  ];
}

/** A new commit and a push: time until every entry was compared again. */
async function gitRevisionCost(setup: Setup, url: string, log: (line: string) => void): Promise<Row[]> {
  const before = (await readyz(url, setup.ca)).details?.scan?.recomputes ?? 0;
  const started = performance.now();
  await commitChange(setup, url, "measured");
  await poll("a full recompute after a Git revision", 60_000, async () => {
    const now = (await readyz(url, setup.ca)).details?.scan?.recomputes ?? 0;
    return now >= before + setup.names.length ? now : undefined;
  });
  const wallMs = performance.now() - started;
  log(
    `scan: a new Git revision: every entry compared again ${wallMs.toFixed(0)} ms after the commit (fetch on push included)`,
  );
  return [info(PART, "new Git revision: push to full recompute (fetch included)", `${wallMs.toFixed(0)} ms`)];
}

/** Patches at CHURN_PER_SECOND until stopped. */
function startChurn(setup: Setup, runIndex: number) {
  let stopped = false;
  let patches = 0;
  const loop = (async () => {
    let index = 0;
    while (!stopped) {
      const object = setup.names[(runIndex * 997 + index * 13) % setup.names.length]!;
      index++;
      await annotate(setup, object, `churn-${runIndex}-${index}`).catch(() => undefined);
      patches++;
      await sleep(1000 / CHURN_PER_SECOND);
    }
  })();
  return {
    patches: () => patches,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

/** An annotation on the pod template would roll out; one on the Deployment is a plain watch event. */
function annotate(setup: Setup, object: { namespace: string; name: string }, value: string) {
  return setup.apps.patchNamespacedDeployment(
    {
      namespace: object.namespace,
      name: object.name,
      body: { metadata: { annotations: { "bench.driftguard.io/touch": value } } },
    },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
}

/** A one-line change committed, then POST /refresh (the push webhook): no wait for a poll. */
async function commitChange(setup: Setup, url: string, tag: string): Promise<void> {
  const { namespace, name } = setup.names[setup.names.length - 1]!;
  const file = join(setup.repo, "apps", namespace, `${name}.yaml`);
  const text = readFileSync(file, "utf8").replace(/(image: \S+?):[^\s:]+$/m, `$1:${tag}`);
  writeFileSync(file, text);
  await git(setup.repo, ["commit", "-q", "--no-verify", "-am", `bump ${name} (${tag})`]);
  await httpsRequest(`${url}/refresh`, setup.ca, {
    method: "POST",
    body: "{}",
    headers: { authorization: `Bearer ${PUSH_TOKEN}` },
  });
}

/**
 * Reviews of live objects, as the API server sends them: a no-op UPDATE of an in-sync object (enforce),
 * the same object's image changed (denied), and an image change in the audit namespace (warned).
 */
async function buildReviews(
  apps: AppsV1Api,
  names: { namespace: string; name: string }[],
): Promise<string[]> {
  const enforced = names.find((entry) => entry.namespace !== AUDIT_NAMESPACE)!;
  const audited = names.find((entry) => entry.namespace === AUDIT_NAMESPACE) ?? enforced;
  const live = async (entry: { namespace: string; name: string }) =>
    JSON.parse(
      JSON.stringify(await apps.readNamespacedDeployment({ namespace: entry.namespace, name: entry.name })),
    ) as JsonObject;
  const enforcedLive = await live(enforced);
  const auditedLive = await live(audited);
  return [
    review(enforcedLive, enforcedLive, 1),
    review(withImage(enforcedLive), enforcedLive, 2),
    review(withImage(auditedLive), auditedLive, 3),
  ];
}

function withImage(object: JsonObject): JsonObject {
  const edited = structuredClone(object);
  const pod = ((edited.spec as JsonObject).template as JsonObject).spec as JsonObject;
  const app = (pod.containers as JsonObject[])[0]!;
  app.image = `${String(app.image).split(":")[0]}:9.9.9-hotfix`;
  return edited;
}

function review(object: JsonObject, oldObject: JsonObject, n: number): string {
  const metadata = object.metadata as JsonObject;
  return JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: `0b7e2c55-9a41-4f0e-b1d3-7c5e0f6a000${n}`,
      kind: { group: "apps", version: "v1", kind: "Deployment" },
      resource: { group: "apps", version: "v1", resource: "deployments" },
      name: metadata.name,
      namespace: metadata.namespace,
      operation: "UPDATE",
      userInfo: { username: "alice@example.com", groups: ["team-a", "system:authenticated"] },
      object: { apiVersion: "apps/v1", kind: "Deployment", ...object },
      oldObject: { apiVersion: "apps/v1", kind: "Deployment", ...oldObject },
      dryRun: false,
      options: { kind: "UpdateOptions", apiVersion: "meta.k8s.io/v1" },
    },
  });
}

interface LoadResult {
  count: number;
  p50: number;
  p99: number;
}

/** LOAD_CONCURRENCY clients posting the reviews in turn for `seconds`; latencies in ms, client side. */
async function load(url: string, setup: Setup, seconds: number): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: LOAD_CONCURRENCY, ca: setup.ca });
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  let next = 0;
  const client = async () => {
    while (performance.now() < deadline) {
      const body = setup.reviews[next++ % setup.reviews.length]!;
      const t0 = performance.now();
      await post(`${url}/validate`, agent, body);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: LOAD_CONCURRENCY }, client));
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return { count: latencies.length, p50: at(0.5), p99: at(0.99) };
}

function post(url: string, agent: Agent, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const call = request(
      url,
      { method: "POST", agent, headers: { "content-type": "application/json" } },
      (response) => {
        response.on("data", () => {});
        response.on("end", () =>
          response.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${response.statusCode}`)),
        );
        response.on("error", reject);
      },
    );
    call.on("error", reject);
    call.end(body);
  });
}

interface ReadyBody {
  details?: {
    objects?: number;
    cluster?: { deployments?: { state?: { kind?: string } } };
    scan?: { state: string; deployments: number; managed: number; drifted: number; recomputes: number };
  };
}

async function readyz(url: string, ca: Buffer): Promise<ReadyBody> {
  return JSON.parse((await httpsRequest(`${url}/readyz`, ca)).body) as ReadyBody;
}

function config(setup: Setup, port: number, scan: "on" | "off"): string {
  return driftguardConfigYaml({
    auditNamespace: AUDIT_NAMESPACE,
    source: { name: "bench", url: setup.repo, paths: ["apps"], interval: "1h" },
    server: {
      port,
      pushTokenFile: join(setup.dir, "push-token"),
      certFile: join(setup.certsDir, "tls.crt"),
      keyFile: join(setup.certsDir, "tls.key"),
    },
    stateDir: join(setup.dir, `state-${scan}`),
    onDemandAfter: "1h",
    logLevel: "warn",
    kubernetes: { watch: "on", kubeconfig: setup.plane.kubeconfig(ADMIN) },
    report: { scan: `"${scan}"`, reports: process.env.BENCH_SCAN_REPORTS ?? "openreports" },
  });
}

function memoryOf(pid: number): { nowMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? Number.NaN);
  return { nowMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024 };
}

async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<unknown>,
) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function poll<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} ${last}`);
}

const sleep = (msDelay: number) => new Promise((resolve) => setTimeout(resolve, msDelay));
const round = (value: number, digits: number) => Number(value.toFixed(digits));
const ms = (value: number) => `${value.toFixed(2)} ms`;
