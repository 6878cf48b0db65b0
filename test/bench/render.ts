// Part 5: rendered apps. A generated repository of 200 apps (render-repo.ts) is synced by `driftguard
// serve` from the built dist/, as deployed, with the real kustomize and helm; then three commits are
// pushed (POST /refresh), each touching what a team touches: one overlay, a shared base, one release's
// values. Measured: the first full render, the time from each push to the new revision being served
// and how many renders it ran (driftguard_renders_total), driftguard's peak RSS (the kernel's VmHWM of
// its own process), and, apart, the tools' own peak RSS and CPU (tool-wrapper.ts).
// Targets are the issue's: first full render < 60 s, one-overlay commit < 2 s, driftguard RSS < 300 MB.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderTools } from "../support/render-tools.js";
import { type Child, startChild } from "./child.js";
import { tempDir } from "./cleanup.js";
import { run } from "./exec.js";
import { freePort } from "./fixture.js";
import { commitAll, git } from "./git.js";
import { httpsRequest } from "./https-client.js";
import { type LogLine, LogWatch } from "./log-watch.js";
import { CLI, REPO_ROOT } from "./paths.js";
import { cpuMicros, reapedChildrenMicros } from "./proc-cpu.js";
import {
  appEntries,
  BENCH_SHAPE,
  type RenderApp,
  type RenderRepo,
  type RepoChange,
  renderRepo,
  touchBase,
  touchOverlay,
  touchRelease,
  writeRepoFiles,
} from "./render-repo.js";
import { below, exactly, info, type Row, skipped } from "./report.js";
import { percentile, sorted } from "./stats.js";
import { gnuTime, type ToolRuns, toolRuns, type WrappedTool, wrapTool } from "./tool-wrapper.js";

const PART = "render";
const TARGET_FIRST_S = 60;
const TARGET_ONE_OVERLAY_S = 2;
const TARGET_RSS_MB = 300;
/** Bounds on each wait: far above the targets, only there so that nothing hangs. */
const FIRST_SYNC_TIMEOUT_MS = 600_000;
const STEP_TIMEOUT_MS = 120_000;
const START_TIMEOUT_MS = 60_000;
const PUSH_TOKEN = "render-bench-push-token";

interface Tools {
  kustomize: string;
  helm: string;
}

interface Install {
  dir: string;
  repoDir: string;
  configFile: string;
  url: string;
  ca: Buffer;
  wrapped: WrappedTool[];
}

interface Renders {
  kustomize: { ok: number; failed: number };
  helm: { ok: number; failed: number };
}

interface StepResult {
  change: RepoChange;
  seconds: number;
  syncMs: number;
  renders: number;
  /** The renders' own time, summed ("app rendered" lines): the rest of the sync is driftguard's. */
  renderMs: number;
  /** Apps whose served render is from the new commit: must be exactly the change's. */
  renderedApps: string[];
  /** The render counters after the step. */
  after: Renders;
}

export async function runRender(log: (line: string) => void): Promise<Row[]> {
  const tools = findTools(log);
  if (tools === undefined)
    return [skipped(PART, "rendered apps", "kustomize or helm not found (bash scripts/render-tools.sh)")];
  const repo = renderRepo(BENCH_SHAPE);
  const install = await createInstall(tools, repo, log);
  log(`${PART}: starting driftguard serve (dist/), renderers.concurrency 2 (the default)`);
  const spawnedAt = Date.now();
  const child = await startChild({
    name: "driftguard serve",
    command: process.execPath,
    // BENCH_CPU_PROF=DIR: a V8 CPU profile of driftguard over the whole part, written when it stops.
    args: [...profileArgs(), "--enable-source-maps", CLI, "serve", "--config", install.configFile],
    cwd: REPO_ROOT,
    logFile: join(install.dir, "driftguard.log"),
    ready: /driftguard listening on https:\/\//,
    timeoutMs: START_TIMEOUT_MS,
  });
  try {
    return await measure(install, repo, child, spawnedAt, log);
  } finally {
    await child.stop();
  }
}

