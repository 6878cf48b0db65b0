// npm run soak: driftguard serving mixed traffic for a long time while Git and RBAC keep changing, sampled
// every few seconds (RSS, heap, descriptors, event-loop delay, p99), then judged: memory and descriptors
// flat after warm-up, p99 stable, no failure. Prints one line per sample and a table of figures beside
// their targets (MISS where missed). Exit 0 when every target is met, 1 on a MISS, 2 when it could not run.
import { mkdtempSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { generateCertificates } from "../../src/certs/generate.js";
import type { AdmissionReviewResponse } from "../../src/core/admission.js";
import { runCleanup, tempDir } from "../bench/cleanup.js";
import { freePort } from "../bench/fixture.js";
import { buildReviews, type ReviewSet } from "../bench/reviews.js";
import { sendHttps } from "../support/tls/https-client.js";
import { parseSoakArgs, type SoakOptions, USAGE, UsageError } from "./args.js";
import { type SoakCluster, startCluster, testbedBinaries } from "./cluster.js";
import { type Driftguard, startDriftguard } from "./driftguard.js";
import { formatSummary, type Row, type Sample, summarize } from "./figures.js";
import { type Committer, churnManifest, type SoakGit, startCommitter, startGit } from "./git.js";
import { startTraffic, type Traffic, type Window } from "./traffic.js";

const MB = 1024 * 1024;
const SYNC_TIMEOUT_MS = 60_000;
const PUSH_TOKEN = "soak-push-token-not-a-secret";

/** The control plane stops asynchronously (SIGTERM, then SIGKILL): a signal waits for it, boundedly. */
let stopCluster: (() => Promise<void>) | undefined;

function installSignalHandlers(): void {
  process.once("exit", runCleanup);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nsoak: ${signal}, stopping\n`);
      const bound = new Promise<void>((resolve) => setTimeout(resolve, 20_000));
      Promise.race([stopCluster?.(), bound])
        .catch(() => undefined)
        .finally(() => {
          runCleanup();
          process.exit(130);
        });
    });
  }
}

interface Running {
  url: string;
  ca: string;
  driftguard: Driftguard;
  git: SoakGit;
  cluster: SoakCluster | undefined;
}

async function main(): Promise<number> {
  let options: SoakOptions;
  try {
    options = parseSoakArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`soak: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  installSignalHandlers();
  const log = (line: string) => process.stdout.write(`${line}\n`);
  // --keep: the run's folder (driftguard's log, its state, the API server's logs) stays for reading.
  const dir = options.keep ? mkdtempSync(join(tmpdir(), "driftguard-soak-")) : tempDir("soak");
  if (options.keep) log(`soak: keeping ${dir}`);
  const set = buildReviews();
  log(`soak: ${describe(options)}; load average at start ${loadText()}`);
  const running = await start(options, dir, set, log);
  try {
    return await soakAndJudge(options, running, set, log);
  } finally {
    await stopAll(running);
  }
}

async function soakAndJudge(
  options: SoakOptions,
  running: Running,
  set: ReviewSet,
  log: (line: string) => void,
): Promise<number> {
  const samples = await soak(options, running, set, log);
  const checks = await finalChecks(running, set, log);
  const warmupS = (options.minutes * 60) / 3;
  const summary = summarize(samples, warmupS);
  summary.rows.push(...checks);
  const ok = summary.ok && checks.every((row) => row.met !== false);
  log(
    `\nsoak: ${samples.length} samples, ${summary.judged} after the ${(warmupS / 60).toFixed(1)}-minute warm-up; ` +
      `load average at the end ${loadText()}`,
  );
  log(formatSummary({ ...summary, ok }));
  log(ok ? "soak: every target met" : "soak: MISS: at least one target missed (above)");
  return ok ? 0 : 1;
}

function describe(options: SoakOptions): string {
  return (
    `${options.minutes} min, a sample every ${options.sampleSeconds} s, ${options.rate} reviews/s over ` +
    `${options.connections} connections, a commit every ${options.commitSeconds} s, a RoleBinding change every ` +
    `${options.rbacSeconds} s, cluster ${options.cluster}, driftguard ${options.fromSource ? "from src/ through tsx" : "built"}`
  );
}

function loadText(): string {
  return loadavg()
    .map((load) => load.toFixed(2))
    .join(" ");
}

async function start(options: SoakOptions, dir: string, set: ReviewSet, log: (line: string) => void) {
  const started: Partial<Running> = {};
  try {
    return await startParts(options, dir, set, log, started);
  } catch (error) {
    await started.driftguard?.stop();
    await started.cluster?.stop();
    await started.git?.stop();
    throw error;
  }
}

async function startParts(
  options: SoakOptions,
  dir: string,
  set: ReviewSet,
  log: (line: string) => void,
  started: Partial<Running>,
): Promise<Running> {
  const git = await startGit(dir, set.manifests);
  started.git = git;
  const binDir = options.cluster === "off" ? undefined : testbedBinaries(options.cluster === "on");
  if (options.cluster === "cached" && binDir === undefined)
    log("soak: the test bed's binaries are not cached: no cluster (no RBAC watch, no RoleBinding churn)");
  const cluster =
    binDir === undefined
      ? undefined
      : await startCluster(binDir, dir, [...Object.values(set.manifests), churnManifest(0)]);
  started.cluster = cluster;
  stopCluster = cluster?.stop;
  if (cluster) log(`soak: control plane at ${cluster.plane.server}; driftguard watches it as its own user`);
  const certs = await generateCertificates({ dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] });
  writeFileSync(join(dir, "tls.crt"), certs.cert);
  writeFileSync(join(dir, "tls.key"), certs.key, { mode: 0o600 });
  writeFileSync(join(dir, "push-token"), `${PUSH_TOKEN}\n`, { mode: 0o600 });
  const port = await freePort();
  const configFile = join(dir, "driftguard.yaml");
  writeFileSync(configFile, configYaml(port, git.url, cluster?.kubeconfig));
  const driftguard = await startDriftguard(configFile, join(dir, "driftguard.log"), options.fromSource);
  started.driftguard = driftguard;
  log(`soak: driftguard pid ${driftguard.pid}; its log: ${join(dir, "driftguard.log")}`);
  const running: Running = { url: `https://127.0.0.1:${port}`, ca: certs.caCert, driftguard, git, cluster };
  await waitForSync(running, Object.keys(set.manifests).length + 1);
  return running;
}

