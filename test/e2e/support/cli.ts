// The built CLI, as users run it (`node dist/cli/main.js …`), with its exit status and both streams.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "./driftguard.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

const CLI = join(REPO_ROOT, "dist", "cli", "main.js");

export function runCli(args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { timeout: 120_000, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}
