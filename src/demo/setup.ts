// The built-in demo: a local Git repository made from DEMO_FILES, a config pointing at it, a CA and
// serving certificate under certs/, and sample AdmissionReviews to send with curl.
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { simpleGit } from "simple-git";
import { parse } from "yaml";
import { ensureCertificates } from "../certs/files.js";
import type { JsonObject } from "../core/types.js";
import { DriftguardError, describeFileError } from "../errors.js";
import { makeDirectory } from "../make-directory.js";
import { DEFAULT_RENDERER_SETTINGS, findRenderTools, HOW_TO_GET_TOOLS } from "../render/tools.js";
import { DEMO_CONFIG, DEMO_FILES, DEMO_MARKER, DEMO_RENDERED_APPS } from "./manifests.js";

export interface DemoSetup {
  configFile: string;
  reviewsDir: string;
  certsDir: string;
  /** Undefined when the Kustomize and Helm apps are in the demo; else why not and how to get them. */
  withoutApps: string | undefined;
}

/**
 * Sets the demo up under `root` (the working folder). Throws DG_DEMO_UNWRITABLE when it cannot write
 * there (the image's read-only root filesystem, say), naming the folder and the kernel's reason.
 */
export async function setUpDemo(root: string): Promise<DemoSetup> {
  try {
    return await writeDemo(root);
  } catch (error) {
    if (error instanceof DriftguardError) throw error;
    throw new DriftguardError("DG_DEMO_UNWRITABLE", `cannot set up the demo: ${describeFileError(error)}`, {
      where: `the working folder ${root}`,
      hint:
        "start the demo from a writable folder (cd there first), or serve your own config with --config " +
        "(in the image, the chart's config: its root filesystem is read-only)",
      cause: error,
    });
  }
}

async function writeDemo(root: string): Promise<DemoSetup> {
  const demoDir = join(root, ".driftguard", "demo");
  const repoDir = join(demoDir, "repo");
  const certsDir = join(root, "certs");
  if (!existsSync(join(repoDir, DEMO_MARKER))) {
    await rm(repoDir, { recursive: true, force: true });
    await createRepository(repoDir);
  }
  const configFile = join(demoDir, "driftguard.yaml");
  const withoutApps = await missingTools();
  await writeFile(
    configFile,
    DEMO_CONFIG.replace("__RENDERED_APPS__", withoutApps ? "" : DEMO_RENDERED_APPS),
  );
  await ensureCertificates(certsDir, ["localhost"], ["127.0.0.1"]);
  const reviewsDir = join(demoDir, "reviews");
  await writeSampleReviews(reviewsDir);
  return { configFile, reviewsDir, certsDir, withoutApps };
}

async function missingTools(): Promise<string | undefined> {
  const tools = await findRenderTools(DEFAULT_RENDERER_SETTINGS);
  const missing = [tools.kustomize, tools.helm].filter((tool) => tool.kind === "missing").map((t) => t.name);
  if (missing.length === 0) return undefined;
  return `${missing.join(" and ")} not on PATH, so the demo's Kustomize and Helm apps are left out; ${HOW_TO_GET_TOOLS}`;
}

async function createRepository(repoDir: string): Promise<void> {
  // The kernel's reason (EROFS, EACCES), not the ENOENT a recursive mkdir reports under a read-only parent.
  await makeDirectory(repoDir);
  for (const [file, text] of Object.entries(DEMO_FILES)) {
    await mkdir(dirname(join(repoDir, file)), { recursive: true });
    await writeFile(join(repoDir, file), text);
  }
  const git = simpleGit(repoDir);
  await git.init(["--initial-branch=main"]);
  await git.add(".");
  await git.raw([
    "-c",
    "user.name=driftguard demo",
    "-c",
    "user.email=demo@driftguard.invalid",
    "commit",
    "-m",
    "Demo manifests",
  ]);
}

async function writeSampleReviews(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const web = parse(DEMO_FILES["apps/shop/web.yaml"] ?? "") as JsonObject;
  const live: JsonObject = {
    ...web,
    metadata: { ...(web.metadata as JsonObject), uid: "3d1c5d1e-0000-4000-8000-000000000001", generation: 1 },
  };
  const edited = structuredClone(live);
  const container = (
    (((edited.spec as JsonObject).template as JsonObject).spec as JsonObject).containers as JsonObject[]
  )[0];
  if (container) container.image = "nginx:1.27.4-debug";
  await writeFile(join(dir, "set-image.json"), JSON.stringify(review("UPDATE", edited, live), null, 2));
  await writeFile(join(dir, "no-op.json"), JSON.stringify(review("UPDATE", live, live), null, 2));
}

function review(operation: string, object: JsonObject, oldObject: JsonObject): JsonObject {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: "b7c2a3f0-5c1e-4c55-9d2a-000000000001",
      kind: { group: "apps", version: "v1", kind: "Deployment" },
      resource: { group: "apps", version: "v1", resource: "deployments" },
      name: "web",
      namespace: "shop",
      operation,
      userInfo: { username: "alice", groups: ["team-shop", "system:authenticated"] },
      object,
      oldObject,
      dryRun: false,
    },
  };
}
