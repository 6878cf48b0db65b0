// The on-disk form of a served revision and the history read for it. Pure. Decoding trusts nothing: a
// snapshot file may be truncated, hand-edited, or written by another version or configuration.
import type { JsonObject } from "../core/types.js";
import type { StoredHistory } from "./object-history.js";
import type { FileNotices } from "./revision-builder.js";
import { array, invalid, number, object, parseJson, string } from "./snapshot-fields.js";
import { decodeHistory, encodeHistory } from "./snapshot-history.js";
import type { FileState, ManifestDoc, Notice, ParseError, SourceRevision } from "./types.js";

// v2 adds `history`. v1 (no history) is still read: the revision serves, the history is read again.
const FORMAT = "driftguard.io/source-snapshot/v2";
const READABLE = new Set(["driftguard.io/source-snapshot/v1", FORMAT]);

/** What a snapshot must match to be served: same source, same configuration, same parser. */
export interface SnapshotIdentity {
  source: string;
  /** Hash of the configuration that shapes the docs (redacted URL, ref, paths, namespace). */
  fingerprint: string;
  parserVersion: number;
}

export interface DecodedSnapshot {
  revision: SourceRevision;
  history: StoredHistory | undefined;
}

export function encodeSnapshot(
  identity: SnapshotIdentity,
  revision: SourceRevision,
  notices: FileNotices,
  history?: StoredHistory,
): string {
  const fileNotices = new Set<Notice>();
  const files = [...revision.files.values()].map((state) => {
    const own = notices.get(state) ?? [];
    for (const notice of own) fileNotices.add(notice);
    const docs = state.docs.map(({ namespace, name, docIndex, object }) => ({
      namespace,
      name,
      docIndex,
      object,
    }));
    return {
      file: state.file,
      blob: state.blob,
      goodCommit: state.goodCommit,
      docs,
      error: state.error,
      notices: own,
    };
  });
  const treeNotices = revision.notices.filter((notice) => !fileNotices.has(notice));
  const { commit, fetchedAt } = revision;
  const past = encodeHistory(history, commit);
  return JSON.stringify({
    format: FORMAT,
    ...identity,
    commit,
    fetchedAt,
    treeNotices,
    files,
    history: past,
  });
}

/** Throws a SourceError (SNAPSHOT_INVALID) saying what is wrong. Fills `notices` for the states it makes. */
export function decodeSnapshot(
  identity: SnapshotIdentity,
  text: string,
  notices: FileNotices,
): DecodedSnapshot {
  const data = object(parseJson(text), "snapshot");
  if (typeof data.format !== "string" || !READABLE.has(data.format))
    invalid(`unknown format ${JSON.stringify(data.format)}`);
  for (const key of ["source", "fingerprint", "parserVersion"] as const) {
    if (data[key] !== identity[key]) invalid(`made for another ${key === "parserVersion" ? "parser" : key}`);
  }
  const files = new Map<string, FileState>();
  const fileNotices: Notice[] = [];
  for (const raw of array(data.files, "files")) {
    const { state, own } = decodeFile(object(raw, "file"));
    files.set(state.file, state);
    notices.set(state, own);
    fileNotices.push(...own);
  }
  const commit = string(data.commit, "commit");
  const revision: SourceRevision = Object.freeze({
    source: identity.source,
    commit,
    fetchedAt: number(data.fetchedAt, "fetchedAt"),
    files,
    notices: Object.freeze([...array(data.treeNotices, "treeNotices").map(decodeNotice), ...fileNotices]),
  });
  return { revision, history: decodeHistory(data.history, commit) };
}

function decodeFile(raw: JsonObject): { state: FileState; own: readonly Notice[] } {
  const file = string(raw.file, "file");
  const docs = array(raw.docs, "docs").map((doc) => decodeDoc(file, object(doc, "doc")));
  const state: FileState = {
    file,
    blob: string(raw.blob, "blob"),
    docs: Object.freeze(docs),
    goodCommit: typeof raw.goodCommit === "string" ? raw.goodCommit : invalid("goodCommit"),
  };
  if (raw.error !== undefined) state.error = decodeError(file, object(raw.error, "error"));
  return { state: Object.freeze(state), own: Object.freeze(array(raw.notices, "notices").map(decodeNotice)) };
}

function decodeDoc(file: string, raw: JsonObject): ManifestDoc {
  return Object.freeze({
    namespace: string(raw.namespace, "namespace"),
    name: string(raw.name, "name"),
    file,
    docIndex: string(raw.docIndex, "docIndex"),
    object: object(raw.object, "object"),
  });
}

function decodeError(file: string, raw: JsonObject): ParseError {
  const line = raw.line === undefined ? undefined : number(raw.line, "line");
  return { file, line, message: string(raw.message, "message") };
}

function decodeNotice(raw: unknown): Notice {
  const notice = object(raw, "notice");
  return { file: string(notice.file, "notice.file"), message: string(notice.message, "notice.message") };
}
