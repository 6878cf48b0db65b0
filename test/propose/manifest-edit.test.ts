// A plain manifest edited in place: after the edit, Git says what the request asked (zero drift through
// the webhook's own normalizer and diff), and only the changed nodes' bytes moved.

import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { prepareDesired } from "../../src/core/desired.js";
import { diff } from "../../src/core/diff.js";
import { normalize } from "../../src/core/normalize.js";
import type { JsonObject } from "../../src/core/types.js";
import { DriftguardError } from "../../src/errors.js";
import { requestedDrifts } from "../../src/propose/from-review.js";
import { editManifest } from "../../src/propose/manifest-edit.js";
import { CORPUS_DIR, CORPUS_SKIP_REASON, corpusDeployments, corpusPresent } from "../support/corpus.js";
import { testPolicy } from "../support/policy.js";
import { clone } from "../support/reviews.js";

const ORIGIN = { source: "apps", commit: "c".repeat(40), file: "apps/web.yaml" };
const KEY = { namespace: "shop", name: "web" };

const FILE = `# The shop's web front end.
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config, namespace: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web        # keep this comment
  namespace: shop
  labels:
    app: web
    tier: 'front'
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: "nginx:1.25"   # pinned
        args: [--port, "8080"]
        env:
        - name: MODE
          value: prod
        - name: LEVEL
          value: "3"
        resources:
          limits: {cpu: 500m, memory: 256Mi}
        ports:
        - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
`;

function gitObject(text: string): JsonObject {
  const doc = parseAllDocuments(text, { version: "1.1" }).find(
    (d) => (d.toJS() as JsonObject)?.kind === "Deployment",
  );
  return doc?.toJS() as JsonObject;
}

/** Proposes `requested` against `text`; asserts zero drift after the edit; returns the new text. */
function propose(text: string, requested: JsonObject, key = KEY, defaultNamespace = "shop"): string {
  const desired = prepareDesired(gitObject(text), key, ORIGIN, testPolicy());
  const drifts = requestedDrifts(requested, desired);
  const edited = editManifest(text, { key, defaultNamespace, file: ORIGIN.file }, drifts, desired.options);
  const after = prepareDesired(gitObject(edited), key, ORIGIN, testPolicy());
  const left = diff(after.normalized, normalize(requested, after.options).object, after.lenient);
  expect(left).toEqual([]);
  return edited;
}

/** The Git object changed by `change`, as a request would carry it. */
function requestOf(change: (object: JsonObject) => void): JsonObject {
  const object = clone(gitObject(FILE));
  change(object);
  return object;
}

const pod = (o: JsonObject) => ((o.spec as JsonObject).template as JsonObject).spec as JsonObject;
const web = (o: JsonObject) => (pod(o).containers as JsonObject[])[0] as JsonObject;

const CASES: Array<{ name: string; change: (o: JsonObject) => void; before: string[]; after: string[] }> = [
  {
    name: "set image (double quotes and the comment kept)",
    change: (o) => void (web(o).image = "nginx:1.27"),
    before: ['        image: "nginx:1.25"   # pinned'],
    after: ['        image: "nginx:1.27"   # pinned'],
  },
  {
    name: "set replicas",
    change: (o) => void ((o.spec as JsonObject).replicas = 5),
    before: ["  replicas: 2"],
    after: ["  replicas: 5"],
  },
  {
    name: "set a label (single quotes kept)",
    change: (o) => void (((o.metadata as JsonObject).labels as JsonObject).tier = "edge"),
    before: ["    tier: 'front'"],
    after: ["    tier: 'edge'"],
  },
  {
    name: "set an env value",
    change: (o) => void (((web(o).env as JsonObject[])[0] as JsonObject).value = "debug"),
    before: ["          value: prod"],
    after: ["          value: debug"],
  },
  {
    name: "add an env variable at the end of the list",
    change: (o) => void (web(o).env as JsonObject[]).push({ name: "NEW", value: "1" }),
    before: [],
    after: ["        - name: NEW", '          value: "1"'],
  },
  {
    name: "remove an env variable",
    change: (o) => void (web(o).env = (web(o).env as JsonObject[]).slice(0, 1)),
    before: ["        - name: LEVEL", '          value: "3"'],
    after: [],
  },
  {
    name: "change resources in a flow map",
    change: (o) => void (web(o).resources = { limits: { cpu: "1", memory: "256Mi" } }),
    before: ["          limits: {cpu: 500m, memory: 256Mi}"],
    after: ['          limits: {cpu: "1", memory: 256Mi}'],
  },
  {
    name: "add resource requests",
    change: (o) => void ((web(o).resources as JsonObject).requests = { cpu: "100m" }),
    before: [],
    after: ["          requests:", "            cpu: 100m"],
  },
  {
    name: "add an annotation where there are none",
    change: (o) => void ((o.metadata as JsonObject).annotations = { "example.com/owner": "team-a" }),
    before: [],
    after: ["  annotations:", "    example.com/owner: team-a"],
  },
  {
    name: "change args (a flow list)",
    change: (o) => void (web(o).args = ["--port", "9090"]),
    before: ['        args: [--port, "8080"]'],
    after: ['        args: [ --port, "9090" ]'],
  },
  {
    name: "add a container",
    change: (o) => void (pod(o).containers as JsonObject[]).push({ name: "sidecar", image: "envoy:1" }),
    before: [],
    after: ["      - name: sidecar", "        image: envoy:1"],
  },
  {
    name: "remove a label",
    change: (o) => void delete ((o.metadata as JsonObject).labels as JsonObject).tier,
    before: ["    tier: 'front'"],
    after: [],
  },
];

