// A kubeconfig whose API server is a free loopback port nobody listens on: for what driftguard does
// when the cluster cannot be reached.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { freePort } from "./net.js";
import { makeTempDir } from "./tls/cert-dir.js";

export async function unreachableKubeconfig(): Promise<string> {
  const dir = await makeTempDir();
  const file = join(dir, "kubeconfig");
  await writeFile(
    file,
    `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:${await freePort()}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: not-a-real-token}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`,
  );
  return file;
}
