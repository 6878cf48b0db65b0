import { describe, expect, test } from "vitest";
import { selectManifestFiles } from "../../src/sources/path-filter.js";

const tree = [
  "README.md",
  "root.yaml",
  "apps/web.yaml",
  "apps/web.yml",
  "apps/api.json",
  "apps/notes.txt",
  "apps/Deploy.YAML",
  "apps/.hidden.yaml",
  "apps/.github/workflow.yaml",
  "apps/team/db.yaml",
  "apps-old/x.yaml",
  "envs/prod/deploy/a.yaml",
  "envs/prod/other/b.yaml",
  "envs/dev/deploy/c.yaml",
  "base/kustomization.yaml",
  "base/deployment.yaml",
  "base/sub/patch.yaml",
  "overlay/Kustomization",
  "overlay/deployment.yaml",
  "charts/app/Chart.yaml",
  "charts/app/values.yaml",
  "charts/app/templates/deployment.yaml",
  ".config/x.yaml",
];

const cases: Array<{ name: string; paths: string[]; files: string[] }> = [
  {
    name: "a folder with a trailing slash selects everything under it",
    paths: ["apps/"],
    files: ["apps/web.yaml", "apps/web.yml", "apps/api.json", "apps/team/db.yaml"],
  },
  {
    name: "a folder without the slash is the same, and is not a name prefix",
    paths: ["apps"],
    files: ["apps/web.yaml", "apps/web.yml", "apps/api.json", "apps/team/db.yaml"],
  },
  { name: "a leading ./ is ignored", paths: ["./apps/team"], files: ["apps/team/db.yaml"] },
  { name: "a file path selects that file", paths: ["apps/web.yaml"], files: ["apps/web.yaml"] },
  { name: "a glob selects matching files", paths: ["apps/*.yaml"], files: ["apps/web.yaml"] },
  {
    name: "a glob may name folders",
    paths: ["envs/*/deploy"],
    files: ["envs/prod/deploy/a.yaml", "envs/dev/deploy/c.yaml"],
  },
  {
    name: "globs never match dot files",
    paths: ["apps/**"],
    files: ["apps/web.yaml", "apps/web.yml", "apps/api.json", "apps/team/db.yaml"],
  },
  { name: "a named hidden folder is read", paths: [".config"], files: [".config/x.yaml"] },
  {
    name: "the root selects all but renderer inputs and dot files",
    paths: ["."],
    files: [
      "root.yaml",
      "apps/web.yaml",
      "apps/web.yml",
      "apps/api.json",
      "apps/team/db.yaml",
      "apps-old/x.yaml",
      "envs/prod/deploy/a.yaml",
      "envs/prod/other/b.yaml",
      "envs/dev/deploy/c.yaml",
    ],
  },
  { name: "kustomize folders are skipped with everything below", paths: ["base", "overlay"], files: [] },
  { name: "Helm charts are skipped", paths: ["charts/**/*.yaml"], files: [] },
  {
    name: "several paths are a union, each file once",
    paths: ["apps/team", "apps/team/db.yaml", "root.yaml"],
    files: ["root.yaml", "apps/team/db.yaml"],
  },
];

describe("selectManifestFiles", () => {
  test.each(cases)("$name", ({ paths, files }) => {
    expect(selectManifestFiles(tree, paths).files).toEqual(files);
  });

  test("one notice per renderer folder, naming its marker file", () => {
    const { notices } = selectManifestFiles(tree, ["."]);
    expect(notices.map((n) => n.file)).toEqual([
      "base/kustomization.yaml",
      "overlay/Kustomization",
      "charts/app/Chart.yaml",
    ]);
    expect(notices[0]?.message).toMatch(
      /folder base holds a kustomization: its 3 file\(s\) are renderer inputs/,
    );
    expect(notices[2]?.message).toMatch(/a Helm chart/);
  });

  test("renderer folders outside the paths give no notice", () => {
    expect(selectManifestFiles(tree, ["apps"]).notices).toEqual([]);
  });

  test("a kustomization at the root makes every file a renderer input", () => {
    const result = selectManifestFiles(["kustomization.yaml", "a.yaml", "sub/b.yaml"], ["."]);
    expect(result.files).toEqual([]);
    expect(result.notices).toEqual([
      { file: "kustomization.yaml", message: expect.stringMatching(/repository root/) },
    ]);
  });
});
