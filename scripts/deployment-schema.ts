// Writes src/sources/schema/apps-v1-deployment.json: the apps/v1 Deployment schema of the Kubernetes
// version the test bed pins, read from a real kube-apiserver's /openapi/v3/apis/apps/v1.
//
//   npx tsx scripts/deployment-schema.ts           start the test bed's etcd and kube-apiserver (built or
//                                                  cached by test/testbed/build.sh), read, translate, write
//   npx tsx scripts/deployment-schema.ts --check   the same, but exit 1 if the committed file differs
//
// The output is deterministic (keys sorted), so a re-run against the same version changes nothing.
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { apiGet } from "../test/e2e/support/api-client.js";
import { ADMIN, startControlPlane } from "../test/e2e/support/control-plane.js";
import { stableJson, translateOpenApi } from "./openapi-schema.js";

const REPO_ROOT = resolve(import.meta.dirname, "..");
const OUTPUT = join(REPO_ROOT, "src", "sources", "schema", "apps-v1-deployment.json");
const SHOWN = relative(process.cwd(), OUTPUT);
const OPENAPI_PATH = "/openapi/v3/apis/apps/v1";
const ROOT = "io.k8s.api.apps.v1.Deployment";

interface ServerDocuments {
  version: string;
  openapi: unknown;
}

/** The test bed's binaries directory: build.sh prints it on its last line (and builds on a cold cache). */
function testbedBinaries(): string {
  const output = execFileSync("bash", [join(REPO_ROOT, "test", "testbed", "build.sh")], {
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  });
  const dir = output.trim().split("\n").at(-1);
  if (!dir) throw new Error("test/testbed/build.sh printed no binary directory");
  return dir;
}

/** The server's gitVersion and its OpenAPI document, read from a control plane started for this run. */
async function readFromServer(): Promise<ServerDocuments> {
  const binDir = testbedBinaries();
  const workDir = await mkdtemp(join(tmpdir(), "driftguard-schema-"));
  const plane = await startControlPlane({ binDir, workDir, users: [] });
  try {
    const get = async (path: string) => {
      const response = await apiGet(plane.server, plane.pki.caFile, plane.pki.tokens.get(ADMIN), path);
      if (response.status !== 200) throw new Error(`GET ${path}: HTTP ${response.status}`);
      return JSON.parse(response.text) as unknown;
    };
    const version = (await get("/version")) as { gitVersion?: unknown };
    if (typeof version.gitVersion !== "string") throw new Error("GET /version: no gitVersion");
    return { version: version.gitVersion, openapi: await get(OPENAPI_PATH) };
  } finally {
    await plane.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { check: { type: "boolean", default: false } }, strict: true });
  const server = await readFromServer();
  const schema = translateOpenApi({
    openapi: server.openapi as Parameters<typeof translateOpenApi>[0]["openapi"],
    root: ROOT,
    kubernetesVersion: server.version,
    openapiPath: OPENAPI_PATH,
  });
  const text = stableJson(schema);
  const defs = Object.keys(schema.$defs as object).length;
  if (values.check) {
    const committed = await readFile(OUTPUT, "utf8").catch(() => "");
    if (committed === text) {
      process.stdout.write(`${SHOWN}: up to date (Kubernetes ${server.version}, ${defs} definitions)\n`);
      return 0;
    }
    process.stderr.write(
      `${SHOWN} differs from what ${server.version} says: run the script without --check\n`,
    );
    return 1;
  }
  await writeFile(OUTPUT, text);
  process.stdout.write(`wrote ${SHOWN}: Kubernetes ${server.version}, ${ROOT} and ${defs} definitions\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`deployment-schema: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
