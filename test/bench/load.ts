// Part 1: HTTPS load on loopback with wrk against `driftguard serve` and the bare fastify baseline, in
// the same run and interleaved (driftguard, bare, driftguard, …) so that drift in the machine's state
// (thermal, other tenants) hits both alike. Figures per cell are the median of the runs.

import { createFixture } from "./fixture.js";
import { cpuMicros, machineBusyMicros, selfAndReapedChildrenMicros } from "./proc-cpu.js";
import { atLeast, atMost, formatTable, info, type Row, rowLine, skipped } from "./report.js";
import { startBare, startDriftguard, type Target } from "./servers.js";
import { median } from "./stats.js";
import { ensureWrk, runWrk, type WrkResult } from "./wrk.js";

const CONNECTIONS = [10, 50] as const;
const THREADS = 2;
const WARMUP_S = 3;
const TARGET_THROUGHPUT_RATIO = 0.7;
const TARGET_P99_RATIO = 1.5;
/** What the webhook may add to the bare server's CPU time per request (TLS, HTTP and JSON.parse alike). */
const TARGET_EXTRA_CPU_US = 150;
/** Other processes using more than this share of a core during a run make its figures suspect. */
const BUSY_MACHINE_CORES = 0.1;

interface Measured extends WrkResult {
  cpuUsPerRequest: number;
  /**
   * Share of one core used by processes other than the server, wrk and this bench during the run
   * (other tenants of the machine). Above a few percent, the figures are noisy and the log says so.
   */
  othersCores: number;
}

interface Cell {
  rps: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  cpuUs: number;
}

export async function runLoad(log: (line: string) => void): Promise<Row[]> {
  const quick = process.env.BENCH_QUICK === "1";
  const durationS = quick ? 3 : 15;
  const runs = quick ? 1 : 3;
  const wrk = await ensureWrk(log);
  if (!wrk) return [skipped("load", "wrk load test", "wrk not installed")];

  const fixture = await createFixture({ certs: true });
  const sizes = fixture.set.reviews.map(
    (review) => `${review.kind} ${(review.text.length / 1024).toFixed(1)} KB`,
  );
  log(`load: review bodies: ${sizes.join(", ")}; ${runs} run(s) × ${durationS} s per cell, wrk -t${THREADS}`);
  const targets: Target[] = [];
  try {
    targets.push(await startDriftguard(fixture));
    targets.push(await startBare(fixture));
    const measure = (target: Target, connections: number, seconds: number) =>
      measureRun(wrk, target, fixture.bodyFiles, connections, seconds);
    // Warm-up: JIT tiers, heap sizing and fastify's caches settle outside the figures. Even quick mode
    // keeps the full 3 s: with 1 s, the first measured run still paid for compilation.
    for (const target of targets) await measure(target, CONNECTIONS[0], WARMUP_S);
    const results = new Map<string, Measured[]>();
    for (const connections of CONNECTIONS) {
      for (let i = 0; i < runs; i++) {
        for (const target of targets) {
          const result = await measure(target, connections, durationS);
          log(
            `load: ${target.name.padEnd(10)} c=${String(connections).padEnd(2)} run ${i + 1}/${runs}: ` +
              `${result.requestsPerSec.toFixed(0)} req/s, p99 ${(result.p99Us / 1000).toFixed(2)} ms, ` +
              `${result.cpuUsPerRequest.toFixed(0)} µs CPU/req; others on the machine: ${(result.othersCores * 100).toFixed(0)} % of a core` +
              (result.othersCores > BUSY_MACHINE_CORES ? " (busy machine: figures are noisy)" : ""),
          );
          const key = `${target.name}/${connections}`;
          results.set(key, [...(results.get(key) ?? []), result]);
        }
      }
    }
    const rows = summarize(results, log);
    const others = median([...results.values()].flat().map((r) => r.othersCores));
    rows.push(
      info("load", "other processes' CPU during runs (median)", `${(others * 100).toFixed(0)} % of a core`),
    );
    return rows;
  } finally {
    for (const target of targets.reverse()) await target.child.stop();
  }
}

