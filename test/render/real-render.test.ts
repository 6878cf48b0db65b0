// Links, executable files and value files outside the chart, through materialize and the real tools:
// what the analysis lets through must also render, from nothing but the materialized inputs.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AppInputs, helmInputs, kustomizeInputs } from "../../src/render/inputs.js";
import { materialize } from "../../src/render/materialize.js";
import { runTool } from "../../src/render/run-tool.js";
import { memoryTree } from "../support/repo-trees.js";
import { realTool, realToolSkipReason } from "./real-tools.js";

const kustomize = realTool("kustomize");
const helm = realTool("helm");

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "driftguard-real-render-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function readable(inputs: AppInputs) {
  if (!inputs.ok) throw new Error(inputs.message);
  return inputs;
}

async function render(binary: string, args: string[]): Promise<string> {
  const result = await runTool({ binary, args, cwd: dir, timeoutMs: 60_000, maxOutputBytes: 16 << 20 });
  if (!result.ok) throw new Error(`${result.message}\n${result.stderrHead}`);
  return result.stdout;
}

const CONFIG_MAP = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;

describe.skipIf(kustomize === undefined)("kustomize on materialized inputs", () => {
  if (kustomize === undefined) console.warn(realToolSkipReason("kustomize"));

  it("follows a linked base folder and a linked file, and nothing else is there", async () => {
    const tree = memoryTree({
      "apps/web/kustomization.yaml":
        "resources: [../../linked/web, ns.yaml]\nconfigMapGenerator:\n- name: script\n  files: [run.sh]\n",
      "apps/web/ns.yaml": { link: "namespaces/ns.yaml" },
      "apps/web/namespaces/ns.yaml": CONFIG_MAP("from-link"),
      "apps/web/run.sh": { executable: "#!/bin/sh\necho hi\n" },
      linked: { link: "bases" },
      "bases/web/kustomization.yaml": "resources: [cm.yaml]\n",
      "bases/web/cm.yaml": CONFIG_MAP("from-base"),
      "bases/other/kustomization.yaml": "resources: [cm.yaml]\n",
      "bases/other/cm.yaml": CONFIG_MAP("never-read"),
    });
    await materialize(tree, readable(await kustomizeInputs(tree, "apps/web")), dir);
    const out = await render(kustomize as string, [
      "build",
      "apps/web",
      "--load-restrictor",
      "LoadRestrictionsRootOnly",
    ]);
    expect(out).toContain("name: from-base");
    expect(out).toContain("name: from-link");
    expect(out).toContain("run.sh: |");
    expect(out).not.toContain("never-read");
  });
});

describe.skipIf(helm === undefined)("helm on materialized inputs", () => {
  if (helm === undefined) console.warn(realToolSkipReason("helm"));

  it("reads a value file outside the chart and a vendored subchart", async () => {
    const tree = memoryTree({
      "charts/web/Chart.yaml":
        "apiVersion: v2\nname: web\nversion: 1.0.0\ndependencies:\n- name: sub\n  version: 0.1.0\n",
      "charts/web/values.yaml": "greeting: default\n",
      "charts/web/templates/cm.yaml":
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-{{ .Values.greeting }}\n",
      "charts/web/charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
      "charts/web/charts/sub/templates/cm.yaml":
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sub-{{ .Release.Namespace }}\n",
      "envs/prod/values.yaml": { link: "../shared/prod.yaml" },
      "envs/shared/prod.yaml": "greeting: prod\n",
    });
    const inputs = readable(await helmInputs(tree, "charts/web", ["../../envs/prod/values.yaml"]));
    await materialize(tree, inputs, dir);
    const out = await render(helm as string, [
      "template",
      "rel",
      "charts/web",
      "--namespace",
      "ns",
      "--kube-version",
      "1.36.0",
      "--skip-tests",
      "--values",
      "charts/web/../../envs/prod/values.yaml",
    ]);
    expect(out).toContain("name: rel-prod");
    expect(out).toContain("name: sub-ns");
  });
});
