// helmInputs: a chart with its vendored subcharts and its value files, or the refusal of SPEC §2a.
import { describe, expect, it } from "vitest";
import { type AppInputs, helmInputs } from "../../src/render/inputs.js";
import { type MemoryEntry, memoryTree } from "../support/repo-trees.js";

function chart(chartYaml: string, more: Record<string, MemoryEntry> = {}) {
  return memoryTree({
    "charts/web/Chart.yaml": chartYaml,
    "charts/web/values.yaml": "replicas: 1\n",
    "charts/web/templates/deployment.yaml": "kind: Deployment\n",
    "envs/prod/values.yaml": "replicas: 3\n",
    "envs/prod/other.yaml": "x: 1\n",
    ...more,
  });
}

const PLAIN = "apiVersion: v2\nname: web\nversion: 1.0.0\n";
const WITH_REDIS = `${PLAIN}dependencies:\n- name: redis\n  version: 17.3.1\n  repository: https://charts.example.com\n`;

function refused(inputs: AppInputs) {
  if (inputs.ok) throw new Error(`expected a refusal, got roots ${inputs.roots.join(", ")}`);
  return inputs;
}

// [case, Chart.yaml, more files, value files, roots, files]
const ACCEPTED: [string, string, Record<string, MemoryEntry>, string[], string[], string[]][] = [
  ["a chart alone", PLAIN, {}, [], ["charts/web"], []],
  [
    "value files inside and outside the chart",
    PLAIN,
    {},
    ["values.yaml", "../../envs/prod/values.yaml"],
    ["charts/web"],
    ["envs/prod/values.yaml"],
  ],
  [
    "a dependency vendored as a folder",
    WITH_REDIS,
    { "charts/web/charts/redis/Chart.yaml": "name: redis\n" },
    [],
    ["charts/web"],
    [],
  ],
  [
    "a dependency vendored as name-version.tgz",
    WITH_REDIS,
    { "charts/web/charts/redis-17.3.1.tgz": { bytes: Buffer.from([0x1f, 0x8b, 0, 1]) } },
    [],
    ["charts/web"],
    [],
  ],
  [
    "a dependency in a folder of another name",
    WITH_REDIS,
    { "charts/web/charts/vendored-redis/Chart.yaml": "name: redis\n" },
    [],
    ["charts/web"],
    [],
  ],
  [
    "a dependency whose name holds digits",
    `${PLAIN}dependencies:\n- name: k8s-2-dash\n  version: 1.0.0\n`,
    { "charts/web/charts/k8s-2-dash-1.0.0.tgz": "x" },
    [],
    ["charts/web"],
    [],
  ],
  [
    "an aliased dependency vendored under its alias",
    `${PLAIN}dependencies:\n- name: redis\n  alias: cache\n`,
    { "charts/web/charts/cache/Chart.yaml": "name: cache\n" },
    [],
    ["charts/web"],
    [],
  ],
  [
    "a v1 chart's requirements.yaml",
    "apiVersion: v1\nname: web\nversion: 1.0.0\n",
    {
      "charts/web/requirements.yaml": "dependencies:\n- name: redis\n",
      "charts/web/charts/redis/Chart.yaml": "name: redis\n",
    },
    [],
    ["charts/web"],
    [],
  ],
  [
    "a value file through a link",
    PLAIN,
    { "charts/web/prod.yaml": { link: "../../envs/prod/values.yaml" } },
    ["prod.yaml"],
    ["charts/web"],
    ["envs/prod/values.yaml"],
  ],
  [
    "a linked template folder",
    PLAIN,
    {
      "charts/web/templates/shared": { link: "../../../lib/templates" },
      "lib/templates/_h.tpl": "{{/* */}}\n",
    },
    [],
    ["charts/web", "lib/templates"],
    [],
  ],
];

describe("helmInputs collects the chart and its value files", () => {
  it.each(ACCEPTED)("%s", async (_name, chartYaml, more, valueFiles, roots, files) => {
    expect(await helmInputs(chart(chartYaml, more), "charts/web", valueFiles)).toEqual({
      ok: true,
      roots,
      files,
    });
  });
});

// [case, Chart.yaml, more files, value files, the file named, words the message must hold]
const REFUSALS: [string, string, Record<string, MemoryEntry>, string[], string, RegExp][] = [
  [
    "a dependency not vendored",
    WITH_REDIS,
    {},
    [],
    "charts/web/Chart.yaml",
    /dependency "redis" is not vendored in charts\/web\/charts\/ .*vendor it under charts\/; driftguard never runs helm dependency build/,
  ],
  [
    "one of two dependencies not vendored",
    `${WITH_REDIS}- name: postgresql\n  version: 12.0.0\n`,
    { "charts/web/charts/redis-17.3.1.tgz": "x" },
    [],
    "charts/web/Chart.yaml",
    /"postgresql"/,
  ],
  [
    "a dependency only in requirements.yaml",
    PLAIN,
    { "charts/web/requirements.yaml": "dependencies:\n- name: redis\n" },
    [],
    "charts/web/Chart.yaml",
    /"redis" is not vendored/,
  ],
  [
    "a value file from a URL",
    PLAIN,
    {},
    ["https://example.com/values.yaml"],
    "https://example.com/values.yaml",
    /value file "https:\/\/example.com\/values.yaml" is a URL/,
  ],
  ["an absolute value file", PLAIN, {}, ["/etc/values.yaml"], "/etc/values.yaml", /is an absolute path/],
  [
    "a value file outside the repository",
    PLAIN,
    {},
    ["../../../values.yaml"],
    "../../../values.yaml",
    /leaves the repository/,
  ],
  [
    "a value file not in the tree",
    PLAIN,
    {},
    ["values-missing.yaml"],
    "charts/web/values-missing.yaml",
    /is not in the repository at this commit/,
  ],
  ["a value file that is a folder", PLAIN, {}, ["templates"], "charts/web/templates", /is a folder/],
  [
    "a value file linked out of the repository",
    PLAIN,
    { "charts/web/x.yaml": { link: "../../../../x.yaml" } },
    ["x.yaml"],
    "charts/web/x.yaml",
    /leaves the repository/,
  ],
  [
    "a symlink in the chart to an absolute path",
    PLAIN,
    { "charts/web/templates/evil.yaml": { link: "/etc/shadow" } },
    [],
    "charts/web/templates/evil.yaml",
    /absolute path \/etc\/shadow/,
  ],
  [
    "a submodule in the chart",
    PLAIN,
    { "charts/web/charts/redis": { submodule: true } },
    [],
    "charts/web/charts/redis",
    /submodule/,
  ],
];

describe("helmInputs refuses", () => {
  it.each(REFUSALS)("%s", async (_name, chartYaml, more, valueFiles, file, words) => {
    const answer = refused(await helmInputs(chart(chartYaml, more), "charts/web", valueFiles));
    expect(answer.code).toBe("DG_RENDER_REFUSED");
    expect(answer.file).toBe(file);
    expect(answer.message).toMatch(words);
  });

  it("a folder without Chart.yaml", async () => {
    const answer = refused(await helmInputs(chart(PLAIN), "envs/prod", []));
    expect(answer.message).toMatch(/envs\/prod holds no Chart.yaml/);
  });
});