/**
 * As deployed: audit by default with the reviewed `checkout` annotated enforce, on-demand refetch and
 * logging at their defaults (a denial older than 5 s waits for a fetch; denials are logged), a 5 s poll
 * besides the push. With a cluster: the RBAC and namespace watches, the live scan, Reports, Events and
 * DecisionRecords, all on (their defaults once the CRDs exist).
 */
function configYaml(port: number, url: string, kubeconfig: string | undefined): string {
  return `mode: audit
unmanaged: allow
sources:
  - name: soak
    url: ${url}
    paths: [apps]
    interval: 5s
server:
  host: 127.0.0.1
  port: ${port}
  tlsCertFile: tls.crt
  tlsKeyFile: tls.key
  pushTokenFile: push-token
stateDir: state
logLevel: info
kubernetes:
${kubeconfig === undefined ? '  watch: "off"' : `  watch: "on"\n  kubeconfig: ${kubeconfig}`}
`;
}

interface ReadyBody {
  ready?: boolean;
  details?: { objects?: number; sources?: { state?: { kind?: string; commit?: string } }[] };
}

async function readyz(running: Running): Promise<ReadyBody> {
  return (await sendHttps({ url: `${running.url}/readyz`, ca: running.ca })).json() as ReadyBody;
}

async function waitForSync(running: Running, objects: number): Promise<void> {
  const deadline = Date.now() + SYNC_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const body = await readyz(running).catch(() => undefined);
    const synced = body?.details?.sources?.every((source) => source.state?.kind === "synced") ?? false;
    if (body?.ready === true && synced && body.details?.objects === objects) return;
    if (running.driftguard.exited()) break;
    await sleep(250);
  }
  throw new Error(`driftguard did not sync within ${SYNC_TIMEOUT_MS} ms\n${running.driftguard.logTail()}`);
}

