// `npm run abuse`: each network attack at full scale against `driftguard serve` as deployed (built
// JavaScript, production limits), while a well-behaved client sends real reviews at a steady rate as the
// API server would (HTTP/1.1 keep-alive). Per attack: what the attacker saw, and the good client's answers,
// errors and latency beside a baseline without attack. Figures are printed, never judged: they depend on
// the machine, whose load average is printed with them.
//   ABUSE_SECONDS=S   length of each phase (default 15: the 10 s header deadline must pass within it)
//   ABUSE_ONLY=a,b    run only these attacks (slowloris, idle, big-body, content-type, plain-http, tls1.1)
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AdmissionReviewResponse } from "../../src/core/admission.js";
import { type Endpoint, keepAliveClient } from "../support/abuse-clients.js";
import { postJson } from "../support/tls/https-client.js";
import { ATTACKS, type Attack, type AttackReport, SCALE } from "./abuse-attacker.js";
import { installCleanupHandlers, onCleanup, runCleanup } from "./cleanup.js";
import { run } from "./exec.js";
import { createFixture } from "./fixture.js";
import { httpsRequest } from "./https-client.js";
import { REPO_ROOT } from "./paths.js";
import { fmt, formatTable, loadAverage } from "./report.js";
import { type BenchReview, checkAnswer } from "./reviews.js";
import { startDriftguard } from "./servers.js";
import { percentile, sorted } from "./stats.js";

const ATTACKER = fileURLToPath(new URL("./abuse-attacker.ts", import.meta.url));
/** The good client's pace and connections: a busy cluster's Deployment writes, as one API server sends them. */
const GOOD_RATE_PER_S = 20;
const GOOD_SOCKETS = 4;
/** Between phases: what one attack left (sockets closing) must not be measured in the next. */
const SETTLE_MS = 3000;

const log = (line: string) => process.stdout.write(`${line}\n`);

interface GoodFigures {
  sent: number;
  answered: number;
  errors: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** One new connection a second (an API server instance that just started): answered / tried. */
  fresh: { ok: number; tried: number };
}

/** Sends the reviews round-robin at GOOD_RATE_PER_S until `untilMs`, each with its own uid. */
async function goodClient(
  endpoint: Endpoint,
  reviews: readonly BenchReview[],
  untilMs: number,
): Promise<GoodFigures> {
  const client = keepAliveClient(endpoint, GOOD_SOCKETS, 10_000);
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  const fail = (why: string) => {
    errors[why] = (errors[why] ?? 0) + 1;
  };
  const fresh = { ok: 0, tried: 0 };
  const pending = new Set<Promise<void>>();
  const started = Date.now();
  let sent = 0;
  for (let i = 0; Date.now() < untilMs; i++) {
    const review = reviews[i % reviews.length] as BenchReview;
    const uid = `good-${started}-${i}`;
    const body = review.text.replace(String((review.body.request as { uid: string }).uid), uid);
    sent++;
    const job = (async () => {
      const t0 = performance.now();
      try {
        const answer = await client.post("/validate", body);
        const ms = performance.now() - t0;
        if (answer.status !== 200) return fail(`HTTP ${answer.status}`);
        const { response } = JSON.parse(answer.text) as AdmissionReviewResponse;
        if (response.uid !== uid) return fail("wrong uid");
        const problem = checkAnswer(review.kind, response);
        if (problem) return fail(problem);
        latencies.push(ms);
      } catch (error) {
        fail((error as NodeJS.ErrnoException).code ?? (error as Error).message);
      }
    })().finally(() => pending.delete(job));
    pending.add(job);
    if (i % GOOD_RATE_PER_S === 0) {
      fresh.tried++;
      const probe = freshConnection(endpoint, body).then((ok) => {
        if (ok) fresh.ok++;
      });
      pending.add(probe);
      probe.finally(() => pending.delete(probe));
    }
    await sleep(started + ((i + 1) * 1000) / GOOD_RATE_PER_S - Date.now());
  }
  await Promise.all(pending);
  client.close();
  const s = sorted(latencies);
  return {
    sent,
    answered: latencies.length,
    errors,
    p50Ms: percentile(s, 50),
    p99Ms: percentile(s, 99),
    maxMs: percentile(s, 100),
    fresh,
  };
}

/**
 * A review on a connection of its own (no agent: Node 20's global agent would reuse a kept-alive one),
 * bounded to 10 s: does a client that connects now, as a freshly started API server would, get in?
 */
async function freshConnection(endpoint: Endpoint, body: string): Promise<boolean> {
  const url = `https://${endpoint.host}:${endpoint.port}/validate`;
  const answer = postJson(url, String(endpoint.ca), body).then(
    (reply) => reply.status === 200,
    () => false,
  );
  return Promise.race([answer, sleep(10_000).then(() => false)]);
}

/** Runs the attacker process for `seconds`; resolves with its report. */
function runAttacker(
  attack: Attack,
  endpoint: Endpoint,
  caFile: string,
  seconds: number,
): Promise<AttackReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", ATTACKER, attack, String(endpoint.port), caFile, String(seconds)],
      { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    const forget = onCleanup(() => child.kill("SIGKILL"));
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString("utf8");
    });
    child.on("exit", (code) => {
      forget();
      const line = out.trim().split("\n").pop() ?? "";
      if (code === 0 && line.startsWith("{")) resolve(JSON.parse(line) as AttackReport);
      else reject(new Error(`attacker ${attack} exited ${code}: ${err.trim().slice(-500)}`));
    });
  });
}

