// driftguard as users run it: the built CLI (`node dist/cli/main.js serve --config FILE`) in its own
// process, with a CA and serving certificate for 127.0.0.1 that the API server trusts via caBundle.
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { generateCertificates } from "../../../src/certs/generate.js";
import { sendHttps } from "../../support/tls/https-client.js";
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
      // Ready answers at once (docs/contract.md §6); wait until every source has synced, so tests see Git's state.
      // Ready also means the RBAC watches have listed once.
      const body = (await sendHttps({ url: `${url}/readyz`, ca: certs.caCert })).json() as ReadyBody;
      const sources = body.details?.sources ?? [];
      const synced = sources.length > 0 && sources.every((source) => source.lastSuccessAt !== undefined);
      return body.ready === true && synced ? true : undefined;
    },
    // Rendered apps render twice at the first sync (measured: 26 s for the rendered corpus, Argo CD's
    // two kustomize builds about 10 s each); the wait ends as soon as every source has synced.
    120_000,
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
