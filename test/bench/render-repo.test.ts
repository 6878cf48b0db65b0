// The render bench's generated repository, small, through the whole runtime with the real kustomize
// and helm: what the bench counts must be true before its figures mean anything. Every overlay and
// release renders its one Deployment (the patch, the configMapGenerator and the vendored chart all
// work), and each of the bench's commits renders again exactly the apps it says it touches.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import type { JsonObject } from "../../src/core/types.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import { memoryLogger } from "../support/memory-logger.js";
import { requireRenderTools } from "../support/render-tools.js";
import { makeTempDir } from "../support/tls/cert-dir.js";
import { commitAll, git } from "./git.js";
import {
  appEntries,
  type RenderApp,
  type RenderRepo,
  type RepoChange,
  renderRepo,
  touchBase,
  touchOverlay,
  touchRelease,
  writeRepoFiles,
} from "./render-repo.js";

const tools = requireRenderTools();
if (tools.skipReason !== undefined) console.warn(`render bench repository: ${tools.skipReason}`);

describe.skipIf(tools.skipReason !== undefined)("the render bench's repository", () => {
  let tmp: string;
  let repoDir: string;
  let repo: RenderRepo;
  let runtime: Runtime;
  let renders = 0;

  const source = () => runtime.sources[0];
  const objectOf = (app: RenderApp): JsonObject | undefined =>
    source()?.current()?.files.get(app.path)?.docs[0]?.object;
  const podSpec = (app: RenderApp) => {
    const template = (objectOf(app)?.spec as JsonObject | undefined)?.template as JsonObject | undefined;
    return template?.spec as { containers?: JsonObject[]; volumes?: JsonObject[] } | undefined;
  };
  const container = (app: RenderApp) => podSpec(app)?.containers?.[0];
  const envValue = (app: RenderApp, name: string) =>
    (container(app)?.env as { name: string; value?: string }[] | undefined)?.find((env) => env.name === name)
      ?.value;

  beforeAll(async () => {
    tmp = await makeTempDir();
    repoDir = join(tmp, "repo");
    repo = renderRepo({ bases: 2, overlaysPerBase: 2, releases: 2 });
    await writeRepoFiles(repoDir, repo.files);
    await commitAll(repoDir, "apps");
    const config = parseConfig(
      [
        "sources:",
        "  - name: rendered",
        `    url: "${repoDir}"`,
        "    paths:",
        appEntries(repo.apps),
        "stateDir: state",
        `renderers: {kustomize: "${tools.kustomize}", helm: "${tools.helm}"}`,
      ].join("\n"),
      { file: "driftguard.yaml", dir: tmp },
    );
    runtime = createRuntime(config, memoryLogger().logger);
    const observe = runtime.metrics.recordRender.bind(runtime.metrics);
    runtime.metrics.recordRender = (event) => {
      renders += 1;
      observe(event);
    };
    await runtime.started;
  }, 120_000);
  afterAll(async () => {
    await runtime?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  /** Commits a change, syncs, and answers the renders it ran and the apps now served from it. */
  const push = async (change: RepoChange) => {
    await writeRepoFiles(repoDir, change.files);
    await git(repoDir, ["commit", "-q", "--no-verify", "-am", change.what]);
    const head = (await git(repoDir, ["rev-parse", "HEAD"])).stdout.trim();
    const before = renders;
    await runtime.refresh(undefined);
    const fresh = source()
      ?.status()
      .apps.filter((app) => app.renderedAt === head)
      .map((app) => app.path);
    return { renders: renders - before, fresh };
  };

  it("renders every app into its one Deployment, in its namespace", () => {
    expect(renders).toBe(repo.apps.length);
    expect(
      source()
        ?.status()
        .apps.filter((app) => app.error !== undefined),
    ).toEqual([]);
    for (const app of repo.apps) {
      expect(runtime.state.lookup({ namespace: app.namespace, name: app.deployment }).kind).toBe("managed");
    }
    expect(runtime.state.size).toBe(repo.apps.length);
  });

  it("applies each overlay's patch and generated ConfigMap, and each release's values", () => {
    for (const app of repo.apps.filter((candidate) => candidate.type === "kustomize")) {
      expect(envValue(app, "ENVIRONMENT")).toBe(app.namespace);
      const config = podSpec(app)?.volumes?.find((volume) => volume.name === "config")?.configMap as
        | { name?: string }
        | undefined;
      expect(config?.name).toMatch(new RegExp(`^${app.deployment}-config-[a-z0-9]{10}$`));
    }
    for (const app of repo.apps.filter((candidate) => candidate.type === "helm")) {
      expect(envValue(app, "TEAM")).toBe(app.namespace);
      expect(container(app)?.image).toMatch(/^registry\.example\.com\/platform\/web:1\.\d+\.\d+$/);
    }
  });

  it.each([
    ["one overlay", () => touchOverlay(1, 0, 1)],
    ["a shared base", () => touchBase(repo, 0, 1)],
    ["one release's values", () => touchRelease(1, 1)],
  ])("renders again exactly what a commit touching %s reaches", async (_what, change) => {
    const made = change();
    const before = made.rendersAgain.map((app) => JSON.stringify(objectOf(app)));
    const result = await push(made);
    expect(result.renders).toBe(made.rendersAgain.length);
    expect(result.fresh?.sort()).toEqual(made.rendersAgain.map((app) => app.path).sort());
    made.rendersAgain.forEach((app, i) => {
      expect(JSON.stringify(objectOf(app))).not.toBe(before[i]);
    });
  });
});
