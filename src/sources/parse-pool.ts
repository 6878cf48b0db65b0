// Parses Git files in worker threads, so that loading 10,000 manifests uses the other cores and leaves the
// main thread free to answer admission requests. One pool for the process, shared by every source.
// Results are those of the in-thread parse (the same function runs) sent as JSON text: a parse holds only
// JSON values, and the objects JSON.parse makes are the ones a snapshot restore serves, and take a third of
// the memory of the yaml library's (or of structured clone's): 26 MB for 10,000 Deployments, not 70. A worker that fails (it crashed, ran out of memory, could not start) costs
// nothing but time: its batches are parsed in-thread, and after a few failures the pool stays in-thread.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { Logger } from "pino";
import { type ParseJob, parseJob, parseJobsSliced } from "./file-parse.js";
import type { ParsedFile } from "./manifest-parser.js";
import type { BatchAnswer, BatchRequest } from "./parse-worker.js";
import { describeError } from "./redact.js";
import { prepareSchemaCheck } from "./schema-check.js";

/** Parses batches of files; never rejects (a file's problem is its result's error). */
export interface FileParser {
  parse(jobs: readonly ParseJob[]): Promise<ParsedFile[]>;
  /** Ends the workers; a later parse starts them again. */
  close(): Promise<void>;
}

export const inThreadParser: FileParser = {
  parse: async (jobs) => jobs.map(parseJob),
  close: async () => undefined,
};

export interface ParsePoolOptions {
  logger: Logger;
  /** Worker threads; default: one per core but one, at least one (the main thread keeps a core). */
  workers?: number;
  /**
   * The main thread parses too, a file at a time, while every worker is busy. Default: on one or two
   * cores, where one worker alone would leave the second core idle half of the time.
   */
  mainThread?: boolean;
  /** A worker idle this long ends, giving its memory back; the next big load starts it again. */
  idleMs?: number;
  /** Starts one worker (tests: one that fails); default: parse-worker beside this module. */
  spawn?: () => Worker;
}

/** After this many worker failures the pool parses in-thread for good: something is wrong with workers here. */
const MAX_FAILURES = 3;
const DEFAULT_IDLE_MS = 250;
// A worker holds one batch at a time (a few hundred KB of YAML and its trees), so a small young
// generation is enough and keeps each worker's share of the RSS small. 8 MB, not 4: at 4 the worker
// spent a quarter of a 10,000-manifest load in scavenges (1.3 s of 5.1 s under a CPU profile). In the
// bench's git part, 8 MB loaded in 5.67–5.76 s (3 runs) against 5.94–5.98 s at 4 MB (2 runs), for a
// peak RSS of 226–241 MB against 223–226; 16 MB gained little more and reached 252 MB. The old
// generation's bound is far above what a batch of 4 MiB files needs; a worker that still runs out dies
// alone, and its batch is parsed in-thread.
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 512 };

/**
 * The main thread takes only batches of files up to this size: one file's parse is what a request may
 * wait for (a few milliseconds here; a 4 MiB file would take seconds, and is left to a worker).
 */
const MAIN_THREAD_MAX_CHARS = 64 * 1024;

const small = (job: ParseJob) => job.text.length <= MAIN_THREAD_MAX_CHARS;

export function defaultWorkerCount(): number {
  return Math.max(1, availableParallelism() - 1);
}

export function createParsePool(options: ParsePoolOptions): FileParser {
  return new ParsePool(options);
}

interface Pending {
  jobs: readonly ParseJob[];
  resolve: (results: ParsedFile[]) => void;
}

/** One worker thread and the batches it was given, by id. */
interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
  idle: NodeJS.Timeout | undefined;
}

class ParsePool implements FileParser {
  private readonly threads: Thread[] = [];
  private readonly size: number;
  private failures = 0;
  private nextId = 0;
  private warmed = false;
  private readonly mainThread: boolean;
  /** The main thread is parsing a batch (one at a time, so that it mostly stays free). */
  private mainBusy = false;

  constructor(private readonly options: ParsePoolOptions) {
    this.size = Math.max(1, options.workers ?? defaultWorkerCount());
    this.mainThread = options.mainThread ?? availableParallelism() <= 2;
  }

  parse(jobs: readonly ParseJob[]): Promise<ParsedFile[]> {
    if (jobs.length === 0) return Promise.resolve([]);
    const thread = this.failures >= MAX_FAILURES ? undefined : this.leastBusy();
    if (thread === undefined) return inThreadParser.parse(jobs);
    if (this.mainThread && !this.mainBusy && thread.pending.size > 0 && jobs.every(small))
      return this.parseHere(jobs);
    return new Promise((resolve) => {
      const id = this.nextId++;
      thread.pending.set(id, { jobs, resolve });
      this.busy(thread);
      const request: BatchRequest = { id, jobs };
      thread.worker.postMessage(request);
    });
  }

