// The pure parts of rendering: the command lines, reading a render's output, unstable fields.
import { describe, expect, it } from "vitest";
import { describeOrigin, describeWhereToChange } from "../../src/core/format.js";
import { createLimiter } from "../../src/render/limiter.js";
import {
  helmArgs,
  kustomizeArgs,
  kustomizeEdits,
  NO_KUSTOMIZE_OPTIONS,
  releaseNameOf,
} from "../../src/render/render-args.js";
import { readRenderedDocs } from "../../src/render/rendered-docs.js";
import { markUnstable } from "../../src/render/unstable.js";
import type { AppConfig } from "../../src/sources/types.js";

const HELM_DEFAULTS = { valueFiles: [], apiVersions: [], skipTests: true, includeCRDs: false };

function app(extra: Partial<AppConfig> & { helm?: Partial<AppConfig["helm"]> } = {}): AppConfig {
  return {
    path: "charts/web",
    type: "helm",
    namespace: "shop",
    kustomize: NO_KUSTOMIZE_OPTIONS,
    ...extra,
    helm: { ...HELM_DEFAULTS, ...extra.helm },
  };
}

describe("command lines", () => {
  it("kustomize builds the app's folder with the root-only load restrictor, no plugins or Helm", () => {
    const args = kustomizeArgs(app({ path: "deploy/overlays/dev", type: "kustomize" }));
    expect(args).toEqual(["build", "deploy/overlays/dev", "--load-restrictor", "LoadRestrictionsRootOnly"]);
    expect(args.join(" ")).not.toMatch(/enable-helm|enable-alpha-plugins|enable-exec/);
  });

  it.each([
    [
      "defaults",
      app(),
      ["template", "web", "./charts/web", "--namespace", "shop", "--kube-version", "1.36.0", "--skip-tests"],
    ],
    [
      "every option, value files relative to the chart, inline values last",
      app({
        helm: {
          releaseName: "web-prod",
          valueFiles: ["values-prod.yaml", "../shared/common.yaml"],
          values: "replicaCount: 3\n",
          kubeVersion: "v1.35.2",
          apiVersions: ["monitoring.coreos.com/v1"],
          skipTests: false,
          includeCRDs: true,
        },
      }),
      [
        "template",
        "web-prod",
        "./charts/web",
        "--namespace",
        "shop",
        "--kube-version",
        "v1.35.2",
        "--api-versions",
        "monitoring.coreos.com/v1",
        "--values",
        "charts/web/values-prod.yaml",
        "--values",
        "charts/shared/common.yaml",
        "--values",
        "INLINE",
        "--include-crds",
      ],
    ],
  ])("helm template: %s", (_name, config, expected) => {
    const inline = config.helm.values === undefined ? undefined : "INLINE";
    expect(helmArgs({ app: config, kubeVersion: "1.36.0", inlineValuesFile: inline })).toEqual(expected);
  });

  it("kustomize options become kustomize edit runs, in Argo CD's order; none without options", () => {
    expect(kustomizeEdits(app({ type: "kustomize" }))).toEqual([]);
    const options = {
      namePrefix: "prod-",
      nameSuffix: "-v2",
      images: ["nginx=registry.example.com/nginx:1.27.4"],
      commonLabels: { team: "shop", tier: "web" },
      commonAnnotations: { "example.com/owner": "shop" },
    };
    expect(kustomizeEdits(app({ type: "kustomize", kustomize: options }))).toEqual([
      ["edit", "set", "nameprefix", "--", "prod-"],
      ["edit", "set", "namesuffix", "--", "-v2"],
      ["edit", "set", "image", "nginx=registry.example.com/nginx:1.27.4"],
      ["edit", "add", "label", "--force", "team:shop,tier:web"],
      ["edit", "add", "annotation", "--force", "example.com/owner:shop"],
    ]);
  });

  it.each([
    ["charts/web", "web"],
    ["charts/My_Chart.v2", "my-chart-v2"],
    [".", "release"],
  ])("the release of %s is named %s", (path, name) => {
    expect(releaseNameOf(app({ path }))).toBe(name);
  });
});

const HELM_OUTPUT = `---
# Source: web/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
metadata: {name: web}
---
# Source: web/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {checksum/secret: "1111"}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
---
# Source: web/charts/cache/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: cache, namespace: caching}
spec:
  selector: {matchLabels: {app: cache}}
  template:
    metadata: {labels: {app: cache}}
    spec:
      containers: [{name: cache, image: "redis:7"}]
`;