async function measure(
  install: Install,
  repo: RenderRepo,
  child: Child,
  spawnedAt: number,
  log: (line: string) => void,
): Promise<Row[]> {
  const { apps } = repo;
  const listeningMs = Date.now() - spawnedAt;
  const startRssKb = peakRssKb(child.pid);
  const watch = new LogWatch(join(install.dir, "driftguard.log"));
  const head = await headOf(install.repoDir);
  const first = await waitForRevision(watch, 0, head, FIRST_SYNC_TIMEOUT_MS, child);
  const firstS = ((first.time ?? Number.NaN) - spawnedAt) / 1000;
  const cpu = { driftguard: cpuMicros(child.pid) / 1e6, tools: reapedChildrenMicros(child.pid) / 1e6 };
  await checkServed(install, head, apps);
  const firstRenders = await readRenders(install);
  const firstRunMs = renderTimes(watch.lines);
  const firstTools = install.wrapped.map(toolRuns);
  const firstRssKb = peakRssKb(child.pid);
  log(
    `${PART}: first full render: ${firstS.toFixed(1)} s from start (listening after ${listeningMs} ms, sync ${first.ms} ms); ` +
      `driftguard CPU ${cpu.driftguard.toFixed(1)} s, tools' CPU ${cpu.tools.toFixed(1)} s; peak RSS ${mb(firstRssKb)} MB`,
  );
  const changes = [touchOverlay(1, 7, 1), touchBase(repo, 2, 1), touchRelease(42, 1)];
  const steps: StepResult[] = [];
  let before = firstRenders;
  for (const change of changes) {
    const step = await pushChange(install, watch, change, before, child);
    log(
      `${PART}: ${change.what} (${change.where}): new revision served ${step.seconds.toFixed(2)} s after the push (sync ${step.syncMs} ms), ${step.renders} render(s)`,
    );
    steps.push(step);
    before = step.after;
  }
  const peakKb = peakRssKb(child.pid);
  return [
    ...setupRows(apps, install),
    ...firstRows(firstS, listeningMs, first, firstRenders, firstRunMs, firstTools, cpu),
    ...steps.flatMap(stepRows),
    below(PART, "driftguard peak RSS (VmHWM, tools apart)", Number(mb(peakKb)), TARGET_RSS_MB, " MB"),
    info(
      PART,
      "driftguard RSS: listening / after first render",
      `${mb(startRssKb)} MB / ${mb(firstRssKb)} MB`,
    ),
    ...toolRows(install),
  ];
}

// --- setup ---

function profileArgs(): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  return dir ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : [];
}

/** DRIFTGUARD_KUSTOMIZE / DRIFTGUARD_HELM when both are set; else the repo's script (cached); else PATH. */
function findTools(log: (line: string) => void): Tools | undefined {
  const named = renderTools();
  if (process.env.DRIFTGUARD_KUSTOMIZE && process.env.DRIFTGUARD_HELM && named.skipReason === undefined)
    return { kustomize: named.kustomize as string, helm: named.helm as string };
  try {
    const output = execFileSync("bash", [join(REPO_ROOT, "scripts", "render-tools.sh")], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"], // a cold build says so while it runs (about a minute)
      timeout: 300_000,
    });
    const folder = output.trim().split("\n").at(-1) ?? "";
    return { kustomize: join(folder, "kustomize"), helm: join(folder, "helm") };
  } catch (error) {
    log(`${PART}: scripts/render-tools.sh failed (${(error as Error).message.split("\n")[0]}); trying PATH`);
  }
  return named.skipReason === undefined
    ? { kustomize: named.kustomize as string, helm: named.helm as string }
    : undefined;
}