async function measureRun(
  wrk: string,
  target: Target,
  bodyFiles: readonly string[],
  connections: number,
  durationS: number,
): Promise<Measured> {
  const before = cpuMicros(target.child.pid);
  const machineBefore = machineBusyMicros();
  const oursBefore = selfAndReapedChildrenMicros();
  const started = performance.now();
  const result = await runWrk({ wrk, url: target.url, bodyFiles, connections, threads: THREADS, durationS });
  const elapsedUs = (performance.now() - started) * 1_000;
  const after = cpuMicros(target.child.pid);
  const others =
    machineBusyMicros() - machineBefore - (selfAndReapedChildrenMicros() - oursBefore) - (after - before);
  if (result.errors > 0 || result.requests === 0) {
    throw new Error(
      `load: ${target.name} c=${connections}: ${result.errors} errors in ${result.requests} requests\n${target.child.logTail()}`,
    );
  }
  return {
    ...result,
    cpuUsPerRequest: (after - before) / result.requests,
    othersCores: Math.max(0, others) / elapsedUs,
  };
}

function cellOf(runs: readonly Measured[]): Cell {
  return {
    rps: median(runs.map((r) => r.requestsPerSec)),
    p50Us: median(runs.map((r) => r.p50Us)),
    p99Us: median(runs.map((r) => r.p99Us)),
    p999Us: median(runs.map((r) => r.p999Us)),
    cpuUs: median(runs.map((r) => r.cpuUsPerRequest)),
  };
}

function summarize(results: ReadonlyMap<string, Measured[]>, log: (line: string) => void): Row[] {
  const rows: Row[] = [];
  const table: string[][] = [];
  const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`;
  for (const connections of CONNECTIONS) {
    const dg = cellOf(results.get(`driftguard/${connections}`) ?? []);
    const bare = cellOf(results.get(`bare/${connections}`) ?? []);
    for (const [name, cell] of [
      ["driftguard", dg],
      ["bare", bare],
    ] as const) {
      table.push([
        name,
        String(connections),
        cell.rps.toFixed(0),
        ms(cell.p50Us),
        ms(cell.p99Us),
        ms(cell.p999Us),
        cell.cpuUs.toFixed(0),
      ]);
      const at = `${name} c=${connections}`;
      rows.push(info("load", `${at}: requests/s`, cell.rps.toFixed(0)));
      rows.push(
        info(
          "load",
          `${at}: p50 / p99 / p99.9`,
          `${ms(cell.p50Us)} / ${ms(cell.p99Us)} / ${ms(cell.p999Us)}`,
        ),
      );
      rows.push(info("load", `${at}: server CPU per request`, `${cell.cpuUs.toFixed(0)} µs`));
    }
    const throughput = dg.rps / bare.rps;
    const p99 = dg.p99Us / bare.p99Us;
    table.push([
      "driftguard/bare",
      String(connections),
      `${(throughput * 100).toFixed(0)} %`,
      "",
      `${p99.toFixed(2)}×`,
      "",
      "",
    ]);
    rows.push(
      atLeast(
        "load",
        `c=${connections}: throughput driftguard/bare`,
        throughput * 100,
        TARGET_THROUGHPUT_RATIO * 100,
        " %",
      ),
    );
    rows.push(atMost("load", `c=${connections}: p99 driftguard/bare`, p99, TARGET_P99_RATIO, "×"));
    const extraCpu = dg.cpuUs - bare.cpuUs;
    rows.push(
      atMost("load", `c=${connections}: CPU per request over bare`, extraCpu, TARGET_EXTRA_CPU_US, " µs"),
    );
  }
  const judgedRows = rows.filter((row) => row.target !== "");
  log(
    `\nload (medians; targets: driftguard ≥ ${TARGET_THROUGHPUT_RATIO * 100} % of bare throughput, p99 ≤ ${TARGET_P99_RATIO}× bare, ` +
      `CPU per request ≤ bare + ${TARGET_EXTRA_CPU_US} µs):\n` +
      formatTable(["server", "conns", "req/s", "p50", "p99", "p99.9", "CPU µs/req"], table) +
      `\n${judgedRows.map((row) => `  ${rowLine(row)}`).join("\n")}`,
  );
  return rows;
}
