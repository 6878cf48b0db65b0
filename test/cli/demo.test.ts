// The built-in demo (`npm start` without --config): its repository, config and apps, as serve loads them.
import { existsSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load-config.js";
import { setUpDemo } from "../../src/demo/setup.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import { renderTools } from "../support/render-tools.js";
import { makeTempDir } from "../support/tls/cert-dir.js";

const tools = renderTools(process.env);

describe("the demo", { timeout: 120_000 }, () => {
  let tmp: string;
  let runtime: Runtime;
  let withoutApps: string | undefined;
  const path = process.env.PATH;

  beforeAll(async () => {
    tmp = await makeTempDir();
    // The demo finds kustomize and helm on the PATH, as a user's shell would.
    const folders = [tools.kustomize, tools.helm].flatMap((tool) =>
      tool ? [tool.replace(/\/[^/]+$/, "")] : [],
    );
    process.env.PATH = [...folders, path].join(":");
    const demo = await setUpDemo(tmp);
    withoutApps = demo.withoutApps;
    runtime = createRuntime(loadConfig(demo.configFile), pino({ level: "silent" }));
    await runtime.started;
  });
  afterAll(async () => {
    process.env.PATH = path;
    await runtime?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  it("serves its plain manifests", () => {
    expect(runtime.state.lookup({ namespace: "shop", name: "web" }).kind).toBe("managed");
    expect(runtime.state.lookup({ namespace: "shop", name: "api" }).kind).toBe("managed");
  });

  it.skipIf(tools.skipReason !== undefined)(
    "renders its Kustomize overlay and Helm chart when the tools are there",
    () => {
      expect(withoutApps).toBeUndefined();
      expect(runtime.sources[0]?.status().apps.map((app) => [app.path, app.error])).toEqual([
        ["kustomize/overlays/shop", undefined],
        ["helm/search", undefined],
      ]);
      expect(runtime.state.lookup({ namespace: "shop", name: "cart" }).kind).toBe("managed");
      expect(runtime.state.lookup({ namespace: "shop", name: "search" }).kind).toBe("managed");
    },
  );
});

describe("the demo without kustomize and helm", { timeout: 60_000 }, () => {
  it("starts without its two apps and says how to get the tools", async () => {
    const tmp = await makeTempDir();
    const path = process.env.PATH;
    // The PATH without any folder holding kustomize or helm (git stays).
    process.env.PATH = (path ?? "")
      .split(":")
      .filter((dir) => !existsSync(join(dir, "kustomize")) && !existsSync(join(dir, "helm")))
      .join(":");
    try {
      const demo = await setUpDemo(tmp);
      expect(demo.withoutApps).toMatch(/^kustomize and helm not on PATH, .*scripts\/render-tools\.sh/);
      expect(loadConfig(demo.configFile).sources[0]?.apps).toEqual([]);
    } finally {
      process.env.PATH = path;
      await rm(tmp, { recursive: true, force: true });
    }
  });
});

describe("the demo in a folder it cannot write", () => {
  it("fails with DG_DEMO_UNWRITABLE naming the folder and the reason, not a bare ENOENT", async () => {
    // A regular file where the working folder should be: mkdir below it fails (ENOTDIR) even as root,
    // who may write into any read-only-by-mode folder.
    const tmp = await makeTempDir();
    const notAFolder = join(tmp, "file");
    await writeFile(notAFolder, "not a folder\n");
    try {
      const failure = await setUpDemo(notAFolder).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toMatchObject({
        code: "DG_DEMO_UNWRITABLE",
        where: `the working folder ${notAFolder}`,
      });
      expect((failure as Error).message).toMatch(
        /^cannot set up the demo: a part of the path is not a folder/,
      );
      expect((failure as { hint?: string }).hint).toContain("--config");
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
