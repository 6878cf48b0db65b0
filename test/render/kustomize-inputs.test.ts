// kustomizeInputs: what a Kustomize app may read, and every refusal of SPEC §2a, on in-memory trees.
import { describe, expect, it } from "vitest";
import { type AppInputs, kustomizeInputs } from "../../src/render/inputs.js";
import { MAX_LINK_HOPS } from "../../src/render/symlinks.js";
import { type MemoryEntry, memoryTree } from "../support/repo-trees.js";

const DEPLOYMENT = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n";
const LABELS = "apiVersion: builtin\nkind: LabelTransformer\nmetadata: {name: l}\nlabels: {a: b}\n";

/** A repository with an app at `apps/web` and some neighbours; `app` is its kustomization. */
function repo(app: string, more: Record<string, MemoryEntry> = {}) {
  return memoryTree({
    "apps/web/kustomization.yaml": app,
    "apps/web/deployment.yaml": DEPLOYMENT,
    "apps/web/patch.yaml": DEPLOYMENT,
    "apps/web/labels.yaml": LABELS,
    "bases/web/kustomization.yaml": "resources: [deployment.yaml]\n",
    "bases/web/deployment.yaml": DEPLOYMENT,
    "unrelated/kustomization.yaml": "resources: [x.yaml]\n",
    "unrelated/x.yaml": DEPLOYMENT,
    ...more,
  });
}

function refused(inputs: AppInputs) {
  if (inputs.ok) throw new Error(`expected a refusal, got roots ${inputs.roots.join(", ")}`);
  return inputs;
}

function readable(inputs: AppInputs) {
  if (!inputs.ok) throw new Error(`expected inputs, got the refusal ${inputs.message}`);
  return inputs;
}

const APP = "apps/web/kustomization.yaml";
const FUNCTION_CONFIG =
  "apiVersion: example.com/v1\nkind: Render\nmetadata:\n  name: f\n  annotations:\n    config.kubernetes.io/function: |\n      container:\n        image: example.com/fn\n";