  private async parseHere(jobs: readonly ParseJob[]): Promise<ParsedFile[]> {
    this.mainBusy = true;
    try {
      return await parseJobsSliced(jobs);
    } finally {
      this.mainBusy = false;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.splice(0).map((thread) => this.end(thread)));
  }

  /** A new thread while the pool is not full, else the one with the fewest batches waiting. */
  private leastBusy(): Thread | undefined {
    if (this.threads.length < this.size) return this.start();
    return this.threads.reduce((best, thread) => (thread.pending.size < best.pending.size ? thread : best));
  }

  private start(): Thread | undefined {
    this.warmUp();
    let worker: Worker;
    try {
      worker = (this.options.spawn ?? spawnWorker)();
    } catch (error) {
      this.failed(undefined, error);
      return this.threads[0];
    }
    const thread: Thread = { worker, pending: new Map(), idle: undefined };
    worker.on("message", (message: BatchAnswer) => this.answered(thread, message));
    worker.on("error", (error) => this.failed(thread, error));
    worker.on("exit", (code) => {
      if (this.threads.includes(thread)) this.failed(thread, new Error(`parse worker exited (code ${code})`));
    });
    this.threads.push(thread);
    return thread;
  }

  /**
   * The small changes that follow a load are parsed in-thread, and the first one would compile the schema
   * check: it is compiled while the workers parse the load, when the main thread mostly waits.
   */
  private warmUp(): void {
    if (this.warmed) return;
    this.warmed = true;
    setImmediate(prepareSchemaCheck).unref();
  }

  private answered(thread: Thread, { id, results }: BatchAnswer): void {
    const pending = thread.pending.get(id);
    if (pending === undefined) return;
    let parsed: ParsedFile[];
    try {
      parsed = JSON.parse(results) as ParsedFile[];
      if (!Array.isArray(parsed) || parsed.length !== pending.jobs.length)
        throw new Error("answer of the wrong shape");
    } catch (error) {
      // Never seen from parse-worker.ts; a worker that answers nonsense is one that fails.
      this.failed(thread, error);
      return;
    }
    thread.pending.delete(id);
    pending.resolve(parsed);
    if (thread.pending.size === 0) this.idle(thread);
  }

  /** The thread's batches are parsed here instead; the next batch starts a new thread (up to the bound). */
  private failed(thread: Thread | undefined, error: unknown): void {
    this.failures += 1;
    const inThreadFromNow = this.failures >= MAX_FAILURES;
    this.options.logger.warn(
      { err: describeError(error), inThreadFromNow },
      "parse worker failed; its files are parsed in the main thread",
    );
    if (thread === undefined) return;
    this.threads.splice(this.threads.indexOf(thread), 1);
    clearTimeout(thread.idle);
    void thread.worker.terminate();
    for (const { jobs, resolve } of thread.pending.values()) resolve(jobs.map(parseJob));
    thread.pending.clear();
  }

  private busy(thread: Thread): void {
    clearTimeout(thread.idle);
    thread.idle = undefined;
    thread.worker.ref();
  }

  /** An idle worker never keeps the process alive, and ends after idleMs. */
  private idle(thread: Thread): void {
    thread.worker.unref();
    thread.idle = setTimeout(() => {
      const at = this.threads.indexOf(thread);
      if (at >= 0 && thread.pending.size === 0) void this.end(this.threads.splice(at, 1)[0] as Thread);
    }, this.options.idleMs ?? DEFAULT_IDLE_MS);
    thread.idle.unref();
  }

  private async end(thread: Thread): Promise<void> {
    clearTimeout(thread.idle);
    await thread.worker.terminate();
    // A close() while batches wait: they are answered here, never left hanging.
    for (const { jobs, resolve } of thread.pending.values()) resolve(jobs.map(parseJob));
    thread.pending.clear();
  }
}

/** parse-worker.js beside this module, with this process's Node options. */
function spawnWorker(): Worker {
  const self = import.meta.url;
  const resourceLimits = WORKER_LIMITS;
  if (!self.endsWith(".ts")) return new Worker(new URL("./parse-worker.js", self), { resourceLimits });
  // From the TypeScript sources (tests, the bench): on Node 20, `--import tsx` does not reach a worker's
  // entry module, so the entry is loaded through tsx's API instead.
  const tsx = import.meta.resolve("tsx/esm/api");
  const entry = new URL("./parse-worker.ts", self).href;
  const load = `import(${JSON.stringify(tsx)}).then((api) => api.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(self)}))`;
  return new Worker(load, { eval: true, execArgv: [], resourceLimits });
}