describe("reading a render's output", () => {
  it("Helm: Deployments only, the app's namespace where none is set, templates named in the repository", () => {
    const read = readRenderedDocs(app(), "helm", HELM_OUTPUT, 1 << 20);
    if (!read.ok) throw new Error(read.error.message);
    expect(read.docs.map((doc) => [`${doc.namespace}/${doc.name}`, doc.renderedFrom])).toEqual([
      ["shop/web", "charts/web/templates/deployment.yaml"],
      ["caching/cache", "charts/web/charts/cache/templates/deployment.yaml"],
    ]);
  });

  it("Kustomize: the origin annotation names the file, and is taken out of what is compared", () => {
    const output = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: backend
  annotations:
    config.kubernetes.io/origin: |
      path: ../../bases/backend/deployment.yaml
spec:
  selector: {matchLabels: {app: backend}}
  template:
    metadata: {labels: {app: backend}}
    spec: {containers: [{name: backend, image: "b:1"}]}
`;
    const read = readRenderedDocs(
      app({ path: "deploy/overlays/dev", type: "kustomize", namespace: "dev" }),
      "kustomize",
      output,
      1 << 20,
    );
    if (!read.ok) throw new Error(read.error.message);
    const [doc] = read.docs;
    expect(doc?.renderedFrom).toBe("deploy/bases/backend/deployment.yaml");
    expect(doc?.namespace).toBe("dev");
    expect(doc?.object.metadata).toEqual({ name: "backend" });
    expect(doc?.notCompared).toContainEqual(["metadata", "annotations", "config.kubernetes.io/origin"]);
  });

  it("output that does not parse, or is too large, is the app's error", () => {
    const bad = readRenderedDocs(app(), "helm", "a: [unclosed\n", 1 << 20);
    expect(bad.ok ? "" : bad.error.message).toMatch(/^helm output does not parse \(output line 1\)/);
    const big = readRenderedDocs(app(), "helm", HELM_OUTPUT, 100);
    expect(big.ok ? "" : big.error.message).toMatch(/too large/);
  });
});

describe("unstable fields", () => {
  it("paths that differ between two renders are not compared; everything else is", () => {
    const first = readRenderedDocs(app(), "helm", HELM_OUTPUT, 1 << 20);
    const second = readRenderedDocs(app(), "helm", HELM_OUTPUT.replace('"1111"', '"2222"'), 1 << 20);
    if (!first.ok || !second.ok) throw new Error("does not parse");
    const stable = markUnstable(first.docs, second.docs);
    expect(stable.unstable).toEqual(['shop/web: spec.template.metadata.annotations["checksum/secret"]']);
    const web = stable.docs.find((doc) => doc.name === "web");
    expect(web?.notCompared).toContainEqual([
      "spec",
      "template",
      "metadata",
      "annotations",
      "checksum/secret",
    ]);
    expect(stable.docs.find((doc) => doc.name === "cache")?.notCompared).toEqual(first.docs[1]?.notCompared);
  });

  it("an object only one render has is named", () => {
    const first = readRenderedDocs(app(), "helm", HELM_OUTPUT, 1 << 20);
    if (!first.ok) throw new Error("does not parse");
    expect(markUnstable(first.docs, first.docs.slice(1)).unstable).toEqual([
      "shop/web: only in one of two renders",
    ]);
  });
});

describe("messages name the app and the template", () => {
  const origin = {
    source: "gitops",
    commit: "0123456789abcdef",
    file: "charts/web",
    app: { type: "helm" as const, renderedFrom: "charts/web/templates/deployment.yaml" },
  };
  it.each([
    [
      origin,
      'source "gitops", commit 0123456, helm app charts/web (from charts/web/templates/deployment.yaml)',
    ],
    [
      { ...origin, app: { ...origin.app, failedAt: { commit: "fedcba9876543210", message: "helm failed" } } },
      'source "gitops", commit 0123456, helm app charts/web (from charts/web/templates/deployment.yaml); its render failed at commit fedcba9, so the last good render is used',
    ],
    [
      { source: "gitops", commit: "0123456789abcdef", file: "apps/web.yaml" },
      'source "gitops", commit 0123456, file apps/web.yaml',
    ],
  ])("%#", (given, text) => {
    expect(describeOrigin(given)).toBe(text);
  });

  it("tells where to change the object", () => {
    expect(describeWhereToChange(origin)).toBe("charts/web/templates/deployment.yaml (helm app charts/web)");
    expect(describeWhereToChange({ ...origin, app: { type: "kustomize" } })).toBe(
      "the kustomize app charts/web",
    );
  });
});

describe("the render limiter", () => {
  it("runs at most N tasks at a time, all of them", async () => {
    const limit = createLimiter(2);
    let running = 0;
    let most = 0;
    const task = async (n: number) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running -= 1;
      return n;
    };
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => limit(() => task(n))));
    expect(results).toEqual([1, 2, 3, 4, 5]);
    expect(most).toBe(2);
  });
});
