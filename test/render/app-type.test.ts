// detectAppType and inputsFingerprint: which renderer an app gets, and when its inputs changed.
import { describe, expect, it } from "vitest";
import { type AppType, detectAppType, inputsFingerprint, kustomizeInputs } from "../../src/render/inputs.js";
import { type MemoryEntry, memoryTree } from "../support/repo-trees.js";

describe("detectAppType", () => {
  const cases: [string, Record<string, MemoryEntry>, AppType][] = [
    ["kustomization.yaml", { "app/kustomization.yaml": "", "app/Chart.yaml": "" }, "kustomize"],
    ["kustomization.yml", { "app/kustomization.yml": "" }, "kustomize"],
    ["Kustomization", { "app/Kustomization": "" }, "kustomize"],
    ["Chart.yaml", { "app/Chart.yaml": "", "app/values.yaml": "" }, "helm"],
    ["plain manifests", { "app/deploy.yaml": "", "app/sub/kustomization.yaml": "" }, "directory"],
    ["a chart only deeper down", { "app/x/Chart.yaml": "" }, "directory"],
  ];
  it.each(cases)("%s", (_name, files, type) => {
    expect(detectAppType(memoryTree(files), "app")).toBe(type);
    expect(detectAppType(memoryTree(files), "./app/")).toBe(type);
  });

  it("at the top of the repository", () => {
    expect(detectAppType(memoryTree({ "Chart.yaml": "" }), ".")).toBe("helm");
  });

  it("a path outside the repository is not the top's type", () => {
    for (const path of ["..", "/", "../.."])
      expect(detectAppType(memoryTree({ "Chart.yaml": "" }), path)).toBe("directory");
  });
});

describe("inputsFingerprint", () => {
  const base: Record<string, MemoryEntry> = {
    "apps/web/kustomization.yaml": "resources: [../../bases/web, ../../bases/later]\n",
    "bases/web/deployment.yaml": "a: 1\n",
    "bases/web/run.sh": { executable: "echo\n" },
    "unrelated/file.yaml": "u: 1\n",
  };

  async function fingerprint(files: Record<string, MemoryEntry>, extra = "{}") {
    const tree = memoryTree(files);
    const inputs = await kustomizeInputs(tree, "apps/web");
    if (!inputs.ok) throw new Error(inputs.message);
    return inputsFingerprint(tree, inputs, extra);
  }

  it("is a sha256 in hex, equal for equal inputs", async () => {
    const first = await fingerprint(base);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(await fingerprint({ ...base })).toBe(first);
  });

  const changes: [string, Record<string, MemoryEntry>, string][] = [
    ["a file of a reached base changes", { ...base, "bases/web/deployment.yaml": "a: 2\n" }, "{}"],
    ["a file is added to a reached base", { ...base, "bases/web/new.yaml": "n: 1\n" }, "{}"],
    [
      "a file is removed",
      Object.fromEntries(Object.entries(base).filter(([path]) => path !== "bases/web/run.sh")),
      "{}",
    ],
    ["a mode changes", { ...base, "bases/web/run.sh": "echo\n" }, "{}"],
    ["a referenced folder appears", { ...base, "bases/later/x.yaml": "x: 1\n" }, "{}"],
    ["the app's config changes", base, '{"namespace":"other"}'],
  ];
  it.each(changes)("changes when %s", async (_name, files, extra) => {
    expect(await fingerprint(files, extra)).not.toBe(await fingerprint(base));
  });

  it("does not change for files the app cannot read", async () => {
    expect(await fingerprint({ ...base, "unrelated/file.yaml": "u: 2\n", "other/x": "y" })).toBe(
      await fingerprint(base),
    );
  });
});
