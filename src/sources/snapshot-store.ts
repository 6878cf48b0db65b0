// Keeps the served revision on local disk so that a restarted replica serves it while Git is away
// (docs/contract.md §2, restarts). Writes are atomic (temp file + rename) and coalesced: when revisions come
// faster than the disk, only the newest is written. Both ways go a line at a time (one line per file):
// 10,000 manifests are never one string in memory.
import { createReadStream } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import type { Logger } from "pino";
import { makeDirectory } from "../make-directory.js";
import type { StoredHistory } from "./object-history.js";
import { describeError } from "./redact.js";
import type { FileNotices } from "./revision-builder.js";
import {
  type DecodedSnapshot,
  encodeSnapshotLines,
  SnapshotDecoder,
  type SnapshotIdentity,
} from "./snapshot-codec.js";
import type { SourceRevision } from "./types.js";

export interface SnapshotStore {
  /** The stored revision and history, or undefined when there is none or it cannot be used (logged). */
  load(notices: FileNotices): Promise<DecodedSnapshot | undefined>;
  /** Queues a write of `revision` (and of the history, when read for it); never throws (failures are logged). */
  save(revision: SourceRevision, notices: FileNotices): void;
  /** Resolves when every queued write is done. */
  flush(): Promise<void>;
  /** Why the last write failed; undefined once one succeeds (shown in /readyz beside the source). */
  lastError(): string | undefined;
}

export function createSnapshotStore(
  path: string,
  identity: SnapshotIdentity,
  logger: Logger,
  history: () => StoredHistory | undefined = () => undefined,
): SnapshotStore {
  return new FileSnapshotStore(path, identity, logger, history);
}

class FileSnapshotStore implements SnapshotStore {
  private pending: { revision: SourceRevision; notices: FileNotices } | undefined;
  private writing: Promise<void> | undefined;
  private failure: string | undefined;

  constructor(
    private readonly path: string,
    private readonly identity: SnapshotIdentity,
    private readonly logger: Logger,
    private readonly history: () => StoredHistory | undefined,
  ) {}

  async load(notices: FileNotices): Promise<DecodedSnapshot | undefined> {
    const decoder = new SnapshotDecoder(this.identity, notices);
    try {
      if (!(await this.readLines((line) => decoder.push(line)))) return undefined;
      return decoder.finish();
    } catch (error) {
      this.logger.warn({ err: describeError(error) }, "snapshot ignored");
      return undefined;
    }
  }

  save(revision: SourceRevision, notices: FileNotices): void {
    this.pending = { revision, notices };
    this.writing ??= this.drain();
  }

  async flush(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
  }

  lastError(): string | undefined {
    return this.failure;
  }

  /**
   * Feeds every line to `onLine`, whose errors (a snapshot that does not decode) are rethrown; false when
   * there is no snapshot or the file cannot be read (logged).
   */
  private async readLines(onLine: (line: string) => void): Promise<boolean> {
    const lines = createInterface({ input: createReadStream(this.path, "utf8"), crlfDelay: Infinity });
    let undecodable: unknown;
    try {
      for await (const line of lines) {
        if (line === "") continue;
        try {
          onLine(line);
        } catch (error) {
          undecodable = error;
          break;
        }
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT")
        this.logger.warn({ err: describeError(error) }, "snapshot could not be read; ignored");
      return false;
    } finally {
      lines.close();
    }
    if (undecodable !== undefined) throw undecodable;
    return true;
  }

  private async drain(): Promise<void> {
    // Encoding 10,000 manifests takes a while: let the refresh that saved return first.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.pending !== undefined) {
      const { revision, notices } = this.pending;
      this.pending = undefined;
      try {
        await writeAtomically(
          this.path,
          encodeSnapshotLines(this.identity, revision, notices, this.history()),
        );
        this.failure = undefined;
        this.logger.debug({ commit: revision.commit }, "snapshot saved");
      } catch (error) {
        this.failure = describeError(error);
        this.logger.warn({ err: this.failure }, "snapshot could not be saved");
      }
    }
    this.writing = undefined;
  }
}

// Lines are gathered into writes of about this size: few system calls, little memory, and a few
// milliseconds of encoding at a time, so that a sync running beside the write is not held up.
const CHUNK_CHARS = 64 * 1024;

async function writeAtomically(path: string, lines: Iterable<string>): Promise<void> {
  await makeDirectory(dirname(path), 0o700);
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    const handle = await open(temporary, "w", 0o600);
    try {
      let chunk: string[] = [];
      let size = 0;
      for (const line of lines) {
        chunk.push(line);
        size += line.length;
        if (size < CHUNK_CHARS) continue;
        // Each write awaits the disk, so requests are served between chunks while 10,000 files encode.
        await handle.write(chunk.join(""));
        chunk = [];
        size = 0;
      }
      await handle.write(chunk.join(""));
      // Without the sync, a crash after the rename can leave an empty file under the real name.
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
