// Kubeconfig files of the test bed: every one names the same cluster and CA; only the token differs.
import { readFile, writeFile } from "node:fs/promises";
import type { TestbedInfo } from "./testbed-info.js";

/** The bearer token in a test user's kubeconfig. */
export async function tokenOf(testbed: TestbedInfo, user: string): Promise<string> {
  const text = await readFile(testbed.kubeconfigs[user] ?? "", "utf8");
  return /token: "([^"]+)"/.exec(text)?.[1] ?? "";
}

/** Writes a kubeconfig for `token` (a service account's, from TokenRequest), like the admin's otherwise. */
export async function writeKubeconfigWithToken(
  testbed: TestbedInfo,
  file: string,
  token: string,
): Promise<void> {
  const admin = await readFile(testbed.kubeconfigs.admin ?? "", "utf8");
  await writeFile(file, admin.replace(/token: "[^"]*"/, `token: "${token}"`), { mode: 0o600 });
}
