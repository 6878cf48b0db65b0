import { describe, expect, test } from "vitest";
import type { FileNotices } from "../../src/sources/revision-builder.js";
import {
  decodeSnapshot,
  encodeSnapshot,
  encodeSnapshotLines,
  type SnapshotIdentity,
} from "../../src/sources/snapshot-codec.js";
import type { FileState, Notice, SourceRevision } from "../../src/sources/types.js";

const identity: SnapshotIdentity = { source: "demo", fingerprint: "abc", parserVersion: 1 };

type Json = Record<string, unknown>;
/** The snapshot's lines as JSON: the header, then one object per file. */
const linesOf = (text: string) =>
  text
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line) as Json);
const textOf = (lines: readonly unknown[]) => lines.map((line) => `${JSON.stringify(line)}\n`).join("");
/** The snapshot with its header changed. */
const withHeader = (text: string, change: (header: Json) => unknown) => {
  const [header, ...files] = linesOf(text);
  return textOf([change(header ?? {}), ...files]);
};

function sample(): { revision: SourceRevision; notices: FileNotices } {
  const notices: FileNotices = new WeakMap();
  const web: FileState = {
    file: "apps/web.yaml",
    blob: "b1",
    goodCommit: "c0",
    docs: [
      {
        namespace: "shop",
        name: "web",
        file: "apps/web.yaml",
        docIndex: "0.1",
        object: { kind: "Deployment", n: [1, null] },
      },
    ],
    error: { file: "apps/web.yaml", line: 3, message: "bad" },
  };
  const api: FileState = { file: "apps/api.yaml", blob: "b2", goodCommit: "", docs: [] };
  const fileNotice: Notice = {
    file: "apps/api.yaml",
    message: "document 0 has no apiVersion or kind; skipped",
  };
  const treeNotice: Notice = { file: "apps/base/kustomization.yaml", message: "skipped" };
  notices.set(web, []);
  notices.set(api, [fileNotice]);
  const files = new Map([
    [web.file, web],
    [api.file, api],
  ]);
  return {
    revision: { source: "demo", commit: "c1", fetchedAt: 42, files, notices: [treeNotice, fileNotice] },
    notices,
  };
}

