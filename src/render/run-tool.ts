// One run of kustomize or helm: an argument array (never a shell), stdin closed, a fresh empty HOME
// and a minimal environment (tool-env.ts), its own process group so that a time or output limit
// kills everything it started. It never throws: every way a run can end is a ToolResult.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { performance } from "node:perf_hooks";
import { redactText } from "../sources/redact.js";
import type { IsolationPrefix } from "./network-isolation.js";
import { findBinary, toolEnvironment } from "./tool-env.js";

export interface ToolRun {
  binary: string;
  args: readonly string[];
  cwd: string;
  timeoutMs: number;
  /** stdout and stderr together. */
  maxOutputBytes: number;
  /** Runs the tool through this command (`unshare --net …`): no network in the tool's world. */
  isolation?: IsolationPrefix | undefined;
}

export type ToolFailure = "exit" | "timeout" | "output-limit" | "spawn";

export type ToolResult =
  | { ok: true; stdout: string; stderr: string; ms: number }
  | {
      ok: false;
      reason: ToolFailure;
      exitCode: number | null;
      /** The first lines of stderr, URL credentials hidden: what a log line or /readyz may show. */
      stderrHead: string;
      message: string;
      ms: number;
    };

export const STDERR_HEAD_LINES = 10;
export const STDERR_HEAD_BYTES = 2048;

export async function runTool(run: ToolRun): Promise<ToolResult> {
  const started = performance.now();
  const name = basename(run.binary) || run.binary;
  const failed = (message: string): ToolResult => spawnFailure(message, started);
  const binary = findBinary(run.binary);
  if (binary === undefined) return failed(`${name}: no such executable (as a path, or on PATH)`);
  if (!(await isFolder(run.cwd))) return failed(`${name}: the working folder ${run.cwd} does not exist`);
  let home: string;
  try {
    home = await mkdtemp(join(tmpdir(), "driftguard-render-home-"));
  } catch (error) {
    return failed(`${name}: cannot create a fresh HOME (${(error as Error).message})`);
  }
  try {
    return await supervise(run, name, spawnTool(run, binary, home), started);
  } catch (error) {
    return failed(`${name} could not be started: ${(error as Error).message}`);
  } finally {
    await rm(home, { recursive: true, force: true }).catch(() => undefined);
  }
}

function spawnTool(run: ToolRun, binary: string, home: string): ChildProcess {
  const { isolation } = run;
  const [command, args] = isolation
    ? [isolation.binary, [...isolation.args, binary, ...run.args]]
    : [binary, [...run.args]];
  return spawn(command, args, {
    cwd: run.cwd,
    env: toolEnvironment(binary, home),
    shell: false,
    detached: true, // its own process group: one kill reaches whatever it started
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Collects the output within the limits, and answers once the process and its pipes are done. */
function supervise(run: ToolRun, name: string, child: ChildProcess, started: number): Promise<ToolResult> {
  return new Promise((answer) => {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let bytes = 0;
    let limit: "timeout" | "output-limit" | undefined;
    let spawnError: Error | undefined;
    const stop = (why: "timeout" | "output-limit") => {
      limit ??= why;
      killGroup(child);
    };
    const timer = setTimeout(() => stop("timeout"), run.timeoutMs);
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      if (limit !== undefined) return;
      bytes += chunk.length;
      if (bytes > run.maxOutputBytes) stop("output-limit");
      else into.push(chunk);
    };
    child.stdout?.on("data", collect(stdout));
    child.stderr?.on("data", collect(stderr));
    child.on("error", (error) => {
      if (child.pid === undefined) spawnError ??= error;
    });
    // Whatever the tool left running in its group goes with it.
    child.on("exit", () => killGroup(child));
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const ms = performance.now() - started;
      const out = Buffer.concat(stdout).toString("utf8");
      const err = Buffer.concat(stderr).toString("utf8");
      if (spawnError !== undefined)
        return answer(spawnFailure(`${name} could not be started: ${spawnError.message}`, started));
      if (limit === undefined && code === 0) return answer({ ok: true, stdout: out, stderr: err, ms });
      const head = stderrHead(err);
      const reason = limit ?? "exit";
      answer({
        ok: false,
        reason,
        exitCode: code,
        stderrHead: head,
        message: failureMessage(name, run, reason, code, signal, head),
        ms,
      });
    });
  });
}

function failureMessage(
  name: string,
  run: ToolRun,
  reason: ToolFailure,
  code: number | null,
  signal: NodeJS.Signals | null,
  head: string,
): string {
  const firstLine = head.split("\n").find((line) => line.trim() !== "");
  const said = firstLine === undefined ? "" : `: ${firstLine.trim()}`;
  if (reason === "timeout") return `${name} was killed after the time limit of ${run.timeoutMs} ms`;
  if (reason === "output-limit")
    return `${name} was killed: it printed more than the output limit of ${run.maxOutputBytes} bytes`;
  if (code === null) return `${name} was killed by ${signal ?? "a signal"}${said}`;
  return `${name} exited with code ${code}${said}`;
}

/** The first lines of stderr, credentials in URLs hidden before anything is cut. */
export function stderrHead(stderr: string): string {
  const redacted = redactText(stderr.slice(0, STDERR_HEAD_BYTES * 8));
  const lines = redacted.split(/\r?\n/).slice(0, STDERR_HEAD_LINES).join("\n").trimEnd();
  const bytes = Buffer.from(lines, "utf8");
  if (bytes.length <= STDERR_HEAD_BYTES) return lines;
  // Cut on a character boundary: a partial UTF-8 sequence would print as garbage.
  return new TextDecoder("utf-8").decode(bytes.subarray(0, STDERR_HEAD_BYTES)).replace(/\uFFFD$/, "");
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // ESRCH: the group is already gone.
  }
}

function spawnFailure(message: string, started: number): ToolResult {
  return {
    ok: false,
    reason: "spawn",
    exitCode: null,
    stderrHead: "",
    message,
    ms: performance.now() - started,
  };
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
