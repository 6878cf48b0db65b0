// `driftguard propose` for rendered apps, with the real kustomize and helm: a patch in the overlay (or
// the overlay's own manifest edited), a Helm values key only when exactly one maps, each checked by
// rendering the edited files before it is proposed.
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deploymentManifest } from "../support/deployments.js";
import { createTestRepo } from "../support/git/test-repo.js";
import { requireRenderTools } from "../support/render-tools.js";
import { deploymentReview } from "../support/reviews.js";
import { makeTempDir } from "../support/tls/cert-dir.js";
import { driftguard } from "./run-cli.js";

const tools = requireRenderTools(); // under DRIFTGUARD_REQUIRE_RENDERERS=1 a missing tool fails this file

const deployment = (name: string, image: string, extra = "") => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: 2
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
        - name: ${name}
          image: ${image}${extra}
`;

const FILES: Record<string, string> = {
  "base/kustomization.yaml": "resources: [deploy.yaml]\n",
  "base/deploy.yaml": deployment("web", "nginx:1.25"),
  "overlays/prod/kustomization.yaml": "# prod overlay\nnamespace: shop\nresources:\n  - ../../base\n",
  "overlays/prefixed/kustomization.yaml": "namespace: shop\nnamePrefix: prod-\nresources: [../../base]\n",
  "solo/kustomization.yaml":
    "namespace: shop\nbuildMetadata: [originAnnotations]\nresources: [deploy.yaml]\n",
  "solo/deploy.yaml": deployment("solo", "nginx:1.25"),
  "charts/api/Chart.yaml": "apiVersion: v2\nname: api\nversion: 0.1.0\n",
  "charts/api/values.yaml":
    "# api chart defaults\nreplicaCount: 2\nminReplicas: 2\nmode: prod   # the run mode\nimage: {repository: nginx, tag: '1.25'}\n",
  "charts/api/templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: {{ max .Values.replicaCount .Values.minReplicas }}
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          env:
            - name: MODE
              value: {{ .Values.mode | quote }}
`,
};

/** A review of shop/NAME asking for `change` applied to Git's object (`prod-web`: the base's web, renamed). */
function review(
  name: string,
  change: (container: Record<string, unknown>, spec: Record<string, unknown>) => void,
) {
  const base = name.replace(/^prod-/, "");
  const object = deploymentManifest({
    name: base,
    container: base,
    image: "nginx:1.25",
    replicas: 2,
    metadata: { uid: "1", name },
  });
  if (name === "api") {
    const container = ((
      object.spec as never as { template: { spec: { containers: Record<string, unknown>[] } } }
    ).template.spec.containers[0] ?? {}) as Record<string, unknown>;
    container.env = [{ name: "MODE", value: "prod" }];
  }
  const spec = object.spec as Record<string, unknown>;
  const pod = (spec.template as { spec: { containers: Record<string, unknown>[] } }).spec;
  change(pod.containers[0] as Record<string, unknown>, spec);
  const body = deploymentReview({ username: "alice", object, oldObject: null, operation: "CREATE" });
  body.request.name = name;
  return JSON.stringify(body);
}

