// Rendered apps through the whole runtime (real Git, the real kustomize and helm, the config as an admin
// writes it): what is rendered again and what is not, per-app last good, refusals before any build, a
// hung render killed at its limit while admission keeps answering, and unstable fields never denied.
import { chmod, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import type { AppStatus, FileState } from "../../src/sources/types.js";
import { deploymentManifest } from "../support/deployments.js";
import { createTestRepo, type TestRepo } from "../support/git/test-repo.js";
import { type MemoryLogger, memoryLogger } from "../support/memory-logger.js";
import { requireRenderTools } from "../support/render-tools.js";
import { request } from "../support/reviews.js";
import { makeTempDir } from "../support/tls/cert-dir.js";

const tools = requireRenderTools();
if (tools.skipReason !== undefined) console.warn(`rendered apps: ${tools.skipReason}`);

const deployment = (name: string, image: string, extra = "") => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: 2
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata:
      labels: {app: ${name}}${extra}
    spec:
      containers: [{name: ${name}, image: "${image}"}]
`;

const FILES: Record<string, string> = {
  "base/web/deployment.yaml": deployment("web", "nginx:1.27"),
  "base/web/kustomization.yaml": "resources: [deployment.yaml]\n",
  "base/api/deployment.yaml": deployment("api", "api:1"),
  "base/api/kustomization.yaml": "resources: [deployment.yaml]\n",
  "overlays/prod/kustomization.yaml":
    "namespace: prod\nresources: [../../base/web]\nimages: [{name: nginx, newTag: '1.27.4'}]\n",
  "overlays/api/kustomization.yaml": "namespace: prod\nresources: [../../base/api]\n",
  "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
  "charts/web/values.yaml": "image: nginx:1.27\n",
  "charts/web/templates/deployment.yaml": deployment("{{ .Release.Name }}", "{{ .Values.image }}"),
  // A random value in a pod template annotation: two renders of the same inputs differ there.
  "charts/random/Chart.yaml": "apiVersion: v2\nname: random\nversion: 1.0.0\n",
  "charts/random/templates/deployment.yaml": deployment(
    "random",
    "nginx:1.27",
    '\n      annotations: {checksum/password: "{{ randAlphaNum 16 }}"}',
  ),
  "apps/plain.yaml": deployment("plain", "nginx:1.27").replace(
    "metadata:\n",
    "metadata:\n  namespace: prod\n",
  ),
  "other/notes.yaml": "not: a manifest\n",
  "overlays/options/kustomization.yaml": "namespace: opts\nresources: [../../base/api]\n",
  // Plain folders named as apps, for their namespace: one said to be a directory, one found to be one.
  "team-a/a.yaml": deployment("a", "a:1"),
  "team-b/b.yaml": deployment("b", "b:1"),
};

describe.skipIf(tools.skipReason !== undefined)("rendered apps in the sync", () => {
  let tmp: string;
  let repo: TestRepo;
  let runtime: Runtime;
  let log: MemoryLogger;
  const renders: string[] = [];

  const appState = (path: string): FileState | undefined => runtime.sources[0]?.current()?.files.get(path);
  const appStatus = (path: string): AppStatus | undefined =>
    runtime.sources[0]?.status().apps.find((app) => app.path === path);
  const sync = async () => {
    const result = await runtime.refresh(undefined);
    return result;
  };

  beforeAll(async () => {
    tmp = await makeTempDir();
    repo = await createTestRepo(join(tmp, "remote"), tmp);
    await repo.commit("apps", FILES);
    // kustomize behind a wrapper that hangs when the app holds a file named HANG: a render that never ends.
    const wrapper = join(tmp, "kustomize");
    await writeFile(
      wrapper,
      `#!/bin/sh\nif [ -e overlays/prod/HANG ]; then sleep 60; fi\nexec "${tools.kustomize}" "$@"\n`,
    );
    await chmod(wrapper, 0o755);
    const config = parseConfig(
      [
        "mode: enforce",
        "sources:",
        `  - name: gitops`,
        `    url: "${repo.dir}"`,
        "    paths:",
        "      - apps",
        "      - path: overlays/prod",
        "      - path: overlays/api",
        "      - path: charts/web",
        "        namespace: prod",
        "        helm: {values: {image: 'nginx:1.27.4'}}",
        "      - path: charts/random",
        "        namespace: prod",
        "      - path: overlays/options",
        "        kustomize: {namePrefix: opt-, images: ['api=registry.example.com/api:7'], commonLabels: {team: shop}, commonAnnotations: {owner: shop}}",
        "      - {path: team-a, type: directory, namespace: team-a}",
        "      - {path: team-b, namespace: team-b}",
        "stateDir: state",
        `renderers: {kustomize: "${wrapper}", helm: "${tools.helm}", timeout: 3s}`,
      ].join("\n"),
      { file: "driftguard.yaml", dir: tmp },
    );
    log = memoryLogger();
    runtime = createRuntime(config, log.logger);
    const observe = runtime.metrics.recordRender.bind(runtime.metrics);
    runtime.metrics.recordRender = (event) => {
      renders.push(event.type);
      observe(event);
    };
    await runtime.started;
  }, 120_000);
  afterAll(async () => {
    await runtime?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  it("renders every app once at the first sync, each with its objects and origin", () => {
    expect(renders).toHaveLength(5);
    expect(appState("overlays/prod")?.docs.map((doc) => [doc.namespace, doc.name, doc.renderedFrom])).toEqual(
      [["prod", "web", "base/web/deployment.yaml"]],
    );
    expect(appState("charts/web")?.docs[0]?.renderedFrom).toBe("charts/web/templates/deployment.yaml");
    // The overlay and the chart render prod/web alike: one desired state, held twice.
    expect(runtime.state.lookup({ namespace: "prod", name: "web" }).kind).toBe("managed");
    expect(runtime.state.duplicates().map((d) => d.key)).toEqual(["prod/web"]);
    expect(runtime.state.lookup({ namespace: "prod", name: "api" }).kind).toBe("managed");
    expect(runtime.state.lookup({ namespace: "prod", name: "plain" }).kind).toBe("managed");
  });

  it("applies an app's kustomize options as Argo CD does, with kustomize edit", () => {
    const [doc] = appState("overlays/options")?.docs ?? [];
    expect([doc?.namespace, doc?.name]).toEqual(["opts", "opt-api"]);
    expect(doc?.object).toMatchObject({
      metadata: { labels: { team: "shop" }, annotations: { owner: "shop" } },
      spec: {
        selector: { matchLabels: { app: "api", team: "shop" } },
        template: { spec: { containers: [{ image: "registry.example.com/api:7" }] } },
      },
    });
  });

  it("reads folders named as apps as plain manifests, in the app's namespace", () => {
    expect(runtime.state.lookup({ namespace: "team-a", name: "a" }).kind).toBe("managed");
    expect(runtime.state.lookup({ namespace: "team-b", name: "b" }).kind).toBe("managed");
    expect(runtime.state.lookup({ namespace: "default", name: "a" }).kind).toBe("unmanaged");
    expect(runtime.sources[0]?.status().apps.map((app) => app.path)).toEqual([
      "overlays/prod",
      "overlays/api",
      "charts/web",
      "charts/random",
      "overlays/options",
    ]);
  });

  it("names the unstable fields of a chart with a random value, and never denies on them", async () => {
    expect(appStatus("charts/random")?.unstable).toEqual([
      'prod/random: spec.template.metadata.annotations["checksum/password"]',
    ]);
    const notice = runtime.sources[0]?.status().notices.find((n) => n.file === "charts/random");
    expect(notice?.message).toMatch(/two renders of the same inputs differ/);
    const live = (password: string) => {
      const object = deploymentManifest({
        name: "random",
        namespace: "prod",
        container: "random",
        image: "nginx:1.27",
        replicas: 2,
      });
      const template = (object.spec as { template: { metadata: Record<string, unknown> } }).template;
      template.metadata.annotations = { "checksum/password": password };
      return object;
    };
    const answer = await runtime.admit(
      request({ operation: "UPDATE", object: live("zzzzzzzzzzzzzzzz"), oldObject: live("aaaaaaaaaaaaaaaa") }),
    );
    expect(answer.allowed).toBe(true);
  });

  it("renders again only the apps whose inputs changed", async () => {
    renders.length = 0;
    await repo.commit("notes", { "other/notes.yaml": "still: not a manifest\n" });
    await sync();
    expect(renders).toEqual([]);
    await repo.commit("a base that overlays/api and overlays/options read, and no other app", {
      "base/api/deployment.yaml": deployment("api", "api:2"),
    });
    await sync();
    expect(renders).toEqual(["kustomize", "kustomize"]);
    expect(appState("overlays/api")?.docs[0]?.object).toMatchObject({
      spec: { template: { spec: { containers: [{ image: "api:2" }] } } },
    });
  });

  it("keeps serving the last good render of a broken overlay, and says so in status, logs and messages", async () => {
    const good = appState("overlays/api");
    await repo.commit("broken overlay", {
      "overlays/api/kustomization.yaml": "namespace: prod\nresources: [../../base/api, missing.yaml]\n",
    });
    await sync();
    const state = appState("overlays/api");
    expect(state?.docs).toBe(good?.docs);
    expect(state?.goodCommit).toBe(good?.goodCommit);
    expect(appStatus("overlays/api")?.error).toMatch(
      /^kustomize app: kustomize failed: kustomize exited with code 1: .*'overlays\/api\/missing\.yaml'/s,
    );
    expect(appStatus("overlays/api")?.error).not.toContain("driftguard-render-");
    expect(log.lines.filter((line) => line.msg === "app does not render")).toHaveLength(1);
    const edit = deploymentManifest({ name: "api", namespace: "prod", image: "api:3", replicas: 2 });
    const answer = await runtime.admit(request({ operation: "CREATE", object: edit }));
    expect(answer.allowed).toBe(false);
    expect(answer.status?.message).toMatch(
      /kustomize app overlays\/api \(from base\/api\/deployment\.yaml\); its render failed at commit [0-9a-f]{7}, so the last good render is used/,
    );
  });

  it("keeps the last good render of a chart with a template error", async () => {
    const good = appState("charts/web");
    await repo.commit("template error", {
      "charts/web/templates/deployment.yaml": `${FILES["charts/web/templates/deployment.yaml"]}{{ .Values.missing.field }}\n`,
    });
    await sync();
    expect(appState("charts/web")?.docs).toBe(good?.docs);
    expect(appStatus("charts/web")?.error).toMatch(
      /^helm app: helm failed: helm exited with code 1: .*nil pointer/s,
    );
  });

  it.each([
    [
      "a remote base",
      { "overlays/api/kustomization.yaml": "resources: [https://github.com/example/deploy//base?ref=v1]\n" },
      "overlays/api",
      /resources entry "https:\/\/github\.com\/example\/deploy\/\/base\?ref=v1" is a URL/,
    ],
    [
      "a symlink out of the repository",
      { "charts/web/templates/link.yaml": null },
      "charts/web",
      /symbolic link|symlink/i,
    ],
  ])("refuses %s before any build, with a clear error", async (_name, files, app, reason) => {
    renders.length = 0;
    if (app === "charts/web") {
      await repo.git("rm", "-q", "--cached", "--ignore-unmatch", "charts/web/templates/link.yaml");
      await repo.commit("fix the template", {
        "charts/web/templates/deployment.yaml": FILES["charts/web/templates/deployment.yaml"] ?? "",
      });
      const { symlink } = await import("node:fs/promises");
      await symlink("/etc/passwd", join(repo.dir, "charts/web/templates/link.yaml"));
      await repo.commit("an escaping link", {});
    } else {
      await repo.commit("remote", files as Record<string, string>);
    }
    await sync();
    expect(renders).toEqual([]);
    expect(appStatus(app)?.error).toMatch(reason);
    expect(appStatus(app)?.renderedAt).toBeDefined();
  });

  it("kills a render that hangs at the limit, while admission keeps answering", async () => {
    await repo.commit("hang", { "overlays/prod/HANG": "the wrapper sleeps while this exists\n" });
    let syncDone = false;
    const pending = sync().then(() => {
      syncDone = true;
    });
    const edit = deploymentManifest({ name: "plain", namespace: "prod", image: "nginx:9", replicas: 2 });
    const answer = await runtime.admit(request({ operation: "CREATE", object: edit }));
    expect(answer.allowed).toBe(false);
    expect(syncDone).toBe(false);
    await pending;
    expect(appStatus("overlays/prod")?.error).toMatch(/killed after the time limit of 3000 ms/);
    expect(appState("overlays/prod")?.docs).toHaveLength(1);
  }, 30_000);

  it("counts apps and failing apps per tool in the metrics, and every render by outcome", async () => {
    const text = await runtime.metrics.registry.metrics();
    // Failing now: overlays/api (a remote base), overlays/prod (the hung render), charts/web (the link).
    expect(text).toContain('driftguard_app_render_errors{source="gitops",type="kustomize"} 2');
    expect(text).toContain('driftguard_app_render_errors{source="gitops",type="helm"} 1');
    expect(text).toContain('driftguard_apps{source="gitops",type="kustomize"} 3');
    expect(text).toContain('driftguard_apps{source="gitops",type="helm"} 2');
    expect(text).toMatch(/driftguard_renders_total\{type="kustomize",outcome="failed"\} [1-9]/);
    expect(text).toMatch(/driftguard_renders_total\{type="helm",outcome="ok"\} [1-9]/);
  });
});
