// One `git cat-file --batch` kept open for the reads of one sync's render step. Deciding what each app
// reads takes a few small reads per app (its kustomization and those it reaches, Chart.yaml) at every
// commit, and each render then reads its inputs: with a git process per read, a repository of 200
// apps spawned some 300 processes per commit, and a spawn blocks the event loop for milliseconds
// (forking a large process), so that a one-overlay commit took seconds. Here every read is a line
// on one pipe. git answers in the order it was asked (and flushes after each object, as --batch
// does without --buffer), so answers are matched to reads by order alone.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { BatchParser, type BlobReaderOptions, type RawBlob } from "./blob-reader.js";
import { SourceError } from "./source-error.js";

export interface BlobSession {
  /** Calls `onBlob` once per id, in order; rejects with a SourceError when git fails. */
  read(blobs: readonly string[], onBlob: (blob: string, body: RawBlob) => void): Promise<void>;
  /** Ends the git process once it has answered what was asked; a later read starts a new one. */
  close(): void;
}

/** A read git has not answered yet. */
interface Pending {
  blob: string;
  answer: (body: RawBlob) => void;
  fail: (error: Error) => void;
}

/** A read waiting longer than this for git (no answer at all) ends the process, as blob-reader.ts's bound. */
const STALL_TIMEOUT_MS = 120_000;

/** git starts on the first read, not before: a sync without apps never starts it. */
export function openBlobSession(options: BlobReaderOptions): BlobSession {
  let git: GitBatch | undefined;
  return {
    read(blobs, onBlob) {
      if (blobs.length === 0) return Promise.resolve();
      // A failed process stays: every later read of this session fails alike, as one batch read would.
      git ??= new GitBatch(options);
      return git.read(blobs, onBlob);
    },
    close() {
      git?.end();
      git = undefined;
    },
  };
}

class GitBatch {
  private ended = false;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending: Pending[] = [];
  private readonly parser: BatchParser;
  private readonly stderr: Buffer[] = [];
  private failure: Error | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: BlobReaderOptions) {
    this.parser = new BatchParser(options.maxBytes, (blob, body) => this.answer(blob, body));
    this.child = spawn("git", ["cat-file", "--batch"], { cwd: options.dir, env: options.env });
    this.child.stdout.on("data", (chunk: Buffer) => this.take(chunk));
    this.child.stderr.on("data", (chunk: Buffer) => this.stderr.push(chunk));
    this.child.stdin.on("error", () => undefined); // git gone: 'close' says why
    this.child.on("error", (error) => this.fail(error));
    this.child.on("close", (code) => this.closed(code));
  }

  read(blobs: readonly string[], onBlob: (blob: string, body: RawBlob) => void): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      let left = blobs.length;
      const answer = (blob: string) => (body: RawBlob) => {
        onBlob(blob, body);
        left -= 1;
        if (left === 0) resolve();
      };
      for (const blob of blobs) this.pending.push({ blob, answer: answer(blob), fail: reject });
      this.child.stdin.write(`${blobs.join("\n")}\n`);
      this.watch();
    });
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.child.stdin.end();
  }

  private take(chunk: Buffer): void {
    if (this.failure !== undefined) return;
    try {
      this.parser.push(chunk);
    } catch (error) {
      this.fail(error);
    }
  }

  private answer(blob: string, body: RawBlob): void {
    const next = this.pending.shift();
    if (next === undefined || next.blob !== blob)
      throw new Error(`git cat-file answered ${blob}, expected ${next?.blob ?? "nothing"}`);
    this.watch();
    next.answer(body);
  }

  /** A stall bound while reads wait; git answering anything resets it. */
  private watch(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0 || this.failure !== undefined) return;
    this.timer = setTimeout(
      () => this.fail(new Error(`no answer within ${STALL_TIMEOUT_MS} ms`)),
      STALL_TIMEOUT_MS,
    );
    this.timer.unref();
  }

  private closed(code: number | null): void {
    if (this.pending.length === 0 && this.failure === undefined) return;
    this.fail(Buffer.concat(this.stderr).toString() || `exit code ${code}`);
  }

  /** Every waiting read and every later one fails alike: the sync reports it; the next sync starts anew. */
  private fail(cause: unknown): void {
    clearTimeout(this.timer);
    this.failure ??= new SourceError("GIT_FAILED", "git cat-file failed", { cause });
    for (const waiting of this.pending.splice(0)) waiting.fail(this.failure);
    this.child.kill("SIGKILL");
  }
}
