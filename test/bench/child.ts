// Long-running child processes (the two servers): started with a registered cleanup so that they never
// outlive the benchmark, and stopped gracefully (SIGTERM, then SIGKILL after a bound) when done.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { onCleanup } from "./cleanup.js";

export interface Child {
  name: string;
  process: ChildProcess;
  pid: number;
  /** Last lines of the child's stderr (kept in a file), for error messages. */
  logTail(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  name: string;
  command: string;
  args: readonly string[];
  cwd: string;
  /** stderr goes here: a server logging per request must not fill a pipe nobody reads. */
  logFile: string;
  /** Resolves the start once stdout shows a line matching this. */
  ready: RegExp;
  timeoutMs: number;
}

export async function startChild(options: StartOptions): Promise<Child & { readyLine: string }> {
  const log = openSync(options.logFile, "a");
  const child = spawn(options.command, [...options.args], {
    cwd: options.cwd,
    stdio: ["ignore", "pipe", log],
    env: process.env,
  });
  closeSync(log);
  const forget = onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  const logTail = () => {
    try {
      return readFileSync(options.logFile, "utf8").trim().split("\n").slice(-8).join("\n");
    } catch {
      return "";
    }
  };
  const readyLine = await new Promise<string>((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => fail(`did not start within ${options.timeoutMs} ms`), options.timeoutMs);
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${options.name} ${why}\n${logTail()}`));
    };
    child.once("error", (error) => fail(`could not be started: ${error.message}`));
    child.once("exit", (code, signal) => fail(`exited early (${signal ?? `code ${code}`})`));
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      const line = buffered.split("\n").find((candidate) => options.ready.test(candidate));
      if (line === undefined) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      child.removeAllListeners("error");
      resolve(line);
    });
  });
  // Keep draining stdout after start so the child never blocks on a full pipe.
  child.stdout?.resume();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${options.name} has no pid`);
  const stop = async () => {
    await terminate(child);
    forget();
  };
  return { name: options.name, process: child, pid, logTail, stop, readyLine };
}

/** SIGTERM, then SIGKILL if the process is still there after 15 s; resolves once it has exited. */
export async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}
