// One chart released more than once from one source (other values, other release names), as Argo CD
// Applications often point at one chart folder: each release is an app of its own, named by its
// namespace and release.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import { createTestRepo } from "../support/git/test-repo.js";
import { requireRenderTools } from "../support/render-tools.js";
import { makeTempDir } from "../support/tls/cert-dir.js";

const tools = requireRenderTools(["helm"]);
if (tools.skipReason !== undefined) console.warn(`chart releases: ${tools.skipReason}`);

const TEMPLATE = `apiVersion: apps/v1
kind: Deployment
metadata: {name: "{{ .Release.Name }}"}
spec:
  replicas: {{ .Values.replicas }}
  selector: {matchLabels: {app: "{{ .Release.Name }}"}}
  template:
    metadata: {labels: {app: "{{ .Release.Name }}"}}
    spec: {containers: [{name: web, image: "nginx:1.27"}]}
`;

describe.skipIf(tools.skipReason !== undefined)("one chart, several releases", { timeout: 120_000 }, () => {
  let tmp: string;
  let runtime: Runtime;

  beforeAll(async () => {
    tmp = await makeTempDir();
    const repo = await createTestRepo(join(tmp, "remote"), tmp);
    await repo.commit("chart", {
      "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
      "charts/web/values.yaml": "replicas: 1\n",
      "charts/web/templates/deployment.yaml": TEMPLATE,
    });
    const config = parseConfig(
      [
        "sources:",
        `  - name: apps`,
        `    url: "${repo.dir}"`,
        "    namespace: shop",
        "    paths:",
        "      - {path: charts/web, helm: {releaseName: web-a, values: {replicas: 2}}}",
        "      - {path: charts/web, helm: {releaseName: web-b, values: {replicas: 3}}}",
        "      - {path: charts/web, namespace: other}",
        "stateDir: state",
        `renderers: {helm: "${tools.helm}"}`,
      ].join("\n"),
      { file: "driftguard.yaml", dir: tmp },
    );
    runtime = createRuntime(config, pino({ level: "silent" }));
    await runtime.started;
  });
  afterAll(async () => {
    await runtime?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  it("renders each release as an app of its own, named by namespace and release", () => {
    expect(runtime.sources[0]?.status().apps.map((app) => [app.path, app.error])).toEqual([
      ["charts/web@shop/web-a", undefined],
      ["charts/web@shop/web-b", undefined],
      ["charts/web@other/web", undefined],
    ]);
    const replicas = (namespace: string, name: string) => {
      const lookup = runtime.state.lookup({ namespace, name });
      return lookup.kind === "managed" ? lookup.desired.normalized.spec : undefined;
    };
    expect(replicas("shop", "web-a")).toMatchObject({ replicas: 2 });
    expect(replicas("shop", "web-b")).toMatchObject({ replicas: 3 });
    expect(replicas("other", "web")).toMatchObject({ replicas: 1 });
  });

  it("names the release in messages", () => {
    const lookup = runtime.state.lookup({ namespace: "shop", name: "web-a" });
    expect(lookup.kind === "managed" ? lookup.desired.origin.file : "").toBe("charts/web@shop/web-a");
  });
});