async function soak(options: SoakOptions, running: Running, set: ReviewSet, log: (line: string) => void) {
  let harnessFailures = 0;
  const push = async () => {
    const reply = await sendHttps({
      url: `${running.url}/refresh`,
      ca: running.ca,
      method: "POST",
      headers: { authorization: `Bearer ${PUSH_TOKEN}` },
    });
    if (reply.status !== 202) throw new Error(`POST /refresh answered HTTP ${reply.status}`);
  };
  const committer = await startCommitter({
    repo: running.git.repo,
    periodMs: options.commitSeconds * 1000,
    pushed: push,
    log,
  });
  const rbac = startRbacChurn(running.cluster, options.rbacSeconds, log);
  const traffic = startTraffic({
    url: `${running.url}/validate`,
    ca: running.ca,
    set,
    ratePerSecond: options.rate,
    connections: options.connections,
  });
  const started = performance.now();
  const samples: Sample[] = [];
  const end = started + options.minutes * 60_000;
  for (
    let next = started + options.sampleSeconds * 1000;
    next <= end + 1;
    next += options.sampleSeconds * 1000
  ) {
    await sleep(next - performance.now());
    const sample = await takeSample((performance.now() - started) / 1000, running, traffic, committer, rbac);
    harnessFailures += sample.harnessFailures;
    samples.push(sample);
    log(sampleLine(sample));
    if (running.driftguard.exited()) {
      log(`soak: driftguard exited\n${running.driftguard.logTail()}`);
      break;
    }
  }
  await traffic.stop();
  await committer.stop();
  await rbac.stop();
  if (harnessFailures > 0) log(`soak: ${harnessFailures} commits, pushes or RoleBinding changes failed`);
  return samples;
}

interface RbacChurn {
  take(): { changes: number; failures: number };
  stop(): Promise<void>;
}

function startRbacChurn(
  cluster: SoakCluster | undefined,
  seconds: number,
  log: (line: string) => void,
): RbacChurn {
  let changes = 0;
  let failures = 0;
  let running: Promise<void> = Promise.resolve();
  const timer = cluster
    ? setInterval(() => {
        running = cluster.toggleBinding().then(
          () => void (changes += 1),
          (error: Error) => {
            failures += 1;
            log(`soak: RoleBinding change failed: ${error.message}`);
          },
        );
      }, seconds * 1000)
    : undefined;
  return {
    take() {
      const taken = { changes, failures };
      changes = 0;
      failures = 0;
      return taken;
    },
    async stop() {
      if (timer) clearInterval(timer);
      await running;
    },
  };
}

async function takeSample(
  t: number,
  running: Running,
  traffic: Traffic,
  committer: Committer,
  rbac: RbacChurn,
): Promise<Sample> {
  const window: Window = traffic.take();
  const probe = await running.driftguard.probe();
  const git = committer.take();
  const bindings = rbac.take();
  if (window.reasons.length > 0) process.stdout.write(`soak: failures: ${window.reasons.join("; ")}\n`);
  return {
    t,
    rssBytes: running.driftguard.rssBytes(),
    heapUsedBytes: probe.heapUsedBytes,
    heapAfterGcBytes: probe.heapAfterMajorGcBytes,
    majorGcs: probe.majorGcs,
    heapTotalBytes: probe.heapTotalBytes,
    externalBytes: probe.externalBytes,
    openFds: running.driftguard.openFds(),
    loopDelayP99Ms: probe.loopDelayP99Ms,
    loopDelayMaxMs: probe.loopDelayMaxMs,
    requests: window.requests,
    failures: window.failures,
    p99Ms: window.p99Ms,
    commits: git.commits,
    bindingChanges: bindings.changes,
    harnessFailures: git.failures + bindings.failures,
  };
}

