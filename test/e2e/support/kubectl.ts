// kubectl, built from the same Kubernetes release as the API server, run as one of the test users.
import { execFile } from "node:child_process";
import { join } from "node:path";
import type { TestbedInfo } from "./testbed-info.js";

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export function kubectl(
  testbed: TestbedInfo,
  user: string,
  args: readonly string[],
  options: KubectlOptions = {},
): Promise<KubectlResult> {
  const kubeconfig = testbed.kubeconfigs[user];
  if (!kubeconfig) throw new Error(`no kubeconfig for test user ${user}`);
  return new Promise((resolve) => {
    const child = execFile(
      join(testbed.binDir, "kubectl"),
      [`--kubeconfig=${kubeconfig}`, ...args],
      {
        env: { PATH: process.env.PATH ?? "", HOME: testbed.workDir, ...options.env },
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** kubectl that must succeed: throws with kubectl's own error otherwise. */
export async function kubectlOk(
  testbed: TestbedInfo,
  user: string,
  args: readonly string[],
  options: KubectlOptions = {},
): Promise<string> {
  const result = await kubectl(testbed, user, args, options);
  if (result.code !== 0) {
    throw new Error(`kubectl ${args.join(" ")} (as ${user}) failed with ${result.code}: ${result.stderr}`);
  }
  return result.stdout;
}

/** The object as the API server stores it now. */
export async function getJson(
  testbed: TestbedInfo,
  kind: string,
  name: string,
  namespace: string,
): Promise<Record<string, unknown>> {
  return JSON.parse(await kubectlOk(testbed, "admin", ["get", kind, name, "-n", namespace, "-o", "json"]));
}
