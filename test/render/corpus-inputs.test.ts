// The real corpus overlays and charts (../shared/corpus-rendered): their inputs, computed from the tree,
// hold what each render reads and nothing unrelated; with the real tools, a render of only those
// inputs, materialized into an empty folder and run as driftguard runs it, is byte for byte the stored one.
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppInputs, helmInputs, kustomizeInputs, readablePaths } from "../../src/render/inputs.js";
import { materialize } from "../../src/render/materialize.js";
import type { BlobTree } from "../../src/render/repo-tree.js";
import { runTool } from "../../src/render/run-tool.js";
import {
  CORPUS_RENDERED_DIR,
  CORPUS_RENDERED_SKIP_REASON,
  type CorpusRender,
  corpusRenderedPresent,
  corpusRenders,
} from "../support/corpus-rendered.js";
import { diskTree } from "../support/repo-trees.js";
import { type RealTool, realTool, realToolSkipReason } from "./real-tools.js";

const renders = corpusRenders();
const trees = new Map<string, BlobTree>();

function treeOf(source: string): BlobTree {
  let tree = trees.get(source);
  if (tree === undefined) {
    tree = diskTree(join(CORPUS_RENDERED_DIR, source));
    trees.set(source, tree);
  }
  return tree;
}

function inputsOf(render: CorpusRender): Promise<AppInputs> {
  const tree = treeOf(render.source);
  return render.kind === "kustomize"
    ? kustomizeInputs(tree, render.appPath)
    : helmInputs(tree, render.appPath, render.valueFiles);
}

function readable(inputs: AppInputs) {
  if (!inputs.ok) throw new Error(`refused: ${inputs.message}`);
  return inputs;
}

const reaches = (inputs: { roots: readonly string[] }, folder: string) =>
  inputs.roots.some((root) => root === "." || folder === root || folder.startsWith(`${root}/`));

// Folders each render must reach (SOURCE.md and the kustomizations say so), and some it must not.
const EXPECTED: Record<string, { reach: string[]; not: string[] }> = {
  "stefanprodan__podinfo/deploy-overlays-dev": {
    reach: [
      "deploy/overlays/dev",
      "deploy/bases/backend",
      "deploy/bases/frontend",
      "deploy/bases/cache",
      "deploy/bases/database",
    ],
    not: ["deploy/overlays/staging", "deploy/secure", "charts", "kustomize"],
  },
  "argoproj__argo-cd/cluster-install": {
    reach: [
      "manifests/cluster-install",
      "manifests/crds",
      "manifests/base/server",
      "manifests/base/repo-server",
      "manifests/cluster-rbac",
    ],
    not: ["manifests/ha"],
  },
  "argoproj__argo-cd/ha-namespace-install": {
    reach: ["manifests/ha/namespace-install", "manifests/ha/base", "manifests/base/server"],
    not: ["manifests/crds", "manifests/cluster-install"],
  },
  "GoogleCloudPlatform__microservices-demo/tests-memorystore-with-all-components": {
    reach: ["kustomize/base", "kustomize/components/memorystore", "kustomize/components/network-policies"],
    not: ["kustomize/components/spanner", "helm-chart"],
  },
  "stefanprodan__podinfo/helm-values-prod": { reach: ["charts/podinfo"], not: ["deploy", "kustomize"] },
};

describe.skipIf(!corpusRenderedPresent)("corpus renders: inputs from the tree", () => {
  if (!corpusRenderedPresent) console.warn(CORPUS_RENDERED_SKIP_REASON);

  it("lists every render of every source", () => {
    expect(renders.length).toBeGreaterThanOrEqual(16);
    expect(new Set(renders.map((render) => render.kind))).toEqual(new Set(["kustomize", "helm"]));
  });

  it.each(renders.map((render) => [`${render.source}/${render.name}`, render] as const))(
    "%s",
    async (label, render) => {
      const inputs = readable(await inputsOf(render));
      const tree = treeOf(render.source);
      const paths = readablePaths(tree, inputs);
      console.log(`${label}: ${paths.length} of ${tree.files.size} files, roots ${inputs.roots.join(" ")}`);
      expect(reaches(inputs, render.appPath)).toBe(true);
      for (const path of paths) expect(path).not.toMatch(/^(RENDERED\/|SOURCE\.md$|LICENSE$)/);
      const expected = EXPECTED[label];
      for (const folder of expected?.reach ?? []) expect(reaches(inputs, folder), folder).toBe(true);
      for (const folder of expected?.not ?? [])
        expect(
          paths.filter((path) => path.startsWith(`${folder}/`)),
          folder,
        ).toEqual([]);
    },
  );
});

/** The tool's arguments as driftguard passes them: the table's command, kustomize restricted to the root. */
function toolArgs(render: CorpusRender): string[] {
  const args = render.argv.slice(1);
  return render.kind === "kustomize" ? [...args, "--load-restrictor", "LoadRestrictionsRootOnly"] : args;
}

for (const tool of ["kustomize", "helm"] as RealTool[]) {
  const binary = realTool(tool);
  const mine = renders.filter((render) => render.kind === tool);
  describe.skipIf(!corpusRenderedPresent || binary === undefined)(
    `corpus renders with the real ${tool}`,
    () => {
      if (binary === undefined) console.warn(realToolSkipReason(tool));
      let scratch: string;
      beforeAll(async () => {
        scratch = await mkdtemp(join(tmpdir(), `driftguard-corpus-${tool}-`));
      });
      afterAll(async () => {
        await rm(scratch, { recursive: true, force: true });
      });

      it.each(mine.map((render) => [`${render.source}/${render.name}`, render] as const))(
        "%s: only its inputs, materialized, render the stored output",
        async (label, render) => {
          const dir = await mkdtemp(join(scratch, "app-"));
          await materialize(treeOf(render.source), readable(await inputsOf(render)), dir);
          const result = await runTool({
            binary: binary as string,
            args: toolArgs(render),
            cwd: dir,
            timeoutMs: 60_000,
            maxOutputBytes: 64 << 20,
          });
          if (!result.ok) throw new Error(`${label}: ${result.message}\n${result.stderrHead}`);
          console.log(
            `${label}: ${tool} rendered ${result.stdout.length} bytes in ${result.ms.toFixed(0)} ms`,
          );
          expect(createHash("sha256").update(result.stdout).digest("hex")).toBe(render.sha256);
          if (render.stored !== undefined) expect(result.stdout).toBe(await readFile(render.stored, "utf8"));
        },
        60_000,
      );
    },
  );
}
