// Runs a command to completion with a time limit, so that no step of the benchmark can hang forever.
import { execFile } from "node:child_process";

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Do not throw on a non-zero exit; the caller reads `code`. */
  allowFailure?: boolean;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

const DEFAULT_TIMEOUT_MS = 120_000;

export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      [...args],
      {
        cwd: options.cwd,
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        killSignal: "SIGKILL",
        maxBuffer: 64 * 1024 * 1024,
        encoding: "utf8",
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        if (error && !options.allowFailure) {
          const detail = stderr.trim().split("\n").slice(-5).join("\n");
          reject(
            new Error(`${command} ${args.join(" ")} failed (${error.message.split("\n")[0]})\n${detail}`),
          );
          return;
        }
        resolve({ code, stdout, stderr });
      },
    );
  });
}