async function createInstall(tools: Tools, repo: RenderRepo, log: (line: string) => void): Promise<Install> {
  const dir = tempDir("render");
  const repoDir = join(dir, "repo");
  const started = performance.now();
  await writeRepoFiles(repoDir, repo.files);
  await commitAll(repoDir, "200 rendered apps");
  log(
    `${PART}: ${Object.keys(repo.files).length} files for ${repo.apps.length} apps written and committed in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  await run(process.execPath, [CLI, "certs", "--out", join(dir, "certs"), "--ip", "127.0.0.1"], {
    cwd: REPO_ROOT,
    timeoutMs: 60_000,
  });
  writeFileSync(join(dir, "push-token"), `${PUSH_TOKEN}\n`);
  const time = gnuTime();
  if (time === undefined) log(`${PART}: no GNU time at /usr/bin/time: the tools' own memory is not measured`);
  const wrapped =
    time === undefined
      ? []
      : [wrapTool("kustomize", tools.kustomize, dir, time), wrapTool("helm", tools.helm, dir, time)];
  const binaries = {
    kustomize: wrapped[0]?.wrapper ?? tools.kustomize,
    helm: wrapped[1]?.wrapper ?? tools.helm,
  };
  const port = await freePort();
  const configFile = join(dir, "driftguard.yaml");
  writeFileSync(configFile, config(port, repo.apps, binaries));
  const ca = readFileSync(join(dir, "certs", "ca.crt"));
  return { dir, repoDir, configFile, url: `https://127.0.0.1:${port}`, ca, wrapped };
}

/**
 * Polling is pushed out to an hour: every step is started by a push (POST /refresh), as a Git host's
 * webhook does, so that the figures hold the sync and not the wait for the next poll.
 */
function config(port: number, apps: readonly RenderApp[], tools: Tools): string {
  return `mode: audit
sources:
  - name: rendered
    url: ./repo
    interval: 1h
    paths:
${appEntries(apps)}
server:
  host: 127.0.0.1
  port: ${port}
  tlsCertFile: ./certs/tls.crt
  tlsKeyFile: ./certs/tls.key
  pushTokenFile: ./push-token
stateDir: ./state
refresh:
  onDemandAfter: 1h
logLevel: info
renderers:
  kustomize: ${JSON.stringify(tools.kustomize)}
  helm: ${JSON.stringify(tools.helm)}
`;
}

// --- steps ---

async function pushChange(
  install: Install,
  watch: LogWatch,
  change: RepoChange,
  before: Renders,
  child: Child,
): Promise<StepResult> {
  await writeRepoFiles(install.repoDir, change.files);
  await git(install.repoDir, ["commit", "-q", "--no-verify", "-am", change.what]);
  const head = await headOf(install.repoDir);
  const mark = watch.lines.length;
  const pushedAt = Date.now();
  const reply = await httpsRequest(`${install.url}/refresh`, install.ca, {
    method: "POST",
    body: "{}",
    headers: { authorization: `Bearer ${PUSH_TOKEN}` },
  });
  if (reply.status !== 202) throw new Error(`${PART}: POST /refresh answered HTTP ${reply.status}`);
  const updated = await waitForRevision(watch, mark, head, STEP_TIMEOUT_MS, child);
  const after = await readRenders(install);
  const served = await readiness(install);
  return {
    change,
    seconds: ((updated.time ?? Number.NaN) - pushedAt) / 1000,
    syncMs: Number(updated.ms),
    renders: totalRenders(after) - totalRenders(before),
    renderMs: renderTimes(watch.lines.slice(mark)).reduce((sum, ms) => sum + ms, 0),
    renderedApps: served.apps.filter((app) => app.renderedAt === head).map((app) => app.path),
    after,
  };
}

async function waitForRevision(
  watch: LogWatch,
  from: number,
  commit: string,
  timeoutMs: number,
  child: Child,
): Promise<LogLine> {
  try {
    return await watch.waitFor(
      (line) => line.msg === "source updated" && line.to === commit,
      from,
      timeoutMs,
    );
  } catch (error) {
    throw new Error(
      `${PART}: commit ${commit.slice(0, 8)} not served: ${(error as Error).message}\n${child.logTail()}`,
    );
  }
}

async function headOf(repoDir: string): Promise<string> {
  return (await git(repoDir, ["rev-parse", "HEAD"])).stdout.trim();
}

// --- what driftguard says ---

interface Served {
  commit: string | undefined;
  objects: number;
  apps: { path: string; renderedAt?: string; error?: string }[];
}

async function readiness(install: Install): Promise<Served> {
  const reply = await httpsRequest(`${install.url}/readyz`, install.ca);
  const body = JSON.parse(reply.body) as {
    details?: { objects?: number; sources?: { state?: { commit?: string }; apps?: Served["apps"] }[] };
  };
  const source = body.details?.sources?.[0];
  return { commit: source?.state?.commit, objects: body.details?.objects ?? 0, apps: source?.apps ?? [] };
}

/** After the first sync: every app rendered at the head commit, one Deployment each, no errors. */
async function checkServed(install: Install, head: string, apps: readonly RenderApp[]): Promise<void> {
  const served = await readiness(install);
  const failing = served.apps.find((app) => app.error !== undefined || app.renderedAt !== head);
  const complete = served.apps.length === apps.length && served.objects === apps.length;
  if (served.commit === head && complete && failing === undefined) return;
  throw new Error(
    `${PART}: expected ${apps.length} apps rendered at ${head.slice(0, 8)}, one Deployment each; ` +
      `got ${served.apps.length} apps, ${served.objects} Deployments at ${served.commit?.slice(0, 8)}; ` +
      `first failing: ${failing?.path ?? "none"} ${failing?.error ?? ""}`,
  );
}

async function readRenders(install: Install): Promise<Renders> {
  const reply = await httpsRequest(`${install.url}/metrics`, install.ca);
  const count = (type: string, outcome: string) => {
    const line = reply.body
      .split("\n")
      .find((text) => text.startsWith(`driftguard_renders_total{type="${type}",outcome="${outcome}"}`));
    return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
  };
  return {
    kustomize: { ok: count("kustomize", "ok"), failed: count("kustomize", "failed") },
    helm: { ok: count("helm", "ok"), failed: count("helm", "failed") },
  };
}

function totalRenders(renders: Renders): number {
  return renders.kustomize.ok + renders.kustomize.failed + renders.helm.ok + renders.helm.failed;
}

/** Each "app rendered" line's ms: one render, both runs of the tool, the copy of its inputs and the parse. */
function renderTimes(lines: readonly LogLine[]): Float64Array {
  return sorted(
    Float64Array.from(lines.filter((line) => line.msg === "app rendered").map((line) => Number(line.ms))),
  );
}

/** The kernel's high-water mark of the process's resident memory: driftguard's alone, never its children's. */
function peakRssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
  if (!match) throw new Error(`${PART}: no VmHWM in /proc/${pid}/status`);
  return Number(match[1]);
}

