// Reads many blobs with one `git cat-file --batch` process: one process for 10,000 files instead of
// 10,000 processes, and no worktree to check out. Output is parsed as it streams, so memory holds
// one blob at a time and an oversized blob is skipped unread.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { SourceError } from "./source-error.js";

export type BlobContent =
  | { kind: "text"; text: string }
  | { kind: "too-large"; bytes: number }
  | { kind: "unreadable"; message: string };

export interface BlobReaderOptions {
  dir: string;
  env: Readonly<Record<string, string>>;
  maxBytes: number;
}

const TIMEOUT_MS = 120_000;
const LF = 0x0a;

/**
 * Calls `onBlob` once per id, in order. Rejects with a SourceError when git fails. When `onBlob` returns a
 * promise, git's output is not read further until it settles: the consumer bounds what memory holds.
 */
export function readBlobs(
  options: BlobReaderOptions,
  blobs: readonly string[],
  onBlob: (blob: string, content: BlobContent) => Promise<void> | undefined | void,
): Promise<void> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let waits: Promise<void>[] = [];
  const parser = new BatchParser(options.maxBytes, (blob, body) => {
    const wait = onBlob(blob, decodeText(decoder, body));
    if (wait) waits.push(wait);
  });
  const backpressure = () => {
    const taken = waits;
    waits = [];
    return taken.length === 0 ? undefined : Promise.all(taken);
  };
  return readBatch(options, blobs, parser, backpressure);
}

function readBatch(
  options: BlobReaderOptions,
  blobs: readonly string[],
  parser: BatchParser,
  backpressure: () => Promise<unknown> | undefined,
): Promise<void> {
  if (blobs.length === 0) return Promise.resolve();
  const child = spawn("git", ["cat-file", "--batch"], { cwd: options.dir, env: options.env });
  const done = settle(child, parser, blobs.length, backpressure);
  // git may exit before reading all of stdin (it failed); settle() reports that.
  child.stdin.on("error", () => undefined);
  child.stdin.end(`${blobs.join("\n")}\n`);
  return done;
}

function settle(
  child: ChildProcessWithoutNullStreams,
  parser: BatchParser,
  expected: number,
  backpressure: () => Promise<unknown> | undefined,
): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const stderr: Buffer[] = [];
    let failure: unknown;
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
    child.stdout.on("data", (chunk: Buffer) => {
      if (failure !== undefined) return;
      try {
        parser.push(chunk);
      } catch (error) {
        failure = error;
        child.kill("SIGKILL");
        return;
      }
      const wait = backpressure();
      if (wait === undefined) return;
      child.stdout.pause();
      wait.then(
        () => child.stdout.resume(),
        (error: unknown) => {
          failure ??= error;
          child.kill("SIGKILL");
          // Read on (and drop) what is left, or 'close' would never come.
          child.stdout.resume();
        },
      );
    });
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (error) => {
      failure ??= error;
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (failure === undefined && code === 0 && parser.count === expected) return resolvePromise();
      const cause = failure ?? (Buffer.concat(stderr).toString() || `exit code ${code}`);
      reject(new SourceError("GIT_FAILED", "git cat-file failed", { cause }));
    });
  });
}

/** One blob as git gave it, before it is decoded. */
export type RawBlob = { bytes: Buffer } | { tooLarge: number } | { unreadable: string };

export function decodeText(decoder: { decode(bytes: Uint8Array): string }, body: RawBlob): BlobContent {
  if ("unreadable" in body) return { kind: "unreadable", message: body.unreadable };
  if ("tooLarge" in body) return { kind: "too-large", bytes: body.tooLarge };
  try {
    return { kind: "text", text: decoder.decode(body.bytes) };
  } catch {
    return { kind: "unreadable", message: "file is not valid UTF-8" };
  }
}

interface Body {
  blob: string;
  size: number;
  remaining: number;
  /** undefined: too large, skipped. */
  parts: Buffer[] | undefined;
}

/** The `--batch` output: `<id> <type> <size>\n<content>\n` or `<id> missing\n`, repeated. */
export class BatchParser {
  count = 0;
  private header: Buffer[] = [];
  private body: Body | undefined;
  private skipNewline = false;

  constructor(
    private readonly maxBytes: number,
    private readonly onBlob: (blob: string, body: RawBlob) => void,
  ) {}

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.skipNewline) {
        this.skipNewline = false;
        offset += 1;
      } else if (this.body !== undefined) {
        offset = this.takeBody(this.body, chunk, offset);
      } else {
        const newline = chunk.indexOf(LF, offset);
        const end = newline < 0 ? chunk.length : newline;
        this.header.push(chunk.subarray(offset, end));
        offset = end + 1;
        if (newline >= 0) this.startBlob(Buffer.concat(this.header).toString("utf8"));
      }
    }
  }

  private startBlob(line: string): void {
    this.header = [];
    const [blob = "", type, sizeText] = line.split(" ");
    if (type !== "blob" || sizeText === undefined) {
      this.emit(blob, { unreadable: `object ${blob} is ${type ?? "unknown"}` });
      return;
    }
    const size = Number(sizeText);
    const parts = size > this.maxBytes ? undefined : [];
    this.body = { blob, size, remaining: size, parts };
    if (size === 0) this.finishBody(this.body);
  }

  private takeBody(body: Body, chunk: Buffer, offset: number): number {
    const taken = Math.min(body.remaining, chunk.length - offset);
    body.parts?.push(chunk.subarray(offset, offset + taken));
    body.remaining -= taken;
    if (body.remaining === 0) this.finishBody(body);
    return offset + taken;
  }

  private finishBody(body: Body): void {
    this.body = undefined;
    this.skipNewline = true;
    this.emit(
      body.blob,
      body.parts === undefined ? { tooLarge: body.size } : { bytes: Buffer.concat(body.parts, body.size) },
    );
  }

  private emit(blob: string, content: RawBlob): void {
    this.count += 1;
    this.onBlob(blob, content);
  }
}