// [case, kustomization of apps/web, more files, the file named, words the message must hold]
const REFUSALS: [string, string, Record<string, MemoryEntry>, string, RegExp][] = [
  [
    "a remote base over https",
    "resources:\n- https://github.com/org/repo//deploy?ref=v1\n",
    {},
    APP,
    /resources entry "https:\/\/github.com\/org\/repo\/\/deploy\?ref=v1" is a URL/,
  ],
  ["a remote file over http", "resources: [http://example.com/web.yaml]\n", {}, APP, /is a URL/],
  ["an ssh:// repository", "resources: ['ssh://git@example.com/org/repo.git']\n", {}, APP, /is a URL/],
  [
    "a git@ repository",
    "resources: ['git@github.com:org/repo.git/deploy']\n",
    {},
    APP,
    /Git repository address \(user@host\)/,
  ],
  [
    "a user@host scp address",
    "bases: ['deploy@git.example.com:org/repo']\n",
    {},
    APP,
    /bases entry .*\(user@host\)/,
  ],
  ["a github.com/ path", "resources: [github.com/org/repo/deploy]\n", {}, APP, /is a Git repository address/],
  ["a gh: address", "resources: ['gh:org/repo']\n", {}, APP, /GitHub repository address/],
  ["a git:: address", "resources: ['git::https://example.com/org/repo']\n", {}, APP, /git::/],
  ["a ?ref= query", "resources: ['../../bases/web?ref=main']\n", {}, APP, /\?ref=/],
  ["the // subfolder notation", "resources: ['../../bases//web']\n", {}, APP, /`\/\/` subfolder notation/],
  ["a remote component", "components: [https://example.com/c]\n", {}, APP, /components entry/],
  [
    "a patch from a URL",
    "patches:\n- path: https://example.com/patch.yaml\n",
    {},
    APP,
    /patches\[0\]\.path entry .* is a URL/,
  ],
  [
    "a strategic-merge patch from a URL",
    "patchesStrategicMerge: [https://example.com/p.yaml]\n",
    {},
    APP,
    /patchesStrategicMerge entry/,
  ],
  [
    "a json6902 patch from a URL",
    "patchesJson6902:\n- path: http://example.com/p.json\n",
    {},
    APP,
    /patchesJson6902\[0\]\.path/,
  ],
  [
    "a generator file from a URL (key=path)",
    "configMapGenerator:\n- name: c\n  files: ['conf=https://example.com/c.conf']\n",
    {},
    APP,
    /configMapGenerator\[0\]\.files entry "https:\/\/example.com\/c.conf"/,
  ],
  [
    "a secret env file from a URL",
    "secretGenerator:\n- name: s\n  envs: [https://example.com/s.env]\n",
    {},
    APP,
    /secretGenerator\[0\]\.envs/,
  ],
  [
    "an openapi schema from a URL",
    "openapi:\n  path: https://example.com/schema.json\n",
    {},
    APP,
    /openapi\.path/,
  ],
  [
    "a CRD from an absolute path",
    "crds: [/etc/crds.yaml]\n",
    {},
    APP,
    /crds entry "\/etc\/crds.yaml" is an absolute path/,
  ],
  ["an absolute resource", "resources: [/etc/kubernetes]\n", {}, APP, /is an absolute path/],
  ["a resource leaving the repository", "resources: [../../../outside]\n", {}, APP, /leaves the repository/],
  [
    "a replacement leaving the repository",
    "replacements:\n- path: ../../../r.yaml\n",
    {},
    APP,
    /replacements\[0\]\.path .* leaves the repository/,
  ],
  [
    "a patch outside the kustomization's folder",
    "patches:\n- path: ../../bases/web/deployment.yaml\n",
    {},
    APP,
    /outside the kustomization's folder apps\/web: kustomize's LoadRestrictionsRootOnly/,
  ],
  [
    "a configuration file outside the folder",
    "configurations: [../other.yaml]\n",
    { "apps/other.yaml": "x: 1\n" },
    APP,
    /configurations entry .* outside/,
  ],
  [
    "a resource file outside the folder",
    "resources: [../../bases/web/deployment.yaml]\n",
    {},
    APP,
    /is a file outside the kustomization's folder/,
  ],
  [
    "helmCharts",
    "helmCharts:\n- name: redis\n  repo: https://charts.example.com\n",
    {},
    APP,
    /helmCharts: Helm chart inflation/,
  ],
  ["helmGlobals", "helmGlobals:\n  chartHome: charts\n", {}, APP, /helmGlobals: Helm chart inflation/],
  [
    "helmChartInflationGenerator",
    "helmChartInflationGenerator:\n- chartName: redis\n",
    {},
    APP,
    /helmChartInflationGenerator/,
  ],
  [
    "a KRM function transformer",
    "transformers: [fn.yaml]\n",
    { "apps/web/fn.yaml": FUNCTION_CONFIG },
    "apps/web/fn.yaml",
    /config \(kind Render\) is a KRM function/,
  ],
  [
    "an exec plugin generator",
    "generators: [gen.yaml]\n",
    {
      "apps/web/gen.yaml":
        "apiVersion: example.com/v1\nkind: Gen\nmetadata: {name: g}\nspec:\n  exec:\n    path: ./gen.sh\n",
    },
    "apps/web/gen.yaml",
    /KRM function/,
  ],
  [
    "an external plugin kind",
    "transformers: [t.yaml]\n",
    { "apps/web/t.yaml": "apiVersion: someteam.example.com/v1\nkind: SedTransformer\nmetadata: {name: s}\n" },
    "apps/web/t.yaml",
    /kind SedTransformer\), apiVersion someteam.example.com\/v1, is not one of kustomize's built-in plugins/,
  ],
  [
    "an unknown kind under apiVersion builtin",
    "validators: [v.yaml]\n",
    { "apps/web/v.yaml": "apiVersion: builtin\nkind: Validator\nmetadata: {name: v}\n" },
    "apps/web/v.yaml",
    /not one of kustomize's built-in plugins/,
  ],
  [
    "a built-in Helm generator",
    "generators: [h.yaml]\n",
    {
      "apps/web/h.yaml":
        "apiVersion: builtin\nkind: HelmChartInflationGenerator\nmetadata: {name: h}\nchartName: redis\n",
    },
    "apps/web/h.yaml",
    /Helm chart inflation/,
  ],
  [
    "an inline container function",
    "transformers:\n- |\n  apiVersion: example.com/v1\n  kind: Fn\n  metadata: {name: f}\n  container: {image: example.com/fn}\n",
    {},
    APP,
    /transformers\[0\] inline config \(kind Fn\) is a KRM function/,
  ],
  [
    "a second document of a config file",
    "transformers: [t.yaml]\n",
    { "apps/web/t.yaml": `${LABELS}---\n${FUNCTION_CONFIG}` },
    "apps/web/t.yaml",
    /document 2 \(kind Render\)/,
  ],
  [
    "a built-in PatchTransformer reading a URL",
    "transformers: [p.yaml]\n",
    {
      "apps/web/p.yaml":
        "apiVersion: builtin\nkind: PatchTransformer\nmetadata: {name: p}\npath: https://example.com/p.yaml\n",
    },
    "apps/web/p.yaml",
    /config\.path entry "https:\/\/example.com\/p.yaml" is a URL/,
  ],
  [
    "a built-in generator reading outside the folder",
    "generators: [g.yaml]\n",
    {
      "apps/web/g.yaml":
        "apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata: {name: g}\nfiles: [../secret.txt]\n",
    },
    "apps/web/g.yaml",
    /config\.files entry "..\/secret.txt" is outside/,
  ],
  [
    "a function in a folder of plugin configs",
    "transformers: [../../plugins]\n",
    { "plugins/kustomization.yaml": "resources: [fn.yaml]\n", "plugins/fn.yaml": FUNCTION_CONFIG },
    "plugins/fn.yaml",
    /KRM function/,
  ],
  [
    "a remote base two levels down",
    "resources: [../../bases/web]\n",
    {
      "bases/web/kustomization.yaml": "resources: [deployment.yaml, ../mid]\n",
      "bases/mid/kustomization.yaml": "resources: ['https://example.com/org/repo']\n",
    },
    "bases/mid/kustomization.yaml",
    /is a URL/,
  ],
  [
    "a symlink to an absolute path",
    "resources: [deployment.yaml]\n",
    { "apps/web/passwd": { link: "/etc/passwd" } },
    "apps/web/passwd",
    /symbolic link to the absolute path \/etc\/passwd/,
  ],
  [
    "a symlink leaving the repository",
    "resources: [deployment.yaml]\n",
    { "apps/web/up": { link: "../../../.." } },
    "apps/web/up",
    /symbolic link to ..\/..\/..\/.. leaves the repository/,
  ],
  [
    "an escaping symlink in a reached base",
    "resources: [../../bases/web]\n",
    { "bases/web/host": { link: "../../../etc" } },
    "bases/web/host",
    /leaves the repository/,
  ],
  [
    "an escaping symlink reached through another link",
    "resources: [deployment.yaml]\n",
    { "apps/web/shared": { link: "../../common" }, "common/out": { link: "/var/run" } },
    "common/out",
    /absolute path \/var\/run/,
  ],
  [
    "a loop of symlinks",
    "resources: [a]\n",
    { "apps/web/a": { link: "b" }, "apps/web/b": { link: "a" } },
    "apps/web/a",
    new RegExp(`more than ${MAX_LINK_HOPS} hops`),
  ],
  [
    "a submodule under the folder",
    "resources: [deployment.yaml]\n",
    { "apps/web/vendor": { submodule: true } },
    "apps/web/vendor",
    /is a Git submodule/,
  ],
  [
    "a submodule as a base",
    "resources: [../../vendor/web]\n",
    { "vendor/web": { submodule: true } },
    "vendor/web",
    /is a Git submodule/,
  ],
];