function sampleLine(s: Sample): string {
  return (
    `soak: t=${s.t.toFixed(0).padStart(5)}s rss ${(s.rssBytes / MB).toFixed(1)} MB heap ${(s.heapUsedBytes / MB).toFixed(1)} MB ` +
    `(after GC ${(s.heapAfterGcBytes / MB).toFixed(1)}, ${s.majorGcs} major) ` +
    `fds ${s.openFds} loop p99 ${s.loopDelayP99Ms.toFixed(1)} ms max ${s.loopDelayMaxMs.toFixed(1)} ms | ` +
    `${s.requests} req (${s.failures} failed) p99 ${s.p99Ms.toFixed(2)} ms | commits ${s.commits} bindings ${s.bindingChanges}`
  );
}

/**
 * After the traffic: does driftguard still follow both streams of change? Git: it serves the last
 * commit (after one more push). RBAC: an image change by the break-glass binding's user is allowed while
 * the binding exists and denied once it is gone.
 */
async function finalChecks(running: Running, set: ReviewSet, log: (line: string) => void): Promise<Row[]> {
  const rows: Row[] = [await gitCheck(running)];
  if (running.cluster) rows.push(await rbacCheck(running, running.cluster, set));
  else log("soak: no cluster: the RBAC check is left out");
  return rows;
}

async function gitCheck(running: Running): Promise<Row> {
  const head = await running.git.repo.head();
  await sendHttps({
    url: `${running.url}/refresh`,
    ca: running.ca,
    method: "POST",
    headers: { authorization: `Bearer ${PUSH_TOKEN}` },
  });
  const served = await until(async () => {
    const commit = (await readyz(running)).details?.sources?.[0]?.state?.commit;
    return commit === head ? commit : undefined;
  }, 15_000);
  return {
    figure: "driftguard serves Git's last commit at the end",
    value: served ? `yes (${head.slice(0, 7)})` : "no",
    target: "yes, within 15 s",
    met: served !== undefined,
  };
}

async function rbacCheck(running: Running, cluster: SoakCluster, set: ReviewSet): Promise<Row> {
  const denied = set.reviews.find((review) => review.kind === "denied");
  if (!denied) throw new Error("no denied review");
  const body = structuredClone(denied.body) as { request: { userInfo: { username: string } } };
  body.request.userInfo.username = "oncall@example.com";
  const allowed = async () => {
    const reply = await sendHttps({
      url: `${running.url}/validate`,
      ca: running.ca,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return (reply.json() as AdmissionReviewResponse).response.allowed;
  };
  // Whichever state the churn left: first without the binding, then with it. Asked of the harness, not
  // of an answer: the churn's last change may be too fresh for the watch to have seen it yet (a run
  // once read "denied" with the binding just created, then deleted it when meaning to create it).
  if (cluster.bound) await cluster.toggleBinding();
  const deniedFirst = (await until(async () => ((await allowed()) ? undefined : true), 5_000)) === true;
  await cluster.toggleBinding();
  const allowedThen = (await until(async () => ((await allowed()) ? true : undefined), 5_000)) === true;
  return {
    figure: "break-glass RoleBinding honoured at the end (denied without, allowed with)",
    value: `${deniedFirst ? "denied" : "NOT denied"} without, ${allowedThen ? "allowed" : "NOT allowed"} with`,
    target: "both, within 5 s",
    met: deniedFirst && allowedThen,
  };
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined || Date.now() > deadline) return value;
    await sleep(100);
  }
}

async function stopAll(running: Running): Promise<void> {
  await running.driftguard.stop();
  await running.cluster?.stop();
  await running.git.stop();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

main().then(
  (code) => {
    runCleanup();
    process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(
      `soak: ${error instanceof UsageError ? "" : "could not run: "}${(error as Error).message}\n`,
    );
    runCleanup();
    process.exit(2);
  },
);
