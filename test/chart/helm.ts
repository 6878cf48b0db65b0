// helm for the chart tests: built from the Go module proxy by test/testbed/helm.sh (cached outside the
// repository), run on the chart in charts/driftguard.
import { execFile, execFileSync } from "node:child_process";
import { resolve } from "node:path";

export const REPO_ROOT = resolve(import.meta.dirname, "../..");
export const CHART_DIR = resolve(REPO_ROOT, "charts/driftguard");

let helmPath: string | undefined;

/** Go is needed to build helm; without it the chart tests skip and say so. */
export function goAvailable(): boolean {
  try {
    execFileSync("go", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export function helmBinary(): string {
  helmPath ??= execFileSync("bash", [resolve(REPO_ROOT, "test/testbed/helm.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  })
    .trim()
    .split("\n")
    .at(-1);
  if (!helmPath) throw new Error("test/testbed/helm.sh printed no path");
  return helmPath;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function helm(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<HelmResult> {
  return new Promise((done) => {
    execFile(
      helmBinary(),
      args,
      {
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
        maxBuffer: 32 * 1024 * 1024,
      },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}
