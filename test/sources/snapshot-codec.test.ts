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
