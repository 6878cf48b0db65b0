// driftguard as deployed: the built CLI (`node dist/cli/main.js serve`) in its own process, so that its
// RSS and descriptors read from /proc are its own, with the soak's probe preloaded (heap, event-loop delay
// over IPC). Stopped with SIGTERM, then SIGKILL after a bound; registered for cleanup on any exit.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { terminate } from "../bench/child.js";
import { onCleanup } from "../bench/cleanup.js";
import { CLI, REPO_ROOT } from "../bench/paths.js";

const PROBE = fileURLToPath(new URL("./probe.mjs", import.meta.url));
const SOURCE_CLI = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
const START_TIMEOUT_MS = 60_000;
const PROBE_TIMEOUT_MS = 5_000;

export interface ProbeFigures {
  heapUsedBytes: number;
  heapAfterMajorGcBytes: number;
  majorGcs: number;
  heapTotalBytes: number;
  externalBytes: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

export interface Driftguard {
  pid: number;
  /** VmRSS of /proc/PID/status, in bytes. */
  rssBytes(): number;
  /** Entries of /proc/PID/fd. */
  openFds(): number;
  probe(): Promise<ProbeFigures>;
  exited(): boolean;
  logTail(): string;
  stop(): Promise<void>;
}

export async function startDriftguard(
  configFile: string,
  logFile: string,
  fromSource: boolean,
): Promise<Driftguard> {
  if (!fromSource && !existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const entry = fromSource ? ["--import", "tsx", SOURCE_CLI] : ["--enable-source-maps", CLI];
  const log = openSync(logFile, "a");
  const child = spawn(process.execPath, ["--import", PROBE, ...entry, "serve", "--config", configFile], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", log, "ipc"],
    env: process.env,
  });
  closeSync(log);
  const forget = onCleanup(() => {
    if (running(child)) child.kill("SIGKILL");
  });
  const logTail = () => tail(logFile);
  await listening(child, logTail);
  const pid = child.pid;
  if (pid === undefined) throw new Error("driftguard has no pid");
  return {
    pid,
    rssBytes: () => vmRss(pid),
    openFds: () => readdirSync(`/proc/${pid}/fd`).length,
    probe: () => askProbe(child),
    exited: () => !running(child),
    logTail,
    async stop() {
      await terminate(child);
      forget();
    },
  };
}

function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Resolves once stdout says it listens; stdout is drained afterwards so the child never blocks on it. */
function listening(child: ChildProcess, logTail: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`driftguard ${why}\n${logTail()}`));
    };
    const timer = setTimeout(() => fail(`did not listen within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    child.once("error", (error) => fail(`could not be started: ${error.message}`));
    child.once("exit", (code, signal) => fail(`exited early (${signal ?? `code ${code}`})`));
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      if (!/driftguard listening on https:\/\//.test(buffered)) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      child.removeAllListeners("error");
      child.stdout?.removeAllListeners("data");
      child.stdout?.resume();
      resolve();
    });
  });
}

function askProbe(child: ChildProcess): Promise<ProbeFigures> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off("message", onMessage);
      reject(new Error(`the probe in driftguard did not answer within ${PROBE_TIMEOUT_MS} ms`));
    }, PROBE_TIMEOUT_MS);
    const onMessage = (message: unknown) => {
      clearTimeout(timer);
      child.off("message", onMessage);
      resolve(message as ProbeFigures);
    };
    child.on("message", onMessage);
    child.send("sample");
  });
}

function vmRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kb) * 1024;
}

function tail(file: string): string {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-8).join("\n");
  } catch {
    return "";
  }
}
