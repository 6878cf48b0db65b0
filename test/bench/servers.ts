// The two servers of the load part, each its own process so that /proc gives each one's CPU time:
// `driftguard serve` as deployed (built JavaScript, the fixture's config), and the bare fastify baseline.
// Both are checked before any load: driftguard must be synced and answer each review as expected.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { AdmissionReviewResponse } from "../../src/core/admission.js";
import { type Child, startChild } from "./child.js";
import { type Fixture, freePort } from "./fixture.js";
import { httpsRequest } from "./https-client.js";
import { BARE_SERVER, CLI, REPO_ROOT } from "./paths.js";
import { checkAnswer } from "./reviews.js";

export interface Target {
  name: "driftguard" | "bare";
  url: string;
  child: Child;
}

const START_TIMEOUT_MS = 30_000;
const SYNC_TIMEOUT_MS = 30_000;

/** `nodeArgs`: more Node flags for this server alone (native-profile.ts: `--perf-basic-prof`). */
export async function startDriftguard(fixture: Fixture, nodeArgs: readonly string[] = []): Promise<Target> {
  const child = await startChild({
    name: "driftguard serve",
    command: process.execPath,
    // BENCH_CPU_PROF=DIR: a V8 CPU profile of the server under load, written when it stops.
    args: [
      ...profileArgs(),
      ...nodeArgs,
      "--enable-source-maps",
      CLI,
      "serve",
      "--config",
      fixture.configFile,
    ],
    cwd: REPO_ROOT,
    logFile: join(fixture.dir, "driftguard.log"),
    ready: /driftguard listening on https:\/\//,
    timeoutMs: START_TIMEOUT_MS,
  });
  const url = `https://127.0.0.1:${fixture.port}`;
  const target: Target = { name: "driftguard", url, child };
  await waitForSync(target, fixture);
  await checkAnswers(target, fixture, true);
  return target;
}

export async function startBare(fixture: Fixture, nodeArgs: readonly string[] = []): Promise<Target> {
  const port = await freePort();
  const child = await startChild({
    name: "bare fastify",
    command: process.execPath,
    // Profiled alike when BENCH_CPU_PROF is set, so that the two profiles can be compared.
    args: [
      ...profileArgs(),
      ...nodeArgs,
      "--import",
      "tsx",
      BARE_SERVER,
      certFile(fixture),
      keyFile(fixture),
      String(port),
    ],
    cwd: REPO_ROOT,
    logFile: join(fixture.dir, "bare.log"),
    ready: /bare listening on/,
    timeoutMs: START_TIMEOUT_MS,
  });
  const target: Target = { name: "bare", url: `https://127.0.0.1:${port}`, child };
  await checkAnswers(target, fixture, false);
  return target;
}

/**
 * Node flags for both servers alike: BENCH_CPU_PROF=DIR adds a CPU profile, BENCH_NODE_ARGS more flags
 * (space-separated, e.g. `--trace-gc`: the lines go to each server's log in the fixture's folder).
 */
function profileArgs(): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  const extra = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== "");
  return [...(dir ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : []), ...extra];
}

function certFile(fixture: Fixture): string {
  return join(fixture.certsDir, "tls.crt");
}

function keyFile(fixture: Fixture): string {
  return join(fixture.certsDir, "tls.key");
}

/** driftguard answers before Git is synced (readiness does not wait for Git); the bench must not. */
async function waitForSync(target: Target, fixture: Fixture): Promise<void> {
  const ca = readFileSync(join(fixture.certsDir, "ca.crt"));
  const deadline = Date.now() + SYNC_TIMEOUT_MS;
  const expected = Object.keys(fixture.set.manifests).length;
  while (Date.now() < deadline) {
    const reply = await httpsRequest(`${target.url}/readyz`, ca);
    const details = JSON.parse(reply.body) as {
      details?: { objects?: number; sources?: { state?: { kind?: string } }[] };
    };
    const synced = details.details?.sources?.every((source) => source.state?.kind === "synced") ?? false;
    if (synced && details.details?.objects === expected) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`driftguard did not sync the bench repository within ${SYNC_TIMEOUT_MS} ms`);
}

async function checkAnswers(target: Target, fixture: Fixture, judged: boolean): Promise<void> {
  const ca = readFileSync(join(fixture.certsDir, "ca.crt"));
  for (const review of fixture.set.reviews) {
    const reply = await httpsRequest(`${target.url}/validate`, ca, { method: "POST", body: review.text });
    if (reply.status !== 200) throw new Error(`${target.name}: ${review.kind} answered HTTP ${reply.status}`);
    const { response } = JSON.parse(reply.body) as AdmissionReviewResponse;
    const problem = judged
      ? checkAnswer(review.kind, response)
      : response.allowed
        ? undefined
        : "not allowed";
    if (problem) throw new Error(`${target.name}: review "${review.kind}": ${problem}`);
  }
}
