// Where each server's CPU goes per request, native code and kernel included: `perf record` of
// `driftguard serve` and of the bare fastify server under the same wrk load as the load part, then the
// samples per request by kind of work, side by side. A V8 CPU profile (BENCH_CPU_PROF) sees only
// JavaScript frames: JSON.parse's insides, TLS, the kernel's TCP path and the allocator are invisible
// there, and under load they are half of what a request costs.
//
// Usage: `npx tsx test/bench/native-profile.ts [--seconds N] [--connections N] [--top N]`. Needs
// `perf` (Debian: linux-perf) and wrk; a diagnosis, not part of `npm run bench`: no targets. Node runs
// with --perf-basic-prof so that perf can name JIT-compiled functions; the maps it writes are removed.
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { installCleanupHandlers, runCleanup } from "./cleanup.js";
import { run } from "./exec.js";
import { createFixture } from "./fixture.js";
import { loadAverage } from "./report.js";
import { startBare, startDriftguard, type Target } from "./servers.js";
import { ensureWrk, runWrk } from "./wrk.js";

const FREQUENCY_HZ = 1999;
const WARMUP_S = 3;

/** Kinds of work, matched on perf's symbol names in this order (first match wins). */
const KINDS: readonly (readonly [string, RegExp])[] = [
  ["kernel (TCP on loopback, syscalls)", /\[k\]/],
  ["prototype-poisoning regexes", /RegExp:/],
  [
    "JSON.parse",
    /JsonParser|StringTable|InternalizeString|TransitionArray|TransitionsAccessor|ObjectLiteralMap|Utf8Decoder/,
  ],
  ["JSON.stringify", /JsonStringifier|Utf8Length|WriteToFlat/],
  ["garbage collection", /Scaveng|Heap::|MarkCompact|Marking|Sweeper|Evacuat/],
  ["TLS crypto", /aesni|ghash|sha\d|EVP_|ssl|gcm/i],
  ["JavaScript (JIT-compiled)", /\bJS:/],
  ["V8 builtins (property access, calls)", /Builtins_/],
  ["malloc, memcpy", /malloc|free|memmove|memcpy|memcmp|memset|_int_|unlink_chunk/],
  ["other native (V8 runtime, node, llhttp)", /./],
];

interface Profile {
  requests: number;
  /** Microseconds of CPU per request, by symbol. */
  perSymbol: Map<string, number>;
}

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`);
  return value;
}

async function main(): Promise<void> {
  installCleanupHandlers();
  const seconds = option("seconds", 8);
  const connections = option("connections", 10);
  const top = option("top", 15);
  await run("perf", ["--version"]).catch(() => {
    throw new Error("perf is not installed (Debian: apt-get install linux-perf)");
  });
  const wrk = await ensureWrk((line) => process.stdout.write(`${line}\n`));
  if (!wrk) throw new Error("wrk is not installed");
  process.stdout.write(`native profile: load average at start ${loadAverage()}\n`);
  const fixture = await createFixture({ certs: true });
  const profiles: Record<string, Profile> = {};
  for (const name of ["driftguard", "bare"] as const) {
    const nodeArgs = ["--perf-basic-prof"];
    const target =
      name === "driftguard" ? await startDriftguard(fixture, nodeArgs) : await startBare(fixture, nodeArgs);
    try {
      const load = (s: number) =>
        runWrk({ wrk, url: target.url, bodyFiles: fixture.bodyFiles, connections, threads: 2, durationS: s });
      await load(WARMUP_S);
      profiles[name] = await record(target, join(fixture.dir, `${name}.perf`), () => load(seconds), seconds);
    } finally {
      await target.child.stop();
      rmSync(join(tmpdir(), `perf-${target.child.pid}.map`), { force: true });
    }
  }
  print(profiles.driftguard as Profile, profiles.bare as Profile, top);
  process.stdout.write(`native profile: load average at end ${loadAverage()}\n`);
}

/** perf record of the target while `load` runs; samples per request by symbol. */
async function record(
  target: Target,
  file: string,
  load: () => Promise<{ requests: number }>,
  seconds: number,
): Promise<Profile> {
  const args = ["record", "-q", "-F", String(FREQUENCY_HZ), "-o", file, "-p", String(target.child.pid)];
  const perf = spawn("perf", [...args, "--", "sleep", String(seconds)], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => perf.on("exit", () => resolve()));
  const { requests } = await load();
  await exited;
  const report = await run("perf", ["report", "-i", file, "--no-children", "--sort", "sym", "-n", "--stdio"]);
  const perSymbol = new Map<string, number>();
  for (const line of report.stdout.split("\n")) {
    // "    12.34%      2468  [.] symbol"
    const match = /^\s*[\d.]+%\s+(\d+)\s+(.*)$/.exec(line);
    if (!match) continue;
    const symbol = (match[2] as string).trim().replace(/ tid \d+/, "");
    const us = (Number(match[1]) / requests / FREQUENCY_HZ) * 1e6;
    perSymbol.set(symbol, (perSymbol.get(symbol) ?? 0) + us);
  }
  return { requests, perSymbol };
}

function kindOf(symbol: string): string {
  return (KINDS.find(([, pattern]) => pattern.test(symbol)) as readonly [string, RegExp])[0];
}

function byKind(profile: Profile): Map<string, number> {
  const kinds = new Map<string, number>();
  for (const [symbol, us] of profile.perSymbol)
    kinds.set(kindOf(symbol), (kinds.get(kindOf(symbol)) ?? 0) + us);
  return kinds;
}

function print(driftguard: Profile, bare: Profile, top: number): void {
  const [dg, b] = [byKind(driftguard), byKind(bare)];
  const us = (n: number) => n.toFixed(1).padStart(8);
  const lines = [
    `CPU per request by kind of work, µs (perf, ${FREQUENCY_HZ} Hz; ${driftguard.requests} and ${bare.requests} requests)`,
    `${"kind".padEnd(42)}${"driftguard".padStart(11)}${"bare".padStart(8)}${"extra".padStart(8)}`,
  ];
  let [totalDg, totalBare] = [0, 0];
  for (const [kind] of KINDS) {
    const [a, c] = [dg.get(kind) ?? 0, b.get(kind) ?? 0];
    totalDg += a;
    totalBare += c;
    lines.push(`${kind.padEnd(42)}${us(a)}   ${us(c)}${us(a - c)}`);
  }
  lines.push(`${"total".padEnd(42)}${us(totalDg)}   ${us(totalBare)}${us(totalDg - totalBare)}`, "");
  lines.push(`the ${top} symbols driftguard spends most on beyond bare (µs per request: driftguard, bare)`);
  const symbols = new Set([...driftguard.perSymbol.keys(), ...bare.perSymbol.keys()]);
  const extra = [...symbols]
    .map(
      (symbol) => [symbol, driftguard.perSymbol.get(symbol) ?? 0, bare.perSymbol.get(symbol) ?? 0] as const,
    )
    .sort((x, y) => y[1] - y[2] - (x[1] - x[2]))
    .slice(0, top);
  for (const [symbol, a, c] of extra) lines.push(`${us(a)}${us(c)}  ${symbol.slice(0, 100)}`);
  process.stdout.write(`${lines.join("\n")}\n`);
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`native profile: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(runCleanup);
