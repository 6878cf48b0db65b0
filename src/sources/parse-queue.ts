// Gathers the files of one build into batches for a FileParser, as their blobs stream from git, and
// bounds what waits: when a few batches are being parsed, add() returns a promise that the blob reader
// waits for (it stops reading git's output meanwhile), so that a 10,000-file load never holds every
// file's text at once, only a few batches of it.
import type { ParseJob } from "./file-parse.js";
import type { ParsedFile } from "./manifest-parser.js";
import type { FileParser } from "./parse-pool.js";

export interface ParseQueueLimits {
  /** A batch is sent when it has this many files... */
  batchFiles: number;
  /** ...or this much text. */
  batchChars: number;
  /** Batches sent and not yet answered before add() asks the reader to wait. */
  inFlight: number;
}

// A batch is a few dozen milliseconds of parsing: big enough that a message costs little beside it,
// small enough that the workers share the load evenly and memory is given back as it goes.
export const DEFAULT_LIMITS: ParseQueueLimits = { batchFiles: 64, batchChars: 128 * 1024, inFlight: 6 };

type OnParsed = (result: ParsedFile) => void;

export class ParseQueue {
  private jobs: ParseJob[] = [];
  private callbacks: OnParsed[] = [];
  private chars = 0;
  private readonly sent = new Set<Promise<void>>();

  constructor(
    private readonly parser: FileParser,
    private readonly limits: ParseQueueLimits = DEFAULT_LIMITS,
  ) {}

  /** Queues one file; `onParsed` runs with its result. A promise: wait for it before adding more. */
  add(job: ParseJob, onParsed: OnParsed): Promise<void> | undefined {
    this.jobs.push(job);
    this.callbacks.push(onParsed);
    this.chars += job.text.length;
    if (this.jobs.length < this.limits.batchFiles && this.chars < this.limits.batchChars) return undefined;
    this.send();
    if (this.sent.size < this.limits.inFlight) return undefined;
    return Promise.race(this.sent);
  }

  /** Sends what is left and resolves when every file added has had its onParsed. */
  async drain(): Promise<void> {
    this.send();
    while (this.sent.size > 0) await Promise.all(this.sent);
  }

  private send(): void {
    if (this.jobs.length === 0) return;
    const { jobs, callbacks } = this;
    this.jobs = [];
    this.callbacks = [];
    this.chars = 0;
    const done = this.parser.parse(jobs).then((results) => {
      this.sent.delete(done);
      for (const [i, result] of results.entries()) callbacks[i]?.(result);
    });
    this.sent.add(done);
  }
}
