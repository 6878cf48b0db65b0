// Runs the driftguard command as a user would: a child process, from the repository root.
import { execFile } from "node:child_process";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../..");
const MAIN = join(ROOT, "src/cli/main.ts");

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export function driftguard(args: string[], stdin?: string): Promise<Result> {
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      ["--import", "tsx", MAIN, ...args],
      { cwd: ROOT, timeout: 60_000 },
      (error, stdout, stderr) => {
        done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(stdin ?? "");
  });
}