/** Lines only in `a`, in order (a line-level difference good enough for these small edits). */
function onlyIn(a: string, b: string): string[] {
  const other = b.split("\n");
  return a.split("\n").filter((line) => !other.includes(line));
}

describe("editManifest: typical edits", () => {
  it.each(CASES)("$name", ({ change, before, after }) => {
    const edited = propose(FILE, requestOf(change));
    expect(onlyIn(FILE, edited)).toEqual(before);
    expect(onlyIn(edited, FILE)).toEqual(after);
    // Every other document is untouched, byte for byte.
    expect(edited.startsWith(FILE.slice(0, FILE.indexOf("---\napiVersion: apps/v1")))).toBe(true);
    expect(edited.endsWith(FILE.slice(FILE.lastIndexOf("---")))).toBe(true);
  });

  it("reorders env (order matters for $(VAR) expansion): each element moves with its lines", () => {
    const edited = propose(
      FILE,
      requestOf((o) => {
        web(o).env = [...(web(o).env as JsonObject[])].reverse();
      }),
    );
    const expected = FILE.replace(
      '        - name: MODE\n          value: prod\n        - name: LEVEL\n          value: "3"\n',
      '        - name: LEVEL\n          value: "3"\n        - name: MODE\n          value: prod\n',
    );
    expect(expected).not.toBe(FILE);
    expect(edited).toBe(expected);
  });

  it("a reorder with an added element: the new one at the end, the others in the asked order", () => {
    const edited = propose(
      FILE,
      requestOf((o) => {
        const env = web(o).env as JsonObject[];
        web(o).env = [env[1] as JsonObject, env[0] as JsonObject, { name: "NEW", value: "x" }];
      }),
    );
    const names = [...edited.matchAll(/- name: (MODE|LEVEL|NEW)/g)].map((m) => m[1]);
    expect(names).toEqual(["LEVEL", "MODE", "NEW"]);
  });

  it("anchors stay: a key only a merge (<<: *anchor) brings is overridden locally, the anchor untouched", () => {
    const anchored = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: &common
    app: web
    team: shop
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels:
        <<: *common
    spec:
      containers:
      - name: web
        image: nginx
`;
    const requested = clone(gitObject(anchored));
    (((requested.spec as JsonObject).template as JsonObject).metadata as JsonObject).labels = {
      app: "web",
      team: "ops",
    };
    const edited = propose(anchored, requested);
    expect(edited).toBe(
      anchored.replace("        <<: *common\n", "        <<: *common\n        team: ops\n"),
    );
  });

  it("several edits at once land in one file", () => {
    const requested = requestOf((o) => {
      web(o).image = "nginx:2";
      (o.spec as JsonObject).replicas = 3;
      (web(o).env as JsonObject[]).push({ name: "B", value: "b" });
      ((o.metadata as JsonObject).labels as JsonObject).team = "shop";
    });
    const edited = propose(FILE, requested);
    expect(onlyIn(edited, FILE).sort()).toEqual(
      [
        '        image: "nginx:2"   # pinned',
        "        - name: B",
        "          value: b",
        "    team: shop",
        "  replicas: 3",
      ].sort(),
    );
  });

  it("a value equal to Git's in canonical form is never rewritten (0.5 CPU is 500m)", () => {
    const requested = requestOf((o) => {
      web(o).resources = { limits: { cpu: "0.5", memory: "256Mi" } };
      web(o).image = "nginx:9";
    });
    const edited = propose(FILE, requested);
    expect(edited).toContain("limits: {cpu: 500m, memory: 256Mi}");
  });

  it("a masked value is refused with DG_PROPOSE_VALUE_MASKED; a missing object with DG_PROPOSE_NO_MANIFEST", () => {
    const desired = prepareDesired(gitObject(FILE), KEY, ORIGIN, testPolicy());
    const target = { key: KEY, defaultNamespace: "shop", file: ORIGIN.file };
    const masked = [
      { path: "x", segments: ["spec", "x"], change: "changed" as const, requested: "<masked>" },
    ];
    expect(() => editManifest(FILE, target, masked, desired.options)).toThrow(
      expect.objectContaining({ code: "DG_PROPOSE_VALUE_MASKED" }),
    );
    const other = { ...target, key: { namespace: "shop", name: "api" } };
    expect(() => editManifest(FILE, other, [], desired.options)).toThrow(DriftguardError);
    expect(() => editManifest(FILE, other, [], desired.options)).toThrow(/no Deployment shop\/api/);
  });
});

describe.skipIf(!corpusPresent)(`editManifest over the corpus (${CORPUS_DIR})`, () => {
  it("proposing each object's own state changes no byte", async () => {
    const { readFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const all = corpusDeployments();
    expect(all.length).toBeGreaterThan(0);
    for (const item of all) {
      const text = readFileSync(join(CORPUS_DIR, item.file), "utf8");
      const key = { namespace: item.namespace, name: item.name };
      const desired = prepareDesired(item.manifest as JsonObject, key, ORIGIN, testPolicy());
      const drifts = requestedDrifts(item.manifest as JsonObject, desired);
      expect(drifts, item.file).toEqual([]);
      const target = { key, defaultNamespace: item.namespace, file: item.file };
      const same = (() => {
        try {
          return editManifest(text, target, drifts, desired.options);
        } catch (error) {
          // A Deployment inside a List is not a document of its own: refused, never edited wrongly.
          if ((error as DriftguardError).code === "DG_PROPOSE_NO_MANIFEST") return text;
          throw error;
        }
      })();
      expect(same === text, item.file).toBe(true);
    }
  });
});
describe.skipIf(!corpusPresent)("editManifest over the corpus: an image change", () => {
  it("each object's first image changed: Git then says so, and exactly one line of the file moved", async () => {
    const { readFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { readYamlDocuments } = await import("../../src/sources/yaml-reader.js");
    let edited = 0;
    for (const item of corpusDeployments()) {
      const text = readFileSync(join(CORPUS_DIR, item.file), "utf8");
      // Files the source would refuse (duplicate keys, say) are never edited: the sync never serves them.
      if (!readYamlDocuments(text).ok) continue;
      const key = { namespace: item.namespace, name: item.name };
      const requested = clone(item.manifest as JsonObject);
      const first = (pod(requested).containers as JsonObject[] | undefined)?.[0];
      if (!first || typeof first.image !== "string") continue;
      first.image = `${first.image}-proposed`;
      const desired = prepareDesired(item.manifest as JsonObject, key, ORIGIN, testPolicy());
      const drifts = requestedDrifts(requested, desired);
      const target = { key, defaultNamespace: item.namespace, file: item.file };
      let after: string;
      try {
        after = editManifest(text, target, drifts, desired.options);
      } catch (error) {
        if ((error as DriftguardError).code === "DG_PROPOSE_NO_MANIFEST") continue;
        throw new Error(`${item.file}: ${(error as Error).message}`);
      }
      const lines = [text.split("\n"), after.split("\n")];
      expect(lines[1]?.length, item.file).toBe(lines[0]?.length);
      const moved = (lines[0] ?? []).filter((line, i) => line !== lines[1]?.[i]);
      expect(moved.length, item.file).toBe(1);
      edited += 1;
    }
    expect(edited).toBeGreaterThan(0);
  });
});
if (!corpusPresent) console.log(CORPUS_SKIP_REASON);