function mb(kb: number): string {
  return (kb / 1024).toFixed(0);
}

// --- rows ---

function setupRows(apps: readonly RenderApp[], install: Install): Row[] {
  const kustomize = apps.filter((app) => app.type === "kustomize").length;
  const bases = new Set(apps.map((app) => app.base).filter((base) => base !== undefined)).size;
  const helm = apps.length - kustomize;
  return [
    info(
      PART,
      "repository",
      `${kustomize} Kustomize overlays (${bases} bases), ${helm} Helm releases of 1 chart`,
    ),
    info(
      PART,
      "tools",
      install.wrapped.length > 0
        ? "kustomize, helm (behind GNU time); concurrency 2; 2 runs a render"
        : "kustomize, helm; concurrency 2; 2 runs a render",
    ),
  ];
}

function firstRows(
  firstS: number,
  listeningMs: number,
  first: LogLine,
  renders: Renders,
  renderMs: Float64Array,
  tools: ToolRuns[],
  cpu: { driftguard: number; tools: number },
): Row[] {
  const toolSeconds = tools.flatMap((runs) => runs.seconds).reduce((sum, s) => sum + s, 0);
  const renderSeconds = renderMs.reduce((sum, ms) => sum + ms, 0) / 1000;
  const rows = [
    below(PART, "first full render: start → source synced", firstS, TARGET_FIRST_S, " s"),
    info(PART, "first full render: listening / sync", `${listeningMs} ms / ${first.ms} ms`),
    info(
      PART,
      "first full render: renders",
      `kustomize ${renders.kustomize.ok} ok, ${renders.kustomize.failed} failed; helm ${renders.helm.ok} ok, ${renders.helm.failed} failed`,
    ),
    info(
      PART,
      "one render (2 runs + copy + parse): median / p90 / max",
      `${percentile(renderMs, 50).toFixed(0)} / ${percentile(renderMs, 90).toFixed(0)} / ${percentile(renderMs, 100).toFixed(0)} ms`,
    ),
    info(
      PART,
      "first full render: CPU of driftguard / of the tools",
      `${cpu.driftguard.toFixed(1)} s / ${cpu.tools.toFixed(1)} s`,
    ),
  ];
  if (tools.length > 0 && renderMs.length > 0)
    rows.push(
      info(
        PART,
        "per render: in the tools / in driftguard (copy, spawn, parse)",
        `${((toolSeconds / renderMs.length) * 1000).toFixed(0)} ms / ${(((renderSeconds - toolSeconds) / renderMs.length) * 1000).toFixed(0)} ms`,
      ),
    );
  return rows;
}

function stepRows(step: StepResult): Row[] {
  const { what, rendersAgain } = step.change;
  const metric = `commit touching ${what}`;
  const expected = rendersAgain.map((app) => app.path).sort();
  const rendered = [...step.renderedApps].sort();
  const same = expected.length === rendered.length && expected.every((path, i) => path === rendered[i]);
  return [
    what === "one overlay"
      ? below(PART, `${metric} → served`, step.seconds, TARGET_ONE_OVERLAY_S, " s")
      : info(PART, `${metric} → served`, `${step.seconds.toFixed(2)} s`),
    info(
      PART,
      `${metric}: sync / its renders (summed)`,
      `${step.syncMs} ms / ${step.renderMs.toFixed(0)} ms`,
    ),
    exactly(PART, `${metric}: renders`, step.renders, expected.length),
    // Only when it is wrong: the apps served from the new commit must be the ones the commit reaches.
    ...(same
      ? []
      : [
          {
            part: PART,
            metric: `${metric}: apps served from the new commit`,
            value: rendered.join(", ") || "none",
            target: expected.join(", "),
            status: "MISS" as const,
          },
        ]),
  ];
}

function toolRows(install: Install): Row[] {
  if (install.wrapped.length === 0) return [skipped(PART, "tools' peak RSS", "no GNU time at /usr/bin/time")];
  return install.wrapped.map((wrapped) => {
    const runs = toolRuns(wrapped);
    const seconds = sorted(Float64Array.from(runs.seconds));
    return info(
      PART,
      `${wrapped.tool}: runs / peak RSS of one run / median run`,
      `${runs.runs} / ${mb(runs.maxRssKb)} MB / ${(percentile(seconds, 50) * 1000).toFixed(0)} ms`,
    );
  });
}
