// The decision history on disk (docs/contract.md §11): JSON-lines segments in stateDir/history, one
// record a line, survive restarts. Bounded: a segment is closed past `segmentBytes`, and past `maxBytes`
// in all the oldest segments are deleted. Writes are off the request path: `append` only queues (the
// oldest queued record goes first when the queue is full, counted); one writer drains the queue,
// at most BATCH_DELAY_MS after a record arrives.
//
// A failing disk (unwritable, full) never fails admission: the failure is counted, logged once per
// error code (not per record), and shown in status(); the next write tries again. A line torn by a
// crash is skipped when read; a segment that does not end with a newline is never appended to.
import { appendFile, readdir, readFile, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import type pino from "pino";
import type { DecisionRecord } from "../core/decision-record.js";
import { asDecisionRecord } from "../core/history.js";
import { DriftguardError, describeFileError } from "../errors.js";
import { makeDirectory } from "../make-directory.js";

export const HISTORY_DIR = "history";
/** How long a record may wait for others to share its append: on disk within this, or lost with a kill -9. */
export const BATCH_DELAY_MS = 100;
const SEGMENT = /^records-(\d{12})\.jsonl$/;

export interface DiskStoreOptions {
  /** The store's folder (stateDir/history). */
  dir: string;
  segmentBytes: number;
  maxBytes: number;
  /** Records waiting to be written; past it the oldest is dropped. */
  maxQueue: number;
  logger: pino.Logger;
}

export interface DiskStoreStatus {
  state: "ok" | "failing";
  /** The last failure, in words (no record content). */
  error?: string;
  written: number;
  failed: number;
  dropped: number;
  queued: number;
  segments: number;
  bytes: number;
}

export interface DiskStore {
  append(record: DecisionRecord): void;
  /** Resolves when every queued record is written (or has failed): tests and shutdown. */
  drain(): Promise<void>;
  status(): DiskStoreStatus;
}

interface Segment {
  seq: number;
  bytes: number;
}

export function openDiskStore(options: DiskStoreOptions): DiskStore {
  const { dir, logger } = options;
  const queue: string[] = [];
  const counts = { written: 0, failed: 0, dropped: 0 };
  const loggedCodes = new Set<string>();
  let lastError: string | undefined;
  let segments: Segment[] | undefined;
  let draining: Promise<void> | undefined;

  const fail = (error: unknown, lines: number) => {
    counts.failed += lines;
    lastError = describeFileError(error);
    const code = String((error as { code?: unknown } | null)?.code ?? "other");
    if (loggedCodes.has(code)) return;
    loggedCodes.add(code);
    logger.error(
      { dir, code, error: lastError },
      "decision history: cannot write to the store on disk (records stay in the log and the API server; logged once per kind of failure)",
    );
  };

  const writeBatch = async (batch: string[]) => {
    segments ??= await openSegments(dir);
    let current = segments.at(-1);
    const text = batch.join("");
    const bytes = Buffer.byteLength(text);
    if (current === undefined || current.bytes >= options.segmentBytes) {
      current = { seq: (current?.seq ?? 0) + 1, bytes: 0 };
      segments.push(current);
    }
    await appendFile(join(dir, segmentName(current.seq)), text, { mode: 0o600 });
    current.bytes += bytes;
    counts.written += batch.length;
    lastError = undefined;
    await dropOldest(dir, segments, options.maxBytes);
  };

  let timer: NodeJS.Timeout | undefined;
  // Writes wait a moment so that records arriving together go in one append: each append opens,
  // writes and closes the segment (an open descriptor would keep a remount or an unmount busy), and
  // under load one append per record cost more CPU than deciding the request (measured in the bench).
  const flush = (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    draining ??= drainQueue();
    return draining;
  };
  const drainQueue = async () => {
    while (queue.length > 0) {
      const batch = queue.splice(0, 100);
      try {
        await writeBatch(batch);
      } catch (error) {
        // Known again on the next write: the folder may have come back, a torn segment is left alone.
        segments = undefined;
        fail(error, batch.length);
      }
    }
    draining = undefined;
  };

  return {
    append(record) {
      if (queue.length >= options.maxQueue) {
        queue.shift();
        counts.dropped++;
      }
      queue.push(`${JSON.stringify(record)}\n`);
      if (draining === undefined && timer === undefined) timer = setTimeout(flush, BATCH_DELAY_MS);
    },
    drain: () => (timer === undefined ? (draining ?? Promise.resolve()) : flush()),
    status: () => ({
      state: lastError === undefined ? "ok" : "failing",
      ...(lastError === undefined ? {} : { error: lastError }),
      ...counts,
      queued: queue.length,
      segments: segments?.length ?? 0,
      bytes: (segments ?? []).reduce((sum, segment) => sum + segment.bytes, 0),
    }),
  };
}

function segmentName(seq: number): string {
  return `records-${String(seq).padStart(12, "0")}.jsonl`;
}

/** The segments there are, oldest first. A last one torn by a crash is closed: the next write starts a new one. */
async function openSegments(dir: string): Promise<Segment[]> {
  await makeDirectory(dir, 0o700);
  const found: Segment[] = [];
  for (const name of await readdir(dir)) {
    const match = SEGMENT.exec(name);
    if (match) found.push({ seq: Number(match[1]), bytes: (await stat(join(dir, name))).size });
  }
  found.sort((a, b) => a.seq - b.seq);
  const last = found.at(-1);
  if (last && last.bytes > 0 && !(await endsWithNewline(join(dir, segmentName(last.seq))))) {
    found.push({ seq: last.seq + 1, bytes: 0 });
  }
  return found;
}

async function endsWithNewline(file: string): Promise<boolean> {
  const text = await readFile(file);
  return text.at(-1) === 0x0a;
}

/** Deletes the oldest segments while the store is over its bound; the open segment always stays. */
async function dropOldest(dir: string, segments: Segment[], maxBytes: number): Promise<void> {
  let total = segments.reduce((sum, segment) => sum + segment.bytes, 0);
  while (total > maxBytes && segments.length > 1) {
    const oldest = segments.shift() as Segment;
    total -= oldest.bytes;
    await unlink(join(dir, segmentName(oldest.seq))).catch(() => undefined);
  }
}

export interface StoredRecords {
  records: DecisionRecord[];
  /** Lines that were not a record (a line torn by a crash, a foreign line): skipped. */
  skipped: number;
}

/**
 * Every record of the store, oldest first. A store that is not there is empty; one that cannot be read
 * is DG_HISTORY_UNREADABLE.
 */
export async function readDiskStore(dir: string): Promise<StoredRecords> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => SEGMENT.test(name)).sort();
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") return { records: [], skipped: 0 };
    throw unreadable(dir, error);
  }
  const records: DecisionRecord[] = [];
  let skipped = 0;
  for (const name of names) {
    let text: string;
    try {
      text = await readFile(join(dir, name), "utf8");
    } catch (error) {
      // Deleted by the bound between readdir and read: nothing lost that was meant to stay.
      if ((error as { code?: unknown }).code === "ENOENT") continue;
      throw unreadable(join(dir, name), error);
    }
    for (const line of text.split("\n")) {
      if (line === "") continue;
      const record = parseLine(line);
      if (record) records.push(record);
      else skipped++;
    }
  }
  return { records, skipped };
}

function parseLine(line: string): DecisionRecord | undefined {
  try {
    return asDecisionRecord(JSON.parse(line));
  } catch {
    return undefined;
  }
}

function unreadable(where: string, error: unknown): DriftguardError {
  return new DriftguardError(
    "DG_HISTORY_UNREADABLE",
    `cannot read the decision history: ${describeFileError(error)}`,
    {
      where,
      hint: "give --state-dir the stateDir of a driftguard replica (the store is its history/ folder), readable by you",
      cause: error,
    },
  );
}