describe("kustomizeInputs refuses, before any build", () => {
  it.each(REFUSALS)("%s", async (_name, kustomization, more, file, words) => {
    const answer = refused(await kustomizeInputs(repo(kustomization, more), "apps/web"));
    expect(answer.code).toBe("DG_RENDER_REFUSED");
    expect(answer.file).toBe(file);
    expect(answer.message.startsWith(`${file}: `)).toBe(true);
    expect(answer.message).toMatch(words);
  });

  it("an app path outside the repository", async () => {
    for (const path of ["../elsewhere", "/srv/app"]) {
      expect(refused(await kustomizeInputs(repo("resources: []\n"), path)).message).toMatch(
        /not inside the repository/,
      );
    }
  });
});

// [case, kustomization of apps/web, more files, roots, files]
const ACCEPTED: [string, string, Record<string, MemoryEntry>, string[], string[]][] = [
  ["local files only", "resources: [deployment.yaml]\npatches:\n- path: patch.yaml\n", {}, ["apps/web"], []],
  ["a base", "resources: [../../bases/web, deployment.yaml]\n", {}, ["apps/web", "bases/web"], []],
  [
    "bases, components and nested duplicates",
    "bases: [../../bases/web]\nresources: [../../bases/web/sub]\ncomponents: [../../components/debug]\n",
    {
      "bases/web/sub/kustomization.yaml": "resources: []\n",
      "components/debug/kustomization.yaml": "kind: Component\n",
    },
    ["apps/web", "bases/web", "components/debug"],
    [],
  ],
  [
    "a base not in the tree (kustomize reports it)",
    "resources: [../../bases/gone]\n",
    {},
    ["apps/web", "bases/gone"],
    [],
  ],
  [
    "a cycle of bases",
    "resources: [../../bases/web]\n",
    { "bases/web/kustomization.yaml": "resources: [../../apps/web]\n" },
    ["apps/web", "bases/web"],
    [],
  ],
  [
    "built-in transformers, inline and from a file",
    "transformers:\n- labels.yaml\n- |\n  apiVersion: builtin\n  kind: NamespaceTransformer\n  metadata: {name: n, namespace: x}\n",
    {},
    ["apps/web"],
    [],
  ],
  [
    "inline strategic-merge patches",
    "patchesStrategicMerge:\n- |\n  apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: web}\n",
    {},
    ["apps/web"],
    [],
  ],
  [
    "a folder of built-in plugin configs",
    "transformers: [../../plugins]\n",
    { "plugins/kustomization.yaml": "resources: [labels.yaml]\n", "plugins/labels.yaml": LABELS },
    ["apps/web", "plugins"],
    [],
  ],
  [
    "a symlink to a folder elsewhere",
    "resources: [deployment.yaml]\n",
    { "apps/web/shared": { link: "../../common" }, "common/ns.yaml": "kind: Namespace\n" },
    ["apps/web", "common"],
    [],
  ],
  [
    "a symlink to a file elsewhere",
    "resources: [ns.yaml]\n",
    {
      "apps/web/ns.yaml": { link: "../../common/ns.yaml" },
      "common/ns.yaml": "kind: Namespace\n",
      "common/other.yaml": "x: 1\n",
    },
    ["apps/web"],
    ["common/ns.yaml"],
  ],
  [
    "a chain of links",
    "resources: [ns.yaml]\n",
    {
      "apps/web/ns.yaml": { link: "../hop.yaml" },
      "apps/hop.yaml": { link: "../common/ns.yaml" },
      "common/ns.yaml": "kind: Namespace\n",
    },
    ["apps/web"],
    ["apps/hop.yaml", "common/ns.yaml"],
  ],
  [
    "a base reached through a linked folder",
    "resources: [../../linked/web]\n",
    { linked: { link: "bases" } },
    ["apps/web", "bases/web"],
    ["linked"],
  ],
  [
    "a link to a target not in the tree",
    "resources: [deployment.yaml]\n",
    { "apps/web/later": { link: "../../later" } },
    ["apps/web", "later"],
    [],
  ],
  ["parse errors are kustomize's to report", "resources: [deployment.yaml\n", {}, ["apps/web"], []],
];

