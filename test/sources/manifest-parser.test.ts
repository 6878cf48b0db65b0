import { describe, expect, test } from "vitest";
import { MAX_FILE_BYTES, parseManifestFile } from "../../src/sources/manifest-parser.js";
import { readYamlDocuments } from "../../src/sources/yaml-reader.js";

const deployment = (name: string, extra = "") => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers: [{name: main, image: nginx}]${extra}
`;

interface Case {
  name: string;
  file?: string;
  text: string;
  /** Expected `namespace/name@docIndex` of each doc. */
  docs?: string[];
  notices?: RegExp[];
  error?: { line?: number; message: RegExp };
}

const cases: Case[] = [
  { name: "one Deployment, default namespace", text: deployment("web"), docs: ["default/web@0"] },
  {
    name: "metadata.namespace wins over the default",
    text: deployment("web").replace("  name: web", "  name: web\n  namespace: shop"),
    docs: ["shop/web@0"],
  },
  {
    name: "an empty metadata.namespace means the default",
    text: deployment("web").replace("  name: web", '  name: web\n  namespace: ""'),
    docs: ["default/web@0"],
  },
  {
    name: "multi-document, comments-only and empty documents skipped silently",
    text: `# header\n---\n${deployment("a")}---\n# only a comment\n---\n${deployment("b")}---\n`,
    // The header comment belongs to the first document (YAML puts comments before `---` there).
    docs: ["default/a@0", "default/b@2"],
  },
  {
    name: "kind: List is expanded with dotted indexes",
    text: `apiVersion: v1\nkind: List\nitems:\n  - ${deployment("a").replaceAll("\n", "\n    ")}\n  - apiVersion: v1\n    kind: Service\n    metadata: {name: s}\n  - ${deployment("b").replaceAll("\n", "\n    ")}`,
    docs: ["default/a@0.0", "default/b@0.2"],
  },
  {
    name: "a JSON file is read as YAML",
    file: "web.json",
    text: JSON.stringify({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "shop" },
      spec: {
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: { containers: [{ name: "web", image: "nginx" }] },
        },
      },
    }),
    docs: ["shop/web@0"],
  },
  {
    name: "other kinds are ignored without a notice",
    text: "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n",
    docs: [],
  },
  {
    name: "a document without apiVersion/kind gives a notice",
    text: `foo: bar\n---\n${deployment("web")}`,
    docs: ["default/web@1"],
    notices: [/document 0 has no apiVersion or kind/],
  },
  {
    name: "a Deployment of another apiVersion gives a notice",
    text: deployment("old").replace("apps/v1", "extensions/v1beta1"),
    docs: [],
    notices: [/extensions\/v1beta1, not apps\/v1/],
  },
  {
    name: "a patch without spec.template is skipped with a notice",
    text: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 3\n",
    docs: [],
    notices: [/patch \(no spec.template\)/],
  },
  {
    name: "a patch with $patch is skipped with a notice",
    text: deployment("web", "\n  $patch: replace"),
    docs: [],
    notices: [/patch \(has a \$patch key\)/],
  },
  {
    name: "a nested strategic-merge directive marks a patch too",
    text: deployment("web").replace(
      "containers: [{name: main, image: nginx}]",
      "$setElementOrder/containers: [{name: main}]",
    ),
    docs: [],
    notices: [/\$setElementOrder\/containers/],
  },
  {
    name: "a syntax error names its 1-based line",
    text: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web: x\n",
    error: { line: 4, message: /^Nested mappings are not allowed in compact mappings$/ },
  },
  {
    name: "an error found at the end of the file names its last line",
    text: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: [web\n",
    error: { line: 4, message: /flow sequence/i },
  },
  {
    name: "duplicate keys are an error",
    text: "apiVersion: apps/v1\nkind: Deployment\nkind: Service\n",
    error: { line: 3, message: /unique/i },
  },
  {
    name: "a scalar document is an error",
    text: `${deployment("a")}---\njust text\n`,
    error: { line: 12, message: /document 1 is not an object/ },
  },
  { name: "a list document is an error", text: "- a\n- b\n", error: { line: 1, message: /not an object/ } },
  {
    name: "a Deployment without metadata.name is an error",
    text: deployment("web").replace("  name: web", "  generateName: web-"),
    error: { line: 1, message: /no metadata.name/ },
  },
  {
    name: "a Deployment the API server would refuse is an error, at the line of the field",
    text: deployment("web").replace("spec:\n", 'spec:\n  replicas: "3"\n'),
    error: {
      line: 6,
      message:
        /^document 0: Deployment web would be refused by the API server: spec\.replicas: must be integer \(got string "3"\)$/,
    },
  },
  {
    name: "an unknown field of a container names the container and its line",
    text: deployment("web").replace(
      "[{name: main, image: nginx}]",
      "\n        - name: main\n          image: nginx\n          imagePolicy: Always",
    ),
    error: {
      line: 13,
      message: /spec\.template\.spec\.containers\[name=main\]\.imagePolicy: unknown field$/,
    },
  },
  {
    name: "a missing required field gives the line of its parent",
    text: deployment("web").replace("  selector: {matchLabels: {app: web}}\n", ""),
    error: { line: 5, message: /spec\.selector: is required$/ },
  },
  {
    name: "the second document's problem is found in the second document",
    text: `${deployment("a")}---\n${deployment("b", '\n      hostNetwork: "yes"')}`,
    error: { line: 22, message: /^document 1: Deployment b would be refused.*hostNetwork: must be boolean/ },
  },
  {
    name: "a List item's problem is found inside the List",
    text: `apiVersion: v1\nkind: List\nitems:\n  - ${deployment("a", "\n  paused: 1").replaceAll("\n", "\n    ")}`,
    error: { line: 14, message: /^document 0\.0: .*spec\.paused: must be boolean \(got number 1\)$/ },
  },
  {
    name: "many problems are counted after the first five",
    text: deployment("web", "\n  a: 1\n  b: 1\n  c: 1\n  d: 1\n  e: 1\n  f: 1\n  g: 1"),
    error: { message: /spec\.a: unknown field; .*spec\.e: unknown field; and 2 more$/ },
  },
  {
    name: "an alias bomb is an error",
    text: `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n`,
    error: { message: /alias/i },
  },
  {
    name: "a NaN cannot be sent as JSON",
    text: deployment("web", "\n  x: .nan"),
    error: { message: /spec.x is not a JSON value/ },
  },
  {
    name: "an explicit !!binary cannot be sent as JSON",
    text: deployment("web", "\n  x: !!binary aGk="),
    error: { message: /not a JSON value/ },
  },
];

