// Child processes of the test bed (etcd, kube-apiserver, kube-controller-manager, driftguard): each one
// logs to its own file, so that a failure can be read after the run, and stops with SIGTERM, then
// SIGKILL when it does not go within a few seconds.
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";

export interface Managed {
  readonly name: string;
  readonly logFile: string;
  /** Resolves with the exit code (or signal) once the process has gone. */
  readonly exited: Promise<string>;
  stop(): Promise<void>;
  /** SIGKILL: a crash, not a shutdown. */
  kill(): Promise<void>;
  isRunning(): boolean;
}

export function startProcess(
  name: string,
  command: string,
  args: readonly string[],
  options: { logFile: string; env?: NodeJS.ProcessEnv; cwd?: string },
): Managed {
  const log = createWriteStream(options.logFile, { flags: "a" });
  const child: ChildProcess = spawn(command, args, {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  let running = true;
  const exited = new Promise<string>((resolve) => {
    child.on("exit", (code, signal) => {
      running = false;
      resolve(signal ?? `exit ${code}`);
    });
    child.on("error", (error) => {
      running = false;
      log.write(`\n${name}: ${error.message}\n`);
      resolve(`error ${error.message}`);
    });
  });
  return {
    name,
    logFile: options.logFile,
    exited,
    isRunning: () => running,
    async kill() {
      if (running) child.kill("SIGKILL");
      await exited;
      await new Promise<void>((resolve) => log.end(resolve));
    },
    async stop() {
      if (running) {
        child.kill("SIGTERM");
        const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(killer);
      }
      await new Promise<void>((resolve) => log.end(resolve));
    },
  };
}

export { freePort } from "../../support/net.js";

/** Polls `probe` until it returns a value, or throws with `what` and the last error after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 200,
  /** Checked before every probe: a message ends the wait at once (a process that exited). */
  fatal: () => string | undefined = () => undefined,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "";
  for (;;) {
    const reason = fatal();
    if (reason !== undefined) throw new Error(`gave up waiting for ${what}: ${reason}`);
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = (error as Error).message;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} ${lastError}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
