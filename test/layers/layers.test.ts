// The layer rules in biome.json (noRestrictedImports overrides) fire where they should and only there.
// Each case is a one-import probe file written into the folder it is about, linted by the project's
// own Biome with the project's config, then removed: a rule deleted or mistyped in biome.json fails here.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const BIOME = join(ROOT, "node_modules/.bin/biome");
const RULE = "lint/style/noRestrictedImports";

interface Case {
  folder: string;
  source: string;
  forbidden: boolean;
}

const forbid = (folder: string, ...sources: string[]): Case[] =>
  sources.map((source) => ({ folder, source, forbidden: true }));
const allow = (folder: string, ...sources: string[]): Case[] =>
  sources.map((source) => ({ folder, source, forbidden: false }));

const CASES: Case[] = [
  ...forbid("src/core", "node:fs", "fs", "path", "node:child_process", "fastify", "pino", "simple-git"),
  ...forbid("src/core", "@kubernetes/client-node", "../http/types.js", "../sources/types.js"),
  ...forbid("src/core", "../kube/connect.js", "../cli/main.js", "../admission/admit.js", "../runtime.js"),
  ...allow("src/core", "./types.js", "../errors.js", "yaml"),
  ...forbid("src/rbac", "node:fs/promises", "pino", "../sources/types.js", "../admission/cluster-view.js"),
  // The YAML reader is pure and shared with the Git adapter; the RBAC files are read as kubectl reads them.
  ...allow("src/rbac", "../sources/yaml-reader.js", "../core/types.js"),
  ...forbid("src/admission", "../http/types.js", "../cli/main.js", "../runtime.js"),
  ...allow("src/admission", "../core/types.js", "../sources/types.js", "pino"),
  ...forbid(
    "src/kube",
    "../runtime.js",
    "../admission/admit.js",
    "../admission/cluster-view.js",
    "../http/types.js",
  ),
  ...allow("src/kube", "../admission/contract.js", "@kubernetes/client-node", "node:os"),
  // Adapters may use Node and their libraries: the rules are scoped, not global.
  ...allow("src/http", "node:fs", "fastify", "../admission/contract.js"),
];

// src/errors.ts is covered by name, so its probe has to be that very file: checked separately below.
const tag = `${process.pid}-${randomBytes(4).toString("hex")}`;
const probes = CASES.map((c, index) => ({
  ...c,
  file: `${c.folder}/zz-layer-probe-${tag}-${index}.ts`,
}));

function lint(files: string[]): Promise<{ path: string; category: string }[]> {
  return new Promise((done, fail) => {
    execFile(BIOME, ["lint", "--reporter=json", ...files], { cwd: ROOT }, (error, stdout) => {
      // Exit status 1 is "diagnostics found"; anything without a JSON report is a real failure.
      try {
        const report = JSON.parse(stdout) as {
          diagnostics: { category: string; location: { path: string } }[];
        };
        done(report.diagnostics.map((d) => ({ path: d.location.path, category: d.category })));
      } catch {
        fail(error ?? new Error(`biome printed no JSON report: ${stdout.slice(0, 300)}`));
      }
    });
  });
}

describe("layer rules (biome.json)", () => {
  let found: { path: string; category: string }[] = [];

  beforeAll(async () => {
    try {
      await Promise.all(
        probes.map((p) =>
          writeFile(
            join(ROOT, p.file),
            `import * as probe from "${p.source}";\n\nexport const used = probe;\n`,
          ),
        ),
      );
      found = await lint(probes.map((p) => p.file));
    } finally {
      await Promise.all(probes.map((p) => rm(join(ROOT, p.file), { force: true })));
    }
  }, 60_000);
  afterAll(() => Promise.all(probes.map((p) => rm(join(ROOT, p.file), { force: true }))));

  it.each(probes)("$folder importing $source: forbidden $forbidden", (probe) => {
    const fired = found.some((d) => d.path === probe.file && d.category === RULE);
    expect(fired).toBe(probe.forbidden);
  });

  it("src/errors.ts is under the pure rules", async () => {
    const config = (await import("../../biome.json", { with: { type: "json" } })).default as {
      overrides: { includes: string[]; linter?: { rules?: { style?: { noRestrictedImports?: unknown } } } }[];
    };
    const pure = config.overrides.find((o) => o.includes.includes("src/core/**"));
    expect(pure?.includes).toContain("src/errors.ts");
    expect(pure?.includes).toContain("!src/rbac/load-dir.ts");
    expect(pure?.linter?.rules?.style?.noRestrictedImports).toBeDefined();
  });
});