describe("parseManifestFile", () => {
  test.each(cases)("$name", ({ file = "apps/web.yaml", text, docs, notices = [], error }) => {
    const result = parseManifestFile(file, text, "default");
    if (error !== undefined) {
      expect(result.docs).toEqual([]);
      expect(result.error?.file).toBe(file);
      expect(result.error?.message).toMatch(error.message);
      if (error.line !== undefined) expect(result.error?.line).toBe(error.line);
      return;
    }
    expect(result.error).toBeUndefined();
    expect(result.docs.map((d) => `${d.namespace}/${d.name}@${d.docIndex}`)).toEqual(docs);
    expect(result.docs.every((d) => d.file === file)).toBe(true);
    expect(result.notices).toHaveLength(notices.length);
    for (const [i, pattern] of notices.entries()) expect(result.notices[i]?.message).toMatch(pattern);
  });

  test("refuses a file over 4 MiB without parsing it", () => {
    const result = parseManifestFile("big.yaml", `a: "${"x".repeat(MAX_FILE_BYTES)}"`, "default");
    expect(result.error?.message).toMatch(/file too large/);
  });
});

describe("YAML 1.1 values as kubectl reads them", () => {
  // Read by the YAML reader alone: no Deployment field takes a value of any type.
  const parseValue = (yaml: string) => {
    const result = readYamlDocuments(`value: ${yaml}\n`);
    if (!result.ok) throw new Error(result.message);
    return (result.docs[0]?.value as { value?: unknown } | undefined)?.value;
  };

  test.each([
    ["0400", 256],
    ["0o17", 15],
    ["0x1F", 31],
    ["0b101", 5],
    ["1_000", 1000],
    ["-0400", -256],
    ["yes", true],
    ["No", false],
    ["on", true],
    ["OFF", false],
    ["y", true],
    ["n", false],
    ["~", null],
    ["1.5e3", 1500],
    ['"0400"', "0400"],
    ["12:30", "12:30"],
    ["2024-01-02", "2024-01-02"],
    ["2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"],
  ])("%s → %j", (yaml, expected) => {
    expect(parseValue(yaml)).toEqual(expected);
  });

  test("merge keys are applied", () => {
    const labels = '\n  labels:\n    <<: {a: "1", b: "2"}\n    b: "3"';
    const text = `base: &base {a: 1, b: 2}\n---\n${deployment("web").replace("  name: web", `  name: web${labels}`)}`;
    const metadata = parseManifestFile("m.yaml", text, "default").docs[0]?.object.metadata;
    expect(metadata).toMatchObject({ labels: { a: "1", b: "3" } });
  });

  test("a byte order mark is ignored", () => {
    expect(parseManifestFile("bom.yaml", `\uFEFF${deployment("web")}`, "default").docs).toHaveLength(1);
  });
});

test("an error at the end of a file without a final newline names its last line", () => {
  const result = parseManifestFile("x.yaml", "a: 1\nb: [2", "default");
  expect(result.error?.line).toBe(2);
});
