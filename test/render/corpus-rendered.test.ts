// Every stored render of ../shared/corpus-rendered, through driftguard's own pipeline (a real Git
// repository, the source's sync, the real kustomize and helm): the Deployments driftguard compares
// against are exactly those of the tool's own output for the same command.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { defaultRendering } from "../../src/sources/git-source.js";
import { parseManifestFile } from "../../src/sources/manifest-parser.js";
import type { ManifestDoc } from "../../src/sources/types.js";
import { createSourceFixture, type SourceFixture } from "../sources/source-fixture.js";
import {
  CORPUS_RENDERED_DIR,
  CORPUS_RENDERED_SKIP_REASON,
  corpusRenderedPresent,
  type RenderCase,
  renderCases,
  sourceFiles,
} from "../support/corpus-rendered.js";
import { requireRenderTools } from "../support/render-tools.js";

const tools = requireRenderTools();
const skip = !corpusRenderedPresent ? CORPUS_RENDERED_SKIP_REASON : tools.skipReason;
if (skip !== undefined) console.warn(`corpus-rendered: ${skip}`);

const fixtures = new Map<string, Promise<SourceFixture>>();
afterAll(async () => {
  for (const fixture of fixtures.values()) await (await fixture).cleanup();
});

/** One repository per corpus source, committed once, shared by its renders. */
function fixtureFor(source: string): Promise<SourceFixture> {
  let fixture = fixtures.get(source);
  if (fixture === undefined) {
    fixture = createSourceFixture().then(async (made) => {
      await made.repo.commit(`${source} as stored`, sourceFiles(source));
      return made;
    });
    fixtures.set(source, fixture);
  }
  return fixture;
}

function expectedDocs(render: RenderCase): ManifestDoc[] {
  const text = readFileSync(join(CORPUS_RENDERED_DIR, render.source, render.output), "utf8");
  const parsed = parseManifestFile(render.app.path, text, render.app.namespace, { maxBytes: 64 << 20 });
  expect(parsed.error).toBeUndefined();
  return parsed.docs;
}

const cases = skip === undefined ? renderCases() : [];
let deployments = 0;

describe.skipIf(skip !== undefined)("the rendered corpus, rendered by driftguard", () => {
  it("lists the renders of the corpus's table", () => {
    expect(cases.length).toBeGreaterThanOrEqual(16);
  });

  it.each(cases.map((render) => [`${render.source}: ${render.command}`, render] as const))(
    "%s",
    async (_title, render) => {
      const fixture = await fixtureFor(render.source);
      const rendering = defaultRendering({
        kustomize: tools.kustomize ?? "kustomize",
        helm: tools.helm ?? "helm",
      });
      const source = fixture.createSource(
        { name: "corpus", paths: [], apps: [render.app] },
        { rendering, stateDir: join(fixture.tmp, `state-${cases.indexOf(render)}`) },
      );
      await source.start();
      const state = source.current()?.files.get(render.app.path);
      expect(state?.error, state?.error?.message).toBeUndefined();
      expect(state?.app?.type).toBe(render.app.type);
      const expected = expectedDocs(render);
      const got = state?.docs ?? [];
      expect(got.map((doc) => `${doc.namespace}/${doc.name}`)).toEqual(
        expected.map((doc) => `${doc.namespace}/${doc.name}`),
      );
      for (const [index, doc] of got.entries()) {
        expect(doc.object, `${doc.namespace}/${doc.name}`).toEqual(expected[index]?.object);
        expect(doc.renderedFrom, "every object names the file or template it came from").toBeDefined();
      }
      expect(state?.app?.unstable).toEqual([]);
      deployments += got.length;
    },
    120_000,
  );

  afterAll(() => {
    console.info(
      `corpus-rendered: ${cases.length} renders, ${deployments} Deployments equal to the tools' own output`,
    );
  });
});
