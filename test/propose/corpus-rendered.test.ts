// Proposals over the real Kustomize overlays of the shared rendered corpus, with the real kustomize:
// an image change of a rendered Deployment becomes an edit that, rendered again, says what was asked
// (proposeChange checks that itself by rendering; this test checks it once more on the result).
import { describe, expect, it } from "vitest";
import { diff } from "../../src/core/diff.js";
import { normalize } from "../../src/core/normalize.js";
import type { JsonObject } from "../../src/core/types.js";
import { requestedDrifts } from "../../src/propose/from-review.js";
import { proposeChange } from "../../src/propose/propose.js";
import { appRenderer, overlayTree } from "../../src/propose/render-check.js";
import { kustomizeInputs, readablePaths } from "../../src/render/inputs.js";
import { appKey } from "../../src/render/render-args.js";
import { defaultRendering } from "../../src/sources/git-source.js";
import type { SourceConfig } from "../../src/sources/types.js";
import {
  CORPUS_RENDERED_DIR,
  CORPUS_RENDERED_SKIP_REASON,
  corpusRenderedPresent,
  renderCases,
} from "../support/corpus-rendered.js";
import { testPolicy } from "../support/policy.js";
import { requireRenderTools } from "../support/render-tools.js";
import { diskTree } from "../support/repo-trees.js";
import { clone } from "../support/reviews.js";

const tools = requireRenderTools(["kustomize"]);
// Small overlays only: every proposal renders a few times, twice each (as the sync does).
const CASES = renderCases().filter((c) => c.app.type === "kustomize" && !c.command.includes("manifests/"));

describe.skipIf(!corpusRenderedPresent || tools.skipReason !== undefined)(
  "proposals over the rendered corpus (real kustomize)",
  { timeout: 600_000 },
  () => {
    if (!corpusRenderedPresent) console.warn(CORPUS_RENDERED_SKIP_REASON);
    if (tools.skipReason !== undefined) console.warn(tools.skipReason);
    const rendering = defaultRendering({
      kustomize: tools.kustomize ?? "kustomize",
      helm: tools.helm ?? "helm",
    });

    it.each(CASES.map((c) => [`${c.source} ${c.app.path}`, c] as const))(
      "%s: an image change",
      async (_name, c) => {
        const tree = diskTree(`${CORPUS_RENDERED_DIR}/${c.source}`);
        // Every overlay of the same repository is listed, as a config for it would: a file another
        // overlay reads (a shared base) must then never be edited.
        const apps = CASES.filter((other) => other.source === c.source).map((other) => other.app);
        const source: SourceConfig = {
          name: "corpus",
          url: "unused",
          paths: [],
          apps,
          namespace: "default",
          intervalMs: 60_000,
        };
        const first = await firstDeployment(c.output, `${CORPUS_RENDERED_DIR}/${c.source}`);
        const key = { namespace: first.namespace ?? c.app.namespace, name: first.name };
        const probe = appRenderer(rendering, testPolicy(), key, {
          source: "corpus",
          commit: "0".repeat(40),
          file: appKey(c.app),
        });
        const git = await probe(c.app, "kustomize", tree);
        if (!git.ok) throw new Error(git.message);
        const origin = {
          source: "corpus",
          commit: "0".repeat(40),
          file: appKey(c.app),
          app: { type: "kustomize" as const, renderedFrom: git.renderedFrom },
        };
        const requested = clone(git.object);
        const container = (((requested.spec as JsonObject).template as JsonObject).spec as JsonObject)
          .containers as JsonObject[];
        (container[0] as JsonObject).image = `${(container[0] as JsonObject).image}-proposed`;
        const drifts = requestedDrifts(requested, git.desired);
        expect(drifts.map((d) => d.path)).toEqual([
          `spec.template.spec.containers[name=${(container[0] as JsonObject).name}].image`,
        ]);
        const input = {
          key,
          uid: "c0ffee00-1",
          requester: { username: "alice", groups: [] },
          drifts,
          origin,
        };
        const edit = await proposeChange(input, { source, desired: git.desired, tree, render: probe });
        expect(edit.files.length).toBeGreaterThan(0);
        // The app's own kustomization and new patch live in its folder; any other file it edits must be
        // one no other overlay reads.
        const edited = edit.files.filter(
          (f) => f.before !== undefined && !f.path.endsWith("kustomization.yaml"),
        );
        for (const other of apps.filter((a) => a.path !== c.app.path)) {
          const inputs = await kustomizeInputs(tree, other.path);
          const read = inputs.ok ? readablePaths(tree, inputs) : [];
          for (const file of edited)
            expect(read, `${file.path} is read by ${other.path}`).not.toContain(file.path);
        }
        // Rendered again over the proposal: no drift left against the request on the compared fields.
        const after = await probe(
          c.app,
          "kustomize",
          overlayTree(tree, new Map(edit.files.map((f) => [f.path, f.after]))),
        );
        if (!after.ok) throw new Error(after.message);
        expect(
          diff(
            after.desired.normalized,
            normalize(requested, after.desired.options).object,
            after.desired.lenient,
          ),
        ).toEqual([]);
      },
    );
  },
);

async function firstDeployment(
  output: string,
  dir: string,
): Promise<{ name: string; namespace: string | undefined }> {
  const { readFileSync } = await import("node:fs");
  const { parseAllDocuments } = await import("yaml");
  for (const doc of parseAllDocuments(readFileSync(`${dir}/${output}`, "utf8"))) {
    const value = doc.toJS() as JsonObject | null;
    if (value?.kind !== "Deployment") continue;
    const metadata = value.metadata as JsonObject;
    return { name: metadata.name as string, namespace: metadata.namespace as string | undefined };
  }
  throw new Error(`${output} holds no Deployment`);
}
