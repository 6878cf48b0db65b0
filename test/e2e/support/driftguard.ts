// driftguard as users run it: the built CLI (`node dist/cli/main.js serve --config FILE`) in its own
// process, with a CA and serving certificate for 127.0.0.1 that the API server trusts via caBundle.
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { generateCertificates } from "../../../src/certs/generate.js";
import { freePort, type Managed, startProcess, waitFor } from "./processes.js";

export const REPO_ROOT = resolve(import.meta.dirname, "../../..");
const CLI = join(REPO_ROOT, "dist", "cli", "main.js");

export interface DriftguardProcess {
  url: string;
  caFile: string;
  caPem: string;
  process: Managed;
}

export async function startDriftguard(workDir: string, configFor: (server: ServerFiles) => string) {
  if (!existsSync(CLI))
    throw new Error(`${CLI} is missing: run \`npm run build\` first (npm run test:e2e does)`);
  const certs = await generateCertificates({ dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] });
  const files: ServerFiles = {
    port: await freePort(),
    certFile: join(workDir, "driftguard-tls.crt"),
    keyFile: join(workDir, "driftguard-tls.key"),
  };
  const caFile = join(workDir, "driftguard-ca.crt");
  await writeFile(files.certFile, certs.cert);
  await writeFile(files.keyFile, certs.key, { mode: 0o600 });
  await writeFile(caFile, certs.caCert);
  const configFile = join(workDir, "driftguard.yaml");
  await writeFile(configFile, configFor(files));
  const process = startProcess(
    "driftguard",
    globalThis.process.execPath,
    [CLI, "serve", "--config", configFile],
    {
      logFile: join(workDir, "driftguard.log"),
      cwd: workDir,
    },
  );
  const url = `https://127.0.0.1:${files.port}`;
  await waitFor(
    "driftguard /readyz",
    async () => {
      // Ready answers at once (SPEC §6); wait until every source has synced, so tests see Git's state.
      const body = JSON.parse(await fetchWithCa(`${url}/readyz`, certs.caCert)) as ReadyBody;
      const sources = body.details?.sources ?? [];
      return sources.length > 0 && sources.every((source) => source.lastSuccessAt !== undefined)
        ? true
        : undefined;
    },
    60_000,
    200,
    () => (process.isRunning() ? undefined : `driftguard exited; see ${process.logFile}`),
  );
  return { url, caFile, caPem: certs.caCert, process } satisfies DriftguardProcess;
}

interface ReadyBody {
  ready?: boolean;
  details?: { sources?: { lastSuccessAt?: number }[] };
}

export interface ServerFiles {
  port: number;
  certFile: string;
  keyFile: string;
}

async function fetchWithCa(url: string, ca: string): Promise<string> {
  const { request } = await import("node:https");
  return new Promise((resolvePromise, reject) => {
    const req = request(url, { ca, timeout: 5_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolvePromise(body));
    });
    req.on("error", reject);
    req.end();
  });
}
