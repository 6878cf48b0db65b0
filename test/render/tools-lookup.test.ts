// How test/support/render-tools.ts finds kustomize and helm, and when a missing one skips or fails a test.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  pinnedRenderToolVersions,
  RenderToolsMissingError,
  renderTools,
  requireRenderTools,
} from "../support/render-tools.js";

const root = mkdtempSync(join(tmpdir(), "driftguard-render-tools-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A folder holding the named files; `mode` 0o755 makes them executable. */
function folder(name: string, files: readonly string[], mode = 0o755): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const file of files) {
    writeFileSync(join(dir, file), "#!/bin/sh\n");
    chmodSync(join(dir, file), mode);
  }
  return dir;
}

const both = folder("both", ["kustomize", "helm"]);
const helmOnly = folder("helm-only", ["helm"]);
const notExecutable = folder("not-executable", ["kustomize", "helm"], 0o644);
const path = (...dirs: string[]): string => dirs.join(delimiter);

describe("renderTools", () => {
  it.each([
    {
      name: "the PATH, first folder that has it",
      env: { PATH: path(helmOnly, both) },
      kustomize: join(both, "kustomize"),
      helm: join(helmOnly, "helm"),
      problem: undefined,
    },
    {
      name: "the variables win over the PATH",
      env: {
        PATH: both,
        DRIFTGUARD_KUSTOMIZE: join(both, "kustomize"),
        DRIFTGUARD_HELM: join(helmOnly, "helm"),
      },
      kustomize: join(both, "kustomize"),
      helm: join(helmOnly, "helm"),
      problem: undefined,
    },
    {
      name: "files that are not executable are passed over",
      env: { PATH: path(notExecutable, helmOnly) },
      kustomize: undefined,
      helm: join(helmOnly, "helm"),
      problem: "kustomize is not on PATH and DRIFTGUARD_KUSTOMIZE is not set",
    },
    {
      name: "a relative variable is reported, not replaced by the PATH",
      env: { PATH: both, DRIFTGUARD_KUSTOMIZE: "kustomize" },
      kustomize: undefined,
      helm: join(both, "helm"),
      problem: "DRIFTGUARD_KUSTOMIZE is not an absolute path",
    },
    {
      name: "a variable naming a folder is reported",
      env: { PATH: both, DRIFTGUARD_HELM: both },
      kustomize: join(both, "kustomize"),
      helm: undefined,
      problem: "DRIFTGUARD_HELM does not name an executable file",
    },
    {
      name: "relative PATH entries are not searched",
      env: { PATH: "." },
      kustomize: undefined,
      helm: undefined,
      problem: "kustomize is not on PATH",
    },
  ])("$name", ({ env, kustomize, helm, problem }) => {
    const found = renderTools(env);
    expect({ kustomize: found.kustomize, helm: found.helm }).toEqual({ kustomize, helm });
    if (problem === undefined) expect(found.skipReason).toBeUndefined();
    else {
      expect(found.skipReason).toContain(problem);
      expect(found.skipReason).toContain("bash scripts/render-tools.sh");
    }
  });
});

describe("requireRenderTools", () => {
  const helmMissing = {
    PATH: path(notExecutable, join(root, "absent")),
    DRIFTGUARD_KUSTOMIZE: join(both, "kustomize"),
  };

  it("asks only for the tools a test needs", () => {
    expect(
      requireRenderTools(["kustomize"], { ...helmMissing, DRIFTGUARD_REQUIRE_RENDERERS: "1" }).skipReason,
    ).toBe(undefined);
  });

  it("skips, saying how to get the tools, when they are not required", () => {
    const tools = requireRenderTools(["kustomize", "helm"], helmMissing);
    expect(tools.skipReason).toMatch(
      /^helm is not on PATH.*skipped; get them with `bash scripts\/render-tools.sh`/,
    );
  });

  it("fails, saying how to get the tools, under DRIFTGUARD_REQUIRE_RENDERERS=1", () => {
    const required = { ...helmMissing, DRIFTGUARD_REQUIRE_RENDERERS: "1" };
    expect(() => requireRenderTools(["helm"], required)).toThrow(RenderToolsMissingError);
    expect(() => requireRenderTools(["helm"], required)).toThrow(
      /helm is not on PATH.*DRIFTGUARD_REQUIRE_RENDERERS=1 makes that a failure; get them with `bash scripts\/render-tools.sh`/,
    );
  });

  it("only the value 1 requires them", () => {
    expect(
      requireRenderTools(["helm"], { ...helmMissing, DRIFTGUARD_REQUIRE_RENDERERS: "0" }).skipReason,
    ).toContain("helm is not on PATH");
  });
});

describe("pinnedRenderToolVersions", () => {
  it("reads a version for each tool from scripts/render-tools.sh", () => {
    const pinned = pinnedRenderToolVersions();
    expect(pinned.kustomize).toMatch(/^v5\.\d+\.\d+$/);
    expect(pinned.helm).toMatch(/^v\d+\.\d+\.\d+$/);
  });
});
