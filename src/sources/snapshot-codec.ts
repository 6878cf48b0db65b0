// The on-disk form of a served revision and the history read for it. Pure. Decoding trusts nothing: a
// snapshot file may be truncated, hand-edited, or written by another version or configuration.
import type { JsonObject } from "../core/types.js";
import type { StoredHistory } from "./object-history.js";
import type { FileNotices } from "./revision-builder.js";
import { decodeDoc, encodeDoc } from "./snapshot-docs.js";
import { array, invalid, number, object, parseJson, string } from "./snapshot-fields.js";
import { decodeHistory, encodeHistory } from "./snapshot-history.js";
import type { FileState, Notice, ParseError, RenderedApp, SourceRevision } from "./types.js";

// v3 is line-delimited: a header line, then one line per file, so that a snapshot of 10,000 manifests is
// written and read a line at a time, never as one string. v1 and v2 (one JSON document: v2 added
// `history`) are still read: the revision serves, and a v1 snapshot's history is read again from Git.
const FORMAT = "driftguard.io/source-snapshot/v3";
const SINGLE_DOCUMENT = new Set(["driftguard.io/source-snapshot/v1", "driftguard.io/source-snapshot/v2"]);

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

/** The snapshot as lines, each ending in a newline: the header, then one line per file. */
export function* encodeSnapshotLines(
  identity: SnapshotIdentity,
  revision: SourceRevision,
  notices: FileNotices,
  history?: StoredHistory,
): Generator<string> {
  const fileNotices = new Set<Notice>();
  for (const state of revision.files.values())
    for (const notice of notices.get(state) ?? []) fileNotices.add(notice);
  const treeNotices = revision.notices.filter((notice) => !fileNotices.has(notice));
  const { commit, fetchedAt } = revision;
  const past = encodeHistory(history, commit);
  const files = revision.files.size;
  yield `${JSON.stringify({ format: FORMAT, ...identity, commit, fetchedAt, treeNotices, history: past, files })}\n`;
  for (const state of revision.files.values()) yield `${JSON.stringify(encodeFile(state, notices))}\n`;
}

/** The whole snapshot as one text (tests, small sources); the store writes it line by line. */
export function encodeSnapshot(
  identity: SnapshotIdentity,
  revision: SourceRevision,
  notices: FileNotices,
  history?: StoredHistory,
): string {
  return [...encodeSnapshotLines(identity, revision, notices, history)].join("");
}

/** One file's line (JSON.stringify leaves out an `error` that is undefined). */
function encodeFile(state: FileState, notices: FileNotices): object {
  // The file is stored once for the state, not once per document.
  const docs = state.docs.map((doc) => {
    const { file: _file, ...rest } = encodeDoc(doc);
    return rest;
  });
  const { file, blob, goodCommit, error, app } = state;
  return { file, blob, goodCommit, docs, error, app, notices: notices.get(state) ?? [] };
}

/**
 * Reads a snapshot a line at a time. Throws a SourceError (SNAPSHOT_INVALID) saying what is wrong, from
 * push() or finish(); fills `notices` for the states it makes.
 */
export class SnapshotDecoder {
  private header: JsonObject | undefined;
  private expected = 0;
  private lines = 0;
  private readonly files = new Map<string, FileState>();
  private readonly fileNotices: Notice[] = [];
  private whole: DecodedSnapshot | undefined;

  constructor(
    private readonly identity: SnapshotIdentity,
    private readonly notices: FileNotices,
  ) {}

  push(line: string): void {
    if (this.whole !== undefined) invalid("text after a single-document snapshot");
    if (this.header === undefined) {
      this.start(object(parseJson(line), "snapshot"));
      return;
    }
    if (this.lines >= this.expected) invalid(`more than the ${this.expected} files its header names`);
    this.lines += 1;
    this.add(object(parseJson(line), "file"));
  }

  finish(): DecodedSnapshot {
    if (this.whole !== undefined) return this.whole;
    const header = this.header ?? invalid("empty");
    if (this.lines !== this.expected) invalid(`truncated: ${this.lines} of ${this.expected} files`);
    return this.decoded(header);
  }

  private start(header: JsonObject): void {
    if (
      typeof header.format !== "string" ||
      (header.format !== FORMAT && !SINGLE_DOCUMENT.has(header.format))
    )
      invalid(`unknown format ${JSON.stringify(header.format)}`);
    for (const key of ["source", "fingerprint", "parserVersion"] as const) {
      if (header[key] !== this.identity[key])
        invalid(`made for another ${key === "parserVersion" ? "parser" : key}`);
    }
    this.header = header;
    if (header.format === FORMAT) {
      this.expected = number(header.files, "files");
      return;
    }
    for (const raw of array(header.files, "files")) this.add(object(raw, "file"));
    this.whole = this.decoded(header);
  }

  private add(raw: JsonObject): void {
    const { state, own } = decodeFile(raw);
    if (this.files.has(state.file)) invalid(`file ${state.file} appears twice`);
    this.files.set(state.file, state);
    this.notices.set(state, own);
    this.fileNotices.push(...own);
  }

  private decoded(header: JsonObject): DecodedSnapshot {
    const commit = string(header.commit, "commit");
    const treeNotices = array(header.treeNotices, "treeNotices").map(decodeNotice);
    const revision: SourceRevision = Object.freeze({
      source: this.identity.source,
      commit,
      fetchedAt: number(header.fetchedAt, "fetchedAt"),
      files: this.files,
      notices: Object.freeze([...treeNotices, ...this.fileNotices]),
    });
    return { revision, history: decodeHistory(header.history, commit) };
  }
}

/** Decodes a whole snapshot text (any format). */
export function decodeSnapshot(
  identity: SnapshotIdentity,
  text: string,
  notices: FileNotices,
): DecodedSnapshot {
  const decoder = new SnapshotDecoder(identity, notices);
  for (const line of text.split("\n")) if (line !== "") decoder.push(line);
  return decoder.finish();
}

function decodeFile(raw: JsonObject): { state: FileState; own: readonly Notice[] } {
  const file = string(raw.file, "file");
  const docs = array(raw.docs, "docs").map((doc) => decodeDoc(object(doc, "doc"), file));
  const state: FileState = {
    file,
    blob: string(raw.blob, "blob"),
    docs: Object.freeze(docs),
    goodCommit: typeof raw.goodCommit === "string" ? raw.goodCommit : invalid("goodCommit"),
  };
  if (raw.error !== undefined) state.error = decodeError(file, object(raw.error, "error"));
  if (raw.app !== undefined) state.app = decodeApp(object(raw.app, "app"));
  return { state: Object.freeze(state), own: Object.freeze(array(raw.notices, "notices").map(decodeNotice)) };
}

function decodeApp(raw: JsonObject): RenderedApp {
  const type = raw.type === "kustomize" || raw.type === "helm" ? raw.type : invalid("app.type");
  const unstable = array(raw.unstable, "app.unstable").map((path) => string(path, "app.unstable"));
  return Object.freeze({ type, unstable, ...(raw.transient === true ? { transient: true } : {}) });
}

function decodeError(file: string, raw: JsonObject): ParseError {
  const line = raw.line === undefined ? undefined : number(raw.line, "line");
  return { file, line, message: string(raw.message, "message") };
}

function decodeNotice(raw: unknown): Notice {
  const notice = object(raw, "notice");
  return { file: string(notice.file, "notice.file"), message: string(notice.message, "notice.message") };
}
