// wrk, the load generator: found on PATH, or installed from Debian's packages when we are root, and its
// output parsed into numbers. wrk is used because it is far cheaper per request than a Node client: on
// two shared cores, a heavier generator would take CPU from the server it measures.
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { run } from "./exec.js";
import { WRK_SCRIPT } from "./paths.js";

export interface WrkResult {
  requests: number;
  durationS: number;
  requestsPerSec: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  /** Non-2xx answers plus socket errors: any of these makes the run invalid. */
  errors: number;
}

export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** wrk's path, or undefined after telling how to install it. */
export async function ensureWrk(log: (line: string) => void): Promise<string | undefined> {
  const found = findOnPath("wrk");
  if (found) return found;
  if (process.getuid?.() !== 0) {
    log(
      "load: wrk is not installed; install it with `sudo apt-get install wrk` (Debian/Ubuntu) and run again",
    );
    return undefined;
  }
  log("load: wrk not found; installing it with apt-get (Debian package `wrk`)");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () =>
    run("apt-get", ["install", "-y", "-q", "wrk"], { env, timeoutMs: 300_000, allowFailure: true });
  let result = await install();
  if (result.code !== 0) {
    // A fresh machine has no package lists yet: read them once, then try again.
    await run("apt-get", ["update", "-q"], { env, timeoutMs: 300_000, allowFailure: true });
    result = await install();
  }
  const installed = findOnPath("wrk");
  if (!installed) {
    const reason = result.stderr.trim().split("\n").pop() ?? "";
    log(
      `load: apt-get could not install wrk (${reason}); install it with \`apt-get install wrk\` and run again`,
    );
  }
  return installed;
}

export interface WrkRun {
  wrk: string;
  url: string;
  bodyFiles: readonly string[];
  connections: number;
  threads: number;
  durationS: number;
}

export async function runWrk(options: WrkRun): Promise<WrkResult> {
  const args = [
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${options.durationS}s`,
    "--timeout",
    "10s",
    "--latency",
    "-s",
    WRK_SCRIPT,
    `${options.url}/validate`,
    "--",
    ...options.bodyFiles,
  ];
  // wrk stops by itself after -d; the limit only guards against a wedged run.
  const { stdout } = await run(options.wrk, args, { timeoutMs: (options.durationS + 60) * 1_000 });
  return parseWrk(stdout);
}

/** Parses wrk's text (Requests/sec, the --latency distribution) and our Lua summary line (p99.9). */
export function parseWrk(output: string): WrkResult {
  const summary = Object.fromEntries(
    [...(output.match(/^BENCH_SUMMARY (.*)$/m)?.[1] ?? "").matchAll(/(\w+)=(\d+)/g)].map((m) => [
      m[1],
      Number(m[2]),
    ]),
  ) as Record<string, number>;
  const rps = Number(output.match(/^Requests\/sec:\s+([\d.]+)/m)?.[1]);
  const total = output.match(/^\s*(\d+) requests in ([\d.]+)(us|ms|s|m),/m);
  const p50 = latencyLine(output, "50%");
  const p99 = latencyLine(output, "99%");
  const non2xx = Number(output.match(/Non-2xx or 3xx responses:\s+(\d+)/)?.[1] ?? 0);
  const socket = output.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  if (
    !total ||
    !Number.isFinite(rps) ||
    p50 === undefined ||
    p99 === undefined ||
    summary.p999_us === undefined
  ) {
    throw new Error(`cannot read wrk's output:\n${output}`);
  }
  return {
    requests: Number(total[1]),
    durationS: toSeconds(Number(total[2]), total[3] as string),
    requestsPerSec: rps,
    p50Us: p50,
    p99Us: p99,
    p999Us: summary.p999_us,
    maxUs: summary.max_us ?? Number.NaN,
    errors: non2xx + socketErrors,
  };
}

/** `     99%    2.50ms` → 2500 (µs). */
function latencyLine(output: string, label: string): number | undefined {
  const match = output.match(new RegExp(`^\\s+${label}\\s+([\\d.]+)(us|ms|s|m)\\s*$`, "m"));
  return match ? toSeconds(Number(match[1]), match[2] as string) * 1_000_000 : undefined;
}

function toSeconds(value: number, unit: string): number {
  switch (unit) {
    case "us":
      return value / 1_000_000;
    case "ms":
      return value / 1_000;
    case "m":
      return value * 60;
    default:
      return value;
  }
}