describe("kustomizeInputs collects what kustomize may read", () => {
  it.each(ACCEPTED)("%s", async (_name, kustomization, more, roots, files) => {
    const answer = readable(await kustomizeInputs(repo(kustomization, more), "apps/web"));
    expect(answer).toEqual({ ok: true, roots, files });
  });

  it("finds kustomization.yml and Kustomization, and takes any spelling of the app path", async () => {
    for (const name of ["kustomization.yml", "Kustomization"]) {
      const tree = memoryTree({
        [`apps/web/${name}`]: "resources: [../../bases/web]\n",
        "bases/web/a.yaml": "a: 1\n",
      });
      for (const path of ["apps/web", "./apps/web/", "apps//web"])
        expect(readable(await kustomizeInputs(tree, path)).roots).toEqual(["apps/web", "bases/web"]);
    }
  });

  it("an app at the top of the repository is the root `.`", async () => {
    const tree = memoryTree({
      "kustomization.yaml": "resources: [web]\n",
      "web/kustomization.yaml": "resources: []\n",
    });
    expect(readable(await kustomizeInputs(tree, "."))).toEqual({ ok: true, roots: ["."], files: [] });
  });

  it("reads each kustomization once, nothing it does not reach, and no content twice", async () => {
    const unique = `# ${process.pid}-${Date.now()}\n`; // content no other test has parsed
    const files = {
      "apps/web/kustomization.yaml": `${unique}resources: [../../bases/web, ../../bases/web]\n`,
      "bases/web/kustomization.yaml": `${unique}resources: [x.yaml]\n`,
      "bases/web/x.yaml": DEPLOYMENT,
      "unrelated/kustomization.yaml": unique,
    };
    const first = memoryTree(files);
    const answer = readable(await kustomizeInputs(first, "apps/web"));
    expect([...first.reads].sort()).toEqual(["apps/web/kustomization.yaml", "bases/web/kustomization.yaml"]);
    // The next commit, or another app, with the same blobs: the same answer without reading them again.
    const next = memoryTree(files);
    expect(await kustomizeInputs(next, "apps/web")).toEqual(answer);
    expect(next.reads).toEqual([]);
    // A refusal is remembered the same way, and still names its file.
    const remote = {
      ...files,
      "bases/web/kustomization.yaml": `${unique}resources: [https://example.com/x]\n`,
    };
    for (const tree of [memoryTree(remote), memoryTree(remote)])
      expect(refused(await kustomizeInputs(tree, "apps/web")).file).toBe("bases/web/kustomization.yaml");
  });
});
