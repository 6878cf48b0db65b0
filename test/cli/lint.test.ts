// `driftguard lint` as CI runs it (a child process) on a real Git repository, and its report alone.
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, test } from "vitest";
import { formatLintText, type LintInput, lintResult } from "../../src/cli/lint-result.js";
import type { FileState, SourceRevision, SourceStatus } from "../../src/sources/types.js";
import { deploymentYaml } from "../support/deployments.js";
import { createTestRepo, type TestRepo } from "../support/git/test-repo.js";
import { makeTempDir } from "../support/tls/cert-dir.js";
import { driftguard } from "./run-cli.js";

const SCHEMA_ERROR = deploymentYaml({ name: "api" }).replace("spec:\n", 'spec:\n  replicas: "3"\n');

// Each run is a child process loading TypeScript: seconds on a busy machine.
describe("driftguard lint", { timeout: 180_000 }, () => {
  let tmp: string;
  let repo: TestRepo;
  const config = () => join(tmp, "driftguard.yaml");

  beforeAll(async () => {
    tmp = await makeTempDir();
    repo = await createTestRepo(join(tmp, "remote"), tmp);
    await repo.commit("two Deployments", {
      "apps/web.yaml": deploymentYaml(),
      "apps/api.yaml": deploymentYaml({ name: "api" }),
    });
    await writeFile(config(), "sources: [{name: apps, url: ./remote, paths: [apps]}]\nstateDir: ./state\n");
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it("exits 0 on clean sources and says which schema it checked against", async () => {
    const result = await driftguard(["lint", "--config", config()]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/source "apps" \(.*, commit [0-9a-f]{7}\): 2 file\(s\), 2 Deployment\(s\)/);
    expect(result.stdout).toMatch(/^clean; 0 notice\(s\)\. .*Kubernetes v1\.\d+\.\d+ schema\.$/m);
    expect(result.stderr).toBe("");
  });

  it("exits 1 and lists every problem with file and line; a broken file's last good content still counts", async () => {
    await repo.commit("break things", {
      "apps/api.yaml": SCHEMA_ERROR,
      "apps/broken.yaml": "a: [1\n",
      "apps/copy.yaml": deploymentYaml({ image: "nginx:9" }),
      "apps/base/kustomization.yaml": "resources: []\n",
    });
    const result = await driftguard(["lint", "--config", config()]);
    expect(result.code, result.stderr).toBe(1);
    const lines = result.stdout.split("\n");
    expect(lines).toContain(
      '  apps/api.yaml:7: error: document 0: Deployment api would be refused by the API server: spec.replicas: must be integer (got string "3")',
    );
    expect(lines.some((line) => line.startsWith("  apps/broken.yaml:1: error: "))).toBe(true);
    expect(
      lines.some((line) => /^ {2}apps\/base\/kustomization\.yaml: notice: .*kustomization/.test(line)),
    ).toBe(true);
    expect(
      lines.some((line) => /^conflict: Deployment shop\/web differs between .*apps\/copy\.yaml/.test(line)),
    ).toBe(true);
    // api.yaml parsed at the first commit (this run restored it from the state folder): still served.
    expect(result.stdout).toContain("4 file(s), 3 Deployment(s)");
    expect(result.stdout).toMatch(/^2 file error\(s\), 1 conflict\(s\); 1 notice\(s\)\./m);
  });

  it("-o json prints one LintResult document", async () => {
    const result = await driftguard(["lint", "--config", config(), "-o", "json"]);
    expect(result.code, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      apiVersion: "driftguard.io/v1alpha1",
      kind: "LintResult",
      clean: false,
      summary: { sources: 1, files: 4, deployments: 3, fileErrors: 2, conflicts: 1, notices: 1 },
    });
    expect(report.sources[0].fileErrors[0]).toEqual({
      file: "apps/api.yaml",
      line: 7,
      message: expect.stringContaining("spec.replicas: must be integer"),
    });
    expect(report.conflicts[0].object).toBe("shop/web");
  });

  it("exits 2 when a source cannot be synced, or the command line is wrong", async () => {
    const unreachable = join(tmp, "unreachable.yaml");
    await writeFile(
      unreachable,
      "sources: [{name: gone, url: ./missing, paths: [apps]}]\nstateDir: ./state-gone\n",
    );
    const failed = await driftguard(["lint", "--config", unreachable]);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(/^driftguard: source "gone" could not be synced: /);
    expect(failed.stdout).toBe("");
    const badFormat = await driftguard(["lint", "--config", config(), "-o", "yaml"]);
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toContain("-o yaml: unknown output format");
    const help = await driftguard(["lint", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Exit status: 0 clean, 1 problems, 2 error/);
  });
});

describe("lintResult", () => {
  const status = (
    fileErrors: SourceStatus["fileErrors"],
    notices: SourceStatus["notices"] = [],
    apps: SourceStatus["apps"] = [],
  ): SourceStatus => ({
    name: "apps",
    url: "https://git.example.com/deploy.git",
    state: { kind: "synced", commit: "c".repeat(40), at: 0 },
    lastAttemptAt: 0,
    lastSuccessAt: 0,
    fileErrors,
    apps,
    notices,
    restored: false,
  });
  const revision = (files: FileState[]): SourceRevision => ({
    source: "apps",
    commit: "c".repeat(40),
    fetchedAt: 0,
    files: new Map(files.map((file) => [file.file, file])),
    notices: [],
  });
  const file = (name: string, docs: number): FileState => ({
    file: name,
    blob: "b",
    goodCommit: "c",
    docs: Array.from({ length: docs }, (_, i) => ({
      namespace: "shop",
      name: `d${i}`,
      file: name,
      docIndex: String(i),
      object: {},
    })),
  });
  const input = (part: Partial<LintInput>): LintInput => ({
    sources: [{ status: status([]), revision: revision([file("a.yaml", 2)]) }],
    conflicts: [],
    kubernetesVersion: "v9.9.9",
    ...part,
  });

  test.each([
    { name: "nothing wrong", part: {}, clean: true },
    {
      name: "notices only",
      part: {
        sources: [{ status: status([], [{ file: "a.yaml", message: "skipped" }]), revision: revision([]) }],
      },
      clean: true,
    },
    {
      name: "an app whose render failed",
      part: {
        sources: [
          {
            status: status(
              [],
              [],
              [
                {
                  path: "charts/web",
                  type: "helm",
                  renderedAt: "c0",
                  error: "helm app: helm failed",
                  unstable: [],
                },
              ],
            ),
            revision: revision([]),
          },
        ],
      },
      clean: false,
    },
    {
      name: "a file error (an app whose render failed reads the same)",
      part: {
        sources: [
          {
            status: status([{ file: "apps/shop", message: "helm template failed: …" }]),
            revision: revision([]),
          },
        ],
      },
      clean: false,
    },
    {
      name: "a conflict",
      part: {
        conflicts: [
          { key: "shop/web", origins: [{ source: "apps", commit: "c".repeat(40), file: "a.yaml" }] },
        ],
      },
      clean: false,
    },
  ])("$name: clean is $clean", ({ part, clean }) => {
    expect(lintResult(input(part)).clean).toBe(clean);
  });

  test("errors are listed by file then line; a file error without a line prints the file alone", () => {
    const result = lintResult(
      input({
        sources: [
          {
            status: status([
              { file: "b.yaml", line: 9, message: "second" },
              { file: "apps/shop", message: "render failed" },
              { file: "b.yaml", line: 2, message: "first" },
            ]),
            revision: revision([file("b.yaml", 1)]),
          },
        ],
      }),
    );
    expect(result.sources[0]?.fileErrors.map((e) => e.message)).toEqual(["render failed", "first", "second"]);
    const text = formatLintText(result);
    expect(text).toContain(
      "  apps/shop: error: render failed\n  b.yaml:2: error: first\n  b.yaml:9: error: second\n",
    );
    expect(text).toMatch(/^3 file error\(s\), 0 conflict\(s\); 0 notice\(s\)\. .* v9\.9\.9 schema\.$/m);
  });

  test("counts files and Deployments across sources", () => {
    const second = {
      status: { ...status([]), name: "other" },
      revision: revision([file("x.yaml", 3), file("y.yaml", 0)]),
    };
    const result = lintResult(input({ sources: [...input({}).sources, second] }));
    expect(result.summary).toMatchObject({ sources: 2, files: 3, deployments: 5 });
  });
});
