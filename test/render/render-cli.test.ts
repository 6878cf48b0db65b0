// `driftguard render` as a user runs it: what driftguard compares against, app by app, with the real tools.
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { driftguard } from "../cli/run-cli.js";
import { createTestRepo, type TestRepo } from "../support/git/test-repo.js";
import { requireRenderTools } from "../support/render-tools.js";
import { makeTempDir } from "../support/tls/cert-dir.js";

const tools = requireRenderTools();
if (tools.skipReason !== undefined) console.warn(`driftguard render: ${tools.skipReason}`);

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: cart}
spec:
  selector: {matchLabels: {app: cart}}
  template:
    metadata: {labels: {app: cart}}
    spec: {containers: [{name: cart, image: "cart:1"}]}
`;

describe.skipIf(tools.skipReason !== undefined)("driftguard render", { timeout: 180_000 }, () => {
  let tmp: string;
  let repo: TestRepo;
  let config: string;

  beforeAll(async () => {
    tmp = await makeTempDir();
    repo = await createTestRepo(join(tmp, "remote"), tmp);
    await repo.commit("apps", {
      "base/cart.yaml": DEPLOYMENT,
      "base/kustomization.yaml": "resources: [cart.yaml]\n",
      "overlays/shop/kustomization.yaml":
        "namespace: shop\nresources: [../../base]\nimages: [{name: cart, newTag: '2'}]\n",
      "charts/search/Chart.yaml": "apiVersion: v2\nname: search\nversion: 0.1.0\n",
      "charts/search/templates/deployment.yaml": DEPLOYMENT.replaceAll("cart", "{{ .Release.Name }}"),
    });
    config = join(tmp, "driftguard.yaml");
    await writeFile(
      config,
      [
        "sources:",
        "  - name: apps",
        "    url: ./remote",
        "    paths: [{path: overlays/shop}, {path: charts/search, namespace: shop}]",
        "stateDir: ./state",
        `renderers: {kustomize: "${tools.kustomize}", helm: "${tools.helm}"}`,
      ].join("\n"),
    );
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it("prints each app's Deployments as YAML, with where they came from; exit 0", async () => {
    const result = await driftguard(["render", "--config", config]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^# source apps, kustomize app overlays\/shop, commit [0-9a-f]{12}$/m);
    expect(result.stdout).toMatch(/^# source apps, helm app charts\/search, commit [0-9a-f]{12}$/m);
    const objects = parseAllDocuments(result.stdout).map((doc) => doc.toJS());
    expect(objects.map((o) => `${o.metadata.namespace ?? "(none)"}/${o.metadata.name}`)).toEqual([
      "shop/cart",
      "shop/search",
    ]);
    expect(objects[0].spec.template.spec.containers[0].image).toBe("cart:2");
    expect(objects[0].metadata.annotations).toBeUndefined();
  });

  it("--app and -o json: one versioned document", async () => {
    const result = await driftguard([
      "render",
      "--config",
      config,
      "--app",
      "./charts/search/",
      "-o",
      "json",
    ]);
    expect(result.code).toBe(0);
    const document = parse(result.stdout);
    expect(document).toMatchObject({ apiVersion: "driftguard.io/v1alpha1", kind: "RenderResult" });
    expect(document.apps).toHaveLength(1);
    expect(document.apps[0]).toMatchObject({
      source: "apps",
      path: "charts/search",
      type: "helm",
      error: null,
    });
    expect(document.apps[0].objects[0].metadata.name).toBe("search");
  });

  it("exit 1 when an app fails (its last good render shown with the error); exit 2 for an unknown app", async () => {
    await repo.commit("break the chart", {
      "charts/search/templates/deployment.yaml": "{{ .Values.nothing.here }}\n",
    });
    const result = await driftguard(["render", "--config", config, "--app", "charts/search"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^# ERROR: helm app: helm failed: helm exited with code 1: .*nil pointer/m);
    expect(result.stdout).toMatch(/^# rendered at [0-9a-f]{12}: 1 Deployment\(s\)$/m);
    const unknown = await driftguard(["render", "--config", config, "--app", "charts/none"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("no rendered app at charts/none");
  });
});
