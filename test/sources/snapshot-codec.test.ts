import { describe, expect, test } from "vitest";
import type { FileNotices } from "../../src/sources/revision-builder.js";
import { decodeSnapshot, encodeSnapshot, type SnapshotIdentity } from "../../src/sources/snapshot-codec.js";
import type { FileState, Notice, SourceRevision } from "../../src/sources/types.js";

const identity: SnapshotIdentity = { source: "demo", fingerprint: "abc", parserVersion: 1 };

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

  const broken: Array<[string, (json: Record<string, unknown>) => unknown, RegExp]> = [
    ["another source", (j) => ({ ...j, source: "other" }), /another source/],
    ["another configuration", (j) => ({ ...j, fingerprint: "zzz" }), /another fingerprint/],
    ["another parser", (j) => ({ ...j, parserVersion: 0 }), /another parser/],
    ["an unknown format", (j) => ({ ...j, format: "v0" }), /unknown format/],
    ["files not a list", (j) => ({ ...j, files: {} }), /files is not a list/],
    [
      "a doc without object",
      (j) => ({ ...j, files: [{ file: "f", blob: "b", goodCommit: "", notices: [], docs: [{}] }] }),
      /is not/,
    ],
    ["a missing commit", ({ commit: _, ...j }) => j, /commit/],
  ];
  test.each(broken)("refuses %s", (_, change, reason) => {
    const { revision, notices } = sample();
    const json = JSON.parse(encodeSnapshot(identity, revision, notices)) as Record<string, unknown>;
    expect(() => decodeSnapshot(identity, JSON.stringify(change(json)), new WeakMap())).toThrow(reason);
  });

  test("refuses a truncated file", () => {
    const { revision, notices } = sample();
    const text = encodeSnapshot(identity, revision, notices);
    expect(() => decodeSnapshot(identity, text.slice(0, text.length / 2), new WeakMap())).toThrow(/not JSON/);
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
    expect(JSON.parse(text).history).toBeUndefined();
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
    const json = JSON.parse(encodeSnapshot(identity, revision, notices, history("c1"))) as Record<
      string,
      unknown
    >;
    expect(() => decodeSnapshot(identity, JSON.stringify(change(json)), new WeakMap())).toThrow(reason);
  });
});
