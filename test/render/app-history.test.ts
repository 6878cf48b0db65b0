// A rendered app's past renders are read from Git like a plain file's past content (docs/contract.md §2
// History): a replica started after three commits knows the app's earlier renders, each named by the
// commit that made it, whichever file of its inputs the commit changed.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NO_KUSTOMIZE_OPTIONS } from "../../src/render/render-args.js";
import { defaultRendering } from "../../src/sources/git-source.js";
import { createSourceFixture, type SourceFixture } from "../sources/source-fixture.js";
import { requireRenderTools } from "../support/render-tools.js";

const tools = requireRenderTools(["kustomize"]);
if (tools.skipReason !== undefined) console.warn(`rendered app history: ${tools.skipReason}`);

const base = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "${image}"}]}
`;

const imageOf = (object: unknown) =>
  (object as { spec: { template: { spec: { containers: { image: string }[] } } } }).spec.template.spec
    .containers[0]?.image;

describe.skipIf(tools.skipReason !== undefined)("the history of a rendered app", { timeout: 120_000 }, () => {
  let fixture: SourceFixture;
  const commits: string[] = [];

  beforeAll(async () => {
    fixture = await createSourceFixture();
    commits.push(
      await fixture.repo.commit("web 1", {
        "base/web.yaml": base("web:1"),
        "base/kustomization.yaml": "resources: [web.yaml]\n",
        "overlays/prod/kustomization.yaml": "namespace: prod\nresources: [../../base]\n",
      }),
    );
    // The base changes: a file outside the app's folder, that its kustomization reaches.
    commits.push(await fixture.repo.commit("web 2", { "base/web.yaml": base("web:2") }));
    commits.push(await fixture.repo.commit("unrelated", { "docs/README.md": "notes\n" }));
    // The overlay itself changes.
    commits.push(
      await fixture.repo.commit("web 3 in the overlay", {
        "overlays/prod/kustomization.yaml":
          "namespace: prod\nresources: [../../base]\nimages: [{name: web, newTag: '3'}]\n",
      }),
    );
  });
  afterAll(() => fixture.cleanup());

  it("a fresh replica reads every earlier render from Git, named by the commit that made it", async () => {
    const source = fixture.createSource(
      {
        paths: [],
        apps: [
          {
            path: "overlays/prod",
            type: "auto",
            namespace: "default",
            kustomize: NO_KUSTOMIZE_OPTIONS,
            helm: { valueFiles: [], apiVersions: [], skipTests: true, includeCRDs: false },
          },
        ],
      },
      {
        rendering: defaultRendering({ kustomize: tools.kustomize ?? "kustomize" }),
        stateDir: join(fixture.tmp, "fresh"),
      },
    );
    await source.start();
    const versions = await source.objectHistory({ namespace: "prod", name: "web" }, 10);
    expect(versions.map((version) => [version.commit, imageOf(version.docs[0]?.object)])).toEqual([
      [commits[3], "web:3"],
      [commits[1], "web:2"],
      [commits[0], "web:1"],
    ]);
    expect(versions[2]?.docs[0]?.renderedFrom).toBe("base/web.yaml");
  });
});