/** The server's resident memory now, from /proc (Linux); NaN elsewhere. */
function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return kb / 1024;
  } catch {
    return Number.NaN;
  }
}

/** Peak RSS of `pid` while `work` runs, sampled every 250 ms. */
async function withPeakRss<T>(pid: number, work: Promise<T>): Promise<[T, number]> {
  let peak = rssMiB(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMiB(pid));
  }, 250);
  try {
    return [await work, peak];
  } finally {
    clearInterval(timer);
  }
}

interface Phase {
  name: string;
  scale: string;
  saw: string;
  good: GoodFigures;
  rssMiB: number;
}

function describeSaw(report: AttackReport): string {
  const counts = Object.entries(report.saw)
    .sort((a, b) => b[1] - a[1])
    .map(([what, n]) => `${what}: ${n}`);
  return [...counts, ...report.notes].join("; ");
}

function describeErrors(good: GoodFigures): string {
  const entries = Object.entries(good.errors);
  return entries.length === 0 ? "0" : entries.map(([why, n]) => `${n} ${why}`).join(", ");
}

function selectedAttacks(): Attack[] {
  const only = process.env.ABUSE_ONLY;
  if (!only) return [...ATTACKS];
  const chosen = only.split(",");
  for (const name of chosen)
    if (!(ATTACKS as readonly string[]).includes(name))
      throw new Error(`ABUSE_ONLY: unknown attack "${name}"`);
  return ATTACKS.filter((attack) => chosen.includes(attack));
}

async function main(): Promise<void> {
  installCleanupHandlers();
  const seconds = Number(process.env.ABUSE_SECONDS ?? 15);
  const attacks = selectedAttacks();
  log(`driftguard abuse: ${attacks.join(", ")}; ${seconds} s per phase; load average ${loadAverage()}`);
  log("abuse: building dist (npm run build)");
  await run("npm", ["run", "--silent", "build"], { cwd: REPO_ROOT, timeoutMs: 300_000 });
  const fixture = await createFixture({ certs: true });
  const target = await startDriftguard(fixture);
  const caFile = join(fixture.certsDir, "ca.crt");
  const endpoint: Endpoint = { host: "127.0.0.1", port: fixture.port, ca: readFileSync(caFile) };
  const reviews = fixture.set.reviews;
  log(
    `abuse: good client: ${GOOD_RATE_PER_S} reviews/s over ${GOOD_SOCKETS} kept-alive connections ` +
      `(${reviews.map((review) => review.kind).join(", ")}), plus 1 new connection/s`,
  );
  const phases: Phase[] = [];
  try {
    // Warm-up outside the figures: JIT tiers and the first TLS sessions.
    await goodClient(endpoint, reviews, Date.now() + 3000);
    const [baseline, baseRss] = await withPeakRss(
      target.child.pid,
      goodClient(endpoint, reviews, Date.now() + seconds * 1000),
    );
    phases.push({ name: "baseline (no attack)", scale: "", saw: "", good: baseline, rssMiB: baseRss });
    log(`abuse: baseline: p99 ${fmt(baseline.p99Ms)} ms, errors ${describeErrors(baseline)}`);
    for (const attack of attacks) {
      await sleep(SETTLE_MS);
      const untilMs = Date.now() + seconds * 1000;
      const [[report, good], rss] = await withPeakRss(
        target.child.pid,
        Promise.all([runAttacker(attack, endpoint, caFile, seconds), goodClient(endpoint, reviews, untilMs)]),
      );
      const phase = { name: attack, scale: SCALE[attack], saw: describeSaw(report), good, rssMiB: rss };
      phases.push(phase);
      log(`abuse: ${attack}: attacker saw ${phase.saw}`);
      log(`abuse: ${attack}: good p99 ${fmt(good.p99Ms)} ms, errors ${describeErrors(good)}`);
    }
    const health = await httpsRequest(`${target.url}/healthz`, endpoint.ca as Buffer);
    log(`abuse: after all attacks /healthz answers ${health.status}; load average ${loadAverage()}`);
  } finally {
    await target.child.stop();
  }
  const rows = phases.map((phase) => [
    phase.name,
    phase.scale,
    phase.saw,
    `${phase.good.answered}/${phase.good.sent}`,
    describeErrors(phase.good),
    `${phase.good.fresh.ok}/${phase.good.fresh.tried}`,
    fmt(phase.good.p50Ms),
    fmt(phase.good.p99Ms),
    fmt(phase.good.maxMs),
    fmt(phase.rssMiB),
  ]);
  log("\n== driftguard abuse: the good client during each attack ==");
  log(
    formatTable(
      [
        "phase",
        "how much",
        "attacker saw",
        "good answered",
        "good errors",
        "new conn ok",
        "p50 ms",
        "p99 ms",
        "max ms",
        "server RSS MiB (peak)",
      ],
      rows,
    ),
  );
  log(`\nload average at end: ${loadAverage()}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

main().then(
  () => {
    runCleanup();
  },
  (error: unknown) => {
    runCleanup();
    process.stderr.write(`abuse: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