describe.skipIf(tools.skipReason !== undefined)(
  "driftguard propose for rendered apps",
  { timeout: 300_000 },
  () => {
    if (tools.skipReason !== undefined) console.warn(tools.skipReason);
    let tmp: string;
    let config: string;

    beforeAll(async () => {
      tmp = await makeTempDir();
      const repo = await createTestRepo(join(tmp, "remote"), tmp);
      await repo.commit("apps", FILES);
      config = join(tmp, "driftguard.yaml");
      await writeFile(
        config,
        `mode: enforce
sources:
  - name: apps
    url: ./remote
    paths:
      - {path: overlays/prod}
      - {path: solo}
      - {path: overlays/prefixed}
      - {path: charts/api, namespace: shop}
renderers: {kustomize: ${tools.kustomize}, helm: ${tools.helm}}
stateDir: ./state
`,
      );
    });
    afterAll(() => rm(tmp, { recursive: true, force: true }));

    it("kustomize, a shared base: a strategic-merge patch in the overlay, listed under patches", async () => {
      const result = await driftguard(
        ["propose", "--config", config, "-o", "json", "-"],
        review("web", (container) => {
          container.image = "nginx:1.27";
          container.env = [{ name: "LEVEL", value: "3" }];
        }),
      );
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      const proposal = JSON.parse(result.stdout);
      const paths = proposal.files.map((file: { path: string }) => file.path);
      expect(paths).toEqual([
        "overlays/prod/driftguard-web-9a3f6f0e-patch.yaml",
        "overlays/prod/kustomization.yaml",
      ]);
      const [patch, kustomization] = proposal.files.map((file: { diff: string }) => file.diff);
      expect(patch).toContain("new file mode 100644");
      expect(patch).toContain("+++ b/overlays/prod/driftguard-web-9a3f6f0e-patch.yaml");
      expect(patch).toContain("+            - name: LEVEL");
      expect(patch).toContain("+          image: nginx:1.27");
      // The kustomization keeps its comment; the patch is added at the end.
      const added = kustomization.split("\n").filter((line: string) => /^[-+][^-+]/.test(line));
      expect(added).toEqual(["+patches:", "+  - path: driftguard-web-9a3f6f0e-patch.yaml"]);
      expect(proposal.notes.join("\n")).toContain("checked by rendering with kustomize");
    });

    it("kustomize, an overlay with namePrefix: the patch names the object as the overlay's patches see it", async () => {
      const result = await driftguard(
        ["propose", "--config", config, "-o", "json", "-"],
        review("prod-web", (container) => {
          container.image = "nginx:1.31";
        }),
      );
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      const proposal = JSON.parse(result.stdout);
      expect(proposal.files.map((file: { path: string }) => file.path)).toEqual([
        "overlays/prefixed/driftguard-prod-web-9a3f6f0e-patch.yaml",
        "overlays/prefixed/kustomization.yaml",
      ]);
      expect(proposal.files[0].diff).toContain("+          image: nginx:1.31");
    });

    it("kustomize, the overlay's own manifest (kustomize names it as the origin): edited in place", async () => {
      const result = await driftguard(
        ["propose", "--config", config, "-"],
        review("solo", (_container, spec) => {
          spec.replicas = 4;
        }),
      );
      expect(result.code).toBe(0);
      expect(result.stdout).toContain("--- a/solo/deploy.yaml\n+++ b/solo/deploy.yaml\n");
      const changed = result.stdout.split("\n").filter((line) => /^[-+][^-+]/.test(line));
      expect(changed).toEqual(["-  replicas: 2", "+  replicas: 4"]);
      expect(result.stderr).toContain("solo/deploy.yaml: edited in place");
    });

    it("helm: the one values key that maps to the field is changed, comment kept", async () => {
      const result = await driftguard(
        ["propose", "--config", config, "-"],
        review("api", (container) => {
          container.env = [{ name: "MODE", value: "debug" }];
        }),
      );
      expect(result.code).toBe(0);
      const changed = result.stdout.split("\n").filter((line) => /^[-+][^-+]/.test(line));
      expect(changed).toEqual(["-mode: prod   # the run mode", "+mode: debug   # the run mode"]);
      expect(result.stderr).toContain(
        "charts/api/values.yaml: mode maps to spec.template.spec.containers[name=api].env[name=MODE].value",
      );
    });

    it("helm: two keys that both map, or none, is no proposal (exit 1) with Git's and the requested value", async () => {
      const result = await driftguard(
        ["propose", "--config", config, "-"],
        review("api", (container, spec) => {
          spec.replicas = 5;
          container.image = "nginx:1.27";
        }),
      );
      expect(result.code).toBe(1);
      expect(result.stdout).toContain("no proposal (DG_PROPOSE_HELM_AMBIGUOUS)");
      expect(result.stdout).toContain("spec.replicas: Git 2, requested 5 (2 values keys map to it)");
      expect(result.stdout).toContain(
        'spec.template.spec.containers[name=api].image: Git "nginx:1.25", requested "nginx:1.27" (no values key maps to it)',
      );
    });
  },
);
