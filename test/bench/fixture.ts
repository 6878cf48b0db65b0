// A throwaway driftguard installation: a Git repository holding the reviews' manifests, a config that
// points at it, and (for the HTTPS part) a CA and serving certificate made by `driftguard certs`.

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { freePort } from "../support/net.js";
import { tempDir } from "./cleanup.js";
import { run } from "./exec.js";
import { commitAll } from "./git.js";
import { CLI, REPO_ROOT } from "./paths.js";
import { buildReviews, type ReviewSet } from "./reviews.js";

export interface Fixture {
  dir: string;
  configFile: string;
  certsDir: string;
  port: number;
  set: ReviewSet;
  /** One file per review body, for wrk's Lua script. */
  bodyFiles: string[];
}

export async function createFixture(options: { certs: boolean }): Promise<Fixture> {
  const dir = tempDir("fixture");
  const set = buildReviews();
  const repo = join(dir, "repo");
  for (const [file, text] of Object.entries(set.manifests)) {
    mkdirSync(dirname(join(repo, file)), { recursive: true });
    writeFileSync(join(repo, file), text);
  }
  await commitAll(repo, "bench manifests");
  const certsDir = join(dir, "certs");
  if (options.certs) {
    await run(
      process.execPath,
      [CLI, "certs", "--out", certsDir, "--ip", "127.0.0.1", "--dns", "localhost"],
      {
        cwd: REPO_ROOT,
        timeoutMs: 60_000,
      },
    );
  }
  const port = await freePort();
  const configFile = join(dir, "driftguard.yaml");
  writeFileSync(configFile, config(port));
  const bodyFiles = set.reviews.map((review) => {
    const file = join(dir, `${review.kind}.json`);
    writeFileSync(file, review.text);
    return file;
  });
  return { dir, configFile, certsDir, port, set, bodyFiles };
}

/**
 * Polling and the on-demand refetch are pushed out to an hour: with the default 5 s, every denial or
 * warning older than 5 s triggers a Git fetch that the requests behind it wait for, and the load part
 * would measure local `git fetch` latency instead of the request path. Log level stays at info, as
 * deployed: denials are logged per request, and that cost belongs in the figures.
 */
function config(port: number): string {
  return `mode: audit
unmanaged: allow
onUnsynced: allow
sources:
  - name: bench
    url: ./repo
    paths: [apps]
    interval: 1h
server:
  host: 127.0.0.1
  port: ${port}
  tlsCertFile: ./certs/tls.crt
  tlsKeyFile: ./certs/tls.key
stateDir: ./state
refresh:
  onDemandAfter: 1h
logLevel: info
`;
}

export { freePort };
