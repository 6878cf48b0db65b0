// Keeps the served revision on local disk so that a restarted replica serves it while Git is away
// (docs/contract.md §2, restarts). Writes are atomic (temp file + rename) and coalesced: when revisions come
// faster than the disk, only the newest is written.
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import type { Logger } from "pino";
import type { StoredHistory } from "./object-history.js";
import { describeError } from "./redact.js";
import type { FileNotices } from "./revision-builder.js";
import {
  type DecodedSnapshot,
  decodeSnapshot,
  encodeSnapshot,
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

  constructor(
    private readonly path: string,
    private readonly identity: SnapshotIdentity,
    private readonly logger: Logger,
    private readonly history: () => StoredHistory | undefined,
  ) {}

  async load(notices: FileNotices): Promise<DecodedSnapshot | undefined> {
    const text = await this.read();
    if (text === undefined) return undefined;
    try {
      return decodeSnapshot(this.identity, text, notices);
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

  private async read(): Promise<string | undefined> {
    try {
      return await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        this.logger.warn({ err: describeError(error) }, "snapshot could not be read; ignored");
      }
      return undefined;
    }
  }

  private async drain(): Promise<void> {
    // Encoding 10,000 manifests takes a while: let the refresh that saved return first.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.pending !== undefined) {
      const { revision, notices } = this.pending;
      this.pending = undefined;
      try {
        const text = encodeSnapshot(this.identity, revision, notices, this.history());
        await writeAtomically(this.path, text);
        this.logger.debug({ commit: revision.commit }, "snapshot saved");
      } catch (error) {
        this.logger.warn({ err: describeError(error) }, "snapshot could not be saved");
      }
    }
    this.writing = undefined;
  }
}

async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    const handle = await open(temporary, "w", 0o600);
    try {
      await handle.writeFile(text, "utf8");
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