describe("snapshot codec", () => {
  test("a decoded snapshot equals what was encoded, notices per file included", () => {
    const { revision, notices } = sample();
    const restoredNotices: FileNotices = new WeakMap();
    const decoded = decodeSnapshot(identity, encodeSnapshot(identity, revision, notices), restoredNotices);
    const restored = decoded.revision;
    expect(restored).toEqual(revision);
    expect(decoded.history).toBeUndefined();
    const api = restored.files.get("apps/api.yaml");
    expect(api && restoredNotices.get(api)).toEqual([revision.notices[1]]);
  });

  test("a rendered app's state round-trips: its type, unstable fields, origins and paths not compared", () => {
    const { revision, notices } = sample();
    const app: FileState = {
      file: "overlays/prod",
      blob: "f".repeat(64),
      goodCommit: "c0",
      docs: [
        {
          namespace: "prod",
          name: "web",
          file: "overlays/prod",
          docIndex: "2",
          object: { kind: "Deployment" },
          renderedFrom: "base/web/deployment.yaml",
          notCompared: [["metadata", "annotations", "config.kubernetes.io/origin"]],
        },
      ],
      error: { file: "overlays/prod", message: "kustomize app: kustomize failed" },
      app: { type: "kustomize", unstable: ['prod/web: metadata.annotations["x"]'], transient: true },
    };
    notices.set(app, []);
    const files = new Map([...revision.files, [app.file, app]]);
    const withApp = { ...revision, files };
    const decoded = decodeSnapshot(identity, encodeSnapshot(identity, withApp, notices), new WeakMap());
    expect(decoded.revision.files.get("overlays/prod")).toEqual(app);
  });

  const broken: Array<[string, (json: Json) => unknown, RegExp]> = [
    ["another source", (j) => ({ ...j, source: "other" }), /another source/],
    ["another configuration", (j) => ({ ...j, fingerprint: "zzz" }), /another fingerprint/],
    ["another parser", (j) => ({ ...j, parserVersion: 0 }), /another parser/],
    ["an unknown format", (j) => ({ ...j, format: "v0" }), /unknown format/],
    ["a file count that is no number", (j) => ({ ...j, files: {} }), /files is not a number/],
    ["a missing commit", ({ commit: _, ...j }) => j, /commit/],
  ];
  test.each(broken)("refuses %s", (_, change, reason) => {
    const { revision, notices } = sample();
    const text = withHeader(encodeSnapshot(identity, revision, notices), change);
    expect(() => decodeSnapshot(identity, text, new WeakMap())).toThrow(reason);
  });

  test("refuses a file line that is not one, a doc without object, a file twice, lines beyond the count", () => {
    const { revision, notices } = sample();
    const [header, web, api] = linesOf(encodeSnapshot(identity, revision, notices));
    const bad = { file: "f", blob: "b", goodCommit: "", notices: [], docs: [{}] };
    expect(() => decodeSnapshot(identity, textOf([header, web, "x"]), new WeakMap())).toThrow(/file is not/);
    expect(() => decodeSnapshot(identity, textOf([header, web, bad]), new WeakMap())).toThrow(/is not/);
    const extra = textOf([header, web, api, api]);
    expect(() => decodeSnapshot(identity, extra, new WeakMap())).toThrow(/more than the 2 files/);
    const twice = textOf([header, web, web]);
    expect(() => decodeSnapshot(identity, twice, new WeakMap())).toThrow(/apps\/web.yaml appears twice/);
  });

  test("refuses a truncated file: cut inside a line, or after a whole line", () => {
    const { revision, notices } = sample();
    const text = encodeSnapshot(identity, revision, notices);
    expect(() => decodeSnapshot(identity, text.slice(0, text.length - 10), new WeakMap())).toThrow(
      /not JSON/,
    );
    const lines = text.split("\n");
    const cut = `${lines.slice(0, 2).join("\n")}\n`;
    expect(() => decodeSnapshot(identity, cut, new WeakMap())).toThrow(/truncated: 1 of 2 files/);
    expect(() => decodeSnapshot(identity, "", new WeakMap())).toThrow(/empty/);
  });

  test("writes one line per file, so that neither side ever holds the snapshot as one string", () => {
    const { revision, notices } = sample();
    const lines = [...encodeSnapshotLines(identity, revision, notices)];
    expect(lines).toHaveLength(1 + revision.files.size);
    expect(lines.every((line) => line.endsWith("\n") && line.indexOf("\n") === line.length - 1)).toBe(true);
  });

  test("still reads a v2 snapshot (one JSON document) written by an earlier release", () => {
    const { revision, notices } = sample();
    const [header, ...files] = linesOf(encodeSnapshot(identity, revision, notices));
    const v2 = JSON.stringify({ ...header, format: "driftguard.io/source-snapshot/v2", files });
    const restored = decodeSnapshot(identity, v2, new WeakMap()).revision;
    expect([...restored.files.keys()]).toEqual([...revision.files.keys()]);
    expect(restored.files.get("apps/web.yaml")?.docs).toEqual(revision.files.get("apps/web.yaml")?.docs);
  });
});

describe("snapshot codec: history (v2)", () => {
  const version = (commit: string, name: string) => ({
    commit,
    docs: [{ namespace: "shop", name, file: "apps/web.yaml", docIndex: "0", object: { kind: "Deployment" } }],
  });
  const history = (head: string, name = "web") => ({
    head,
    objects: new Map([["shop/web", [version("c1", name), { commit: "c0", docs: [] }]]]),
  });

  test("the history read for the served commit round-trips", () => {
    const { revision, notices } = sample();
    const decoded = decodeSnapshot(
      identity,
      encodeSnapshot(identity, revision, notices, history("c1")),
      new WeakMap(),
    );
    expect(decoded.history).toEqual(history("c1"));
  });

  test("a history read for another commit is not written", () => {
    const { revision, notices } = sample();
    const text = encodeSnapshot(identity, revision, notices, history("c9"));
    expect(linesOf(text)[0]?.history).toBeUndefined();
    expect(decodeSnapshot(identity, text, new WeakMap()).history).toBeUndefined();
  });

  test.each([
    [
      "another commit's history",
      (j: Record<string, unknown>) => ({ ...j, history: { head: "c9", objects: [] } }),
      /another commit/,
    ],
    [
      "objects not a list",
      (j: Record<string, unknown>) => ({ ...j, history: { head: "c1", objects: {} } }),
      /not a list/,
    ],
    [
      "a version of another object",
      (j: Record<string, unknown>) => {
        const past = j.history as { objects: Array<{ versions: Array<{ docs: Array<{ name: string }> }> }> };
        const doc = past.objects[0]?.versions[0]?.docs[0];
        if (doc) doc.name = "api";
        return j;
      },
      /names another object/,
    ],
  ])("refuses %s", (_, change, reason) => {
    const { revision, notices } = sample();
    const text = withHeader(encodeSnapshot(identity, revision, notices, history("c1")), change);
    expect(() => decodeSnapshot(identity, text, new WeakMap())).toThrow(reason);
  });
});
