// The parse pool's worker path against the in-thread parse: the same results, to the byte, over the shared
// corpus of real manifests, the repository's own fixtures and files that fail each way; and a worker that
// fails costs nothing but time.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { Worker } from "node:worker_threads";
import { afterAll, describe, expect, test } from "vitest";
import { type ParseJob, parseJob } from "../../src/sources/file-parse.js";
import { createParsePool } from "../../src/sources/parse-pool.js";
import { CORPUS_DIR, corpusPresent } from "../support/corpus.js";
import { memoryLogger } from "../support/memory-logger.js";
import { appYaml } from "./source-fixture.js";

const REPO = resolve(import.meta.dirname, "../..");

function manifestFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (entry === "node_modules" || entry.startsWith(".")) return [];
    return statSync(path).isDirectory() ? manifestFiles(path) : /\.(ya?ml|json)$/.test(entry) ? [path] : [];
  });
}

function jobsOf(root: string, dir: string): ParseJob[] {
  return manifestFiles(dir).map((path) => ({
    file: relative(root, path),
    text: readFileSync(path, "utf8"),
    namespace: "default",
  }));
}

/** Each way a file can fail or be skipped, beside a good one. */
const edgeCases: ParseJob[] = [
  ["good.yaml", appYaml("web")],
  ["syntax.yaml", "a: [1\n"],
  ["duplicate-key.yaml", "a: 1\na: 2\n"],
  ["not-an-object.yaml", "- 1\n- 2\n"],
  ["no-kind.yaml", "apiVersion: v1\nmetadata: {name: x}\n"],
  ["old-api.yaml", appYaml("web").replace("apps/v1", "extensions/v1beta1")],
  ["schema.yaml", appYaml("web").replace("spec:\n", 'spec:\n  replicas: "3"\n')],
  ["patch.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: p}\nspec: {replicas: 2}\n"],
  ["non-json.yaml", `${appYaml("web")}  minReadySeconds: .inf\n`],
  [
    "alias-bomb.yaml",
    `a: &a [x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [${"*b, ".repeat(20)}*b]\n`,
  ],
  ["octal-and-bools.yaml", appYaml("web").replace("spec:\n", "spec:\n  replicas: 0o3\n  paused: yes\n")],
  ["bom.yaml", `\uFEFF${appYaml("web")}`],
  ["empty.yaml", ""],
  ["comments.yaml", "# only a comment\n---\n"],
  ["web.json", JSON.stringify({ apiVersion: "apps/v1", kind: "List", items: [] })],
].map(([file = "", text = ""]) => ({ file, text, namespace: "shop" }));

const corpusJobs = corpusPresent ? jobsOf(CORPUS_DIR, CORPUS_DIR) : [];
const fixtureJobs = jobsOf(REPO, join(REPO, "test"));

describe("the worker path parses exactly as the in-thread path", () => {
  const log = memoryLogger();
  const pool = createParsePool({ logger: log.logger, workers: 2, mainThread: false });
  afterAll(() => pool.close());

  test.each([
    ["the shared corpus", corpusJobs],
    ["the repository's fixtures", fixtureJobs],
    ["files that fail each way", edgeCases],
  ])("%s", { timeout: 120_000 }, async (_name, jobs) => {
    if (jobs.length === 0) return;
    // Batches of a few files, as the revision builder sends them, spread over both workers.
    const batches: ParseJob[][] = [];
    for (let i = 0; i < jobs.length; i += 7) batches.push(jobs.slice(i, i + 7));
    const fromWorkers = (await Promise.all(batches.map((batch) => pool.parse(batch)))).flat();
    const inThread = jobs.map(parseJob);
    expect(fromWorkers).toEqual(inThread);
    // toEqual does not see key order, which the snapshot and every message keep.
    expect(JSON.stringify(fromWorkers)).toBe(JSON.stringify(inThread));
    expect(log.lines.filter((line) => line.msg?.startsWith("parse worker failed"))).toEqual([]);
  });

  test("the corpus is there to compare (or says why not)", () => {
    expect(fixtureJobs.length).toBeGreaterThan(10);
    if (corpusPresent) expect(corpusJobs.length).toBeGreaterThan(100);
  });
});

describe("a worker that fails", () => {
  test.each([
    ["exits at once", "process.exit(3)"],
    ["throws while starting", "throw new Error('broken worker')"],
    ["answers nothing and dies later", "setTimeout(() => process.exit(1), 50)"],
    [
      "answers what is not JSON",
      "const { parentPort } = require('node:worker_threads'); parentPort.on('message', ({ id }) => parentPort.postMessage({ id, results: '[{' }))",
    ],
    [
      "answers too few results",
      "const { parentPort } = require('node:worker_threads'); parentPort.on('message', ({ id }) => parentPort.postMessage({ id, results: '[]' }))",
    ],
  ])(
    "%s: its files are parsed in-thread, and after three failures the pool stays in-thread",
    async (_name, code) => {
      const log = memoryLogger();
      let started = 0;
      const pool = createParsePool({
        logger: log.logger,
        workers: 1,
        spawn: () => {
          started += 1;
          return new Worker(code, { eval: true });
        },
      });
      for (let round = 0; round < 5; round++)
        expect(await pool.parse(edgeCases)).toEqual(edgeCases.map(parseJob));
      expect(started).toBe(3);
      const warnings = log.lines.filter(
        (line) => line.msg === "parse worker failed; its files are parsed in the main thread",
      );
      expect(warnings.map((line) => line.inThreadFromNow)).toEqual([false, false, true]);
      await pool.close();
    },
  );

  test("a worker that cannot even be made", async () => {
    const log = memoryLogger();
    const pool = createParsePool({
      logger: log.logger,
      spawn: () => {
        throw new Error("no threads here");
      },
    });
    expect(await pool.parse(edgeCases)).toEqual(edgeCases.map(parseJob));
    expect(log.lines.some((line) => String(line.err).includes("no threads here"))).toBe(true);
  });
});

describe("the main thread's share", () => {
  test("while the worker is busy, the main thread parses the next batch, alike, a file per turn", async () => {
    const log = memoryLogger();
    // A worker that never answers: it stays busy with the first batch, so the second is the main thread's.
    const pool = createParsePool({
      logger: log.logger,
      workers: 1,
      mainThread: true,
      spawn: () =>
        new Worker("require('node:worker_threads').parentPort.on('message', () => undefined)", {
          eval: true,
        }),
    });
    const first = pool.parse(edgeCases.slice(0, 2));
    let turns = 0;
    let done = false;
    const tick = () => {
      turns += 1;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    const second = await pool.parse(edgeCases);
    done = true;
    expect(JSON.stringify(second)).toBe(JSON.stringify(edgeCases.map(parseJob)));
    // Other work ran between the files: a request would have waited one file at most.
    expect(turns).toBeGreaterThanOrEqual(edgeCases.length - 1);
    // close() answers what the worker still holds, in-thread.
    await pool.close();
    expect(await first).toEqual(edgeCases.slice(0, 2).map(parseJob));
  });

  test("a batch with a large file is left to the worker: the main thread never parses one", async () => {
    const pool = createParsePool({
      logger: memoryLogger().logger,
      workers: 1,
      mainThread: true,
      spawn: () =>
        new Worker("require('node:worker_threads').parentPort.on('message', () => undefined)", {
          eval: true,
        }),
    });
    const first = pool.parse(edgeCases.slice(0, 1));
    const large: ParseJob = {
      file: "large.yaml",
      text: `${appYaml("web")}# ${"x".repeat(70 * 1024)}\n`,
      namespace: "default",
    };
    let answered = false;
    const second = pool.parse([large]).then((results) => {
      answered = true;
      return results;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(answered).toBe(false);
    await pool.close();
    expect(await second).toEqual([parseJob(large)]);
    expect(await first).toEqual(edgeCases.slice(0, 1).map(parseJob));
  });

  test("without it, every batch goes to a worker", async () => {
    let messages = 0;
    const pool = createParsePool({
      logger: memoryLogger().logger,
      workers: 1,
      mainThread: false,
      spawn: () => {
        const worker = new Worker(
          "const { parentPort } = require('node:worker_threads'); parentPort.on('message', ({ id, jobs }) => parentPort.postMessage({ id, results: JSON.stringify(jobs.map(() => ({ docs: [], notices: [] }))) }))",
          { eval: true },
        );
        worker.on("message", () => {
          messages += 1;
        });
        return worker;
      },
    });
    await Promise.all([pool.parse(edgeCases), pool.parse(edgeCases), pool.parse(edgeCases)]);
    expect(messages).toBe(3);
    await pool.close();
  });
});

describe("lifetime", () => {
  test("an idle worker ends, close() ends the rest, and a later parse starts one again", async () => {
    const log = memoryLogger();
    const workers: Worker[] = [];
    const pool = createParsePool({
      logger: log.logger,
      workers: 1,
      idleMs: 20,
      spawn: () => {
        const worker = new Worker(
          "require('node:worker_threads').parentPort.on('message', ({ id, jobs }) => require('node:worker_threads').parentPort.postMessage({ id, results: JSON.stringify(jobs.map(() => ({ docs: [], notices: [] }))) }))",
          { eval: true },
        );
        workers.push(worker);
        return worker;
      },
    });
    const exited = (worker: Worker | undefined) => new Promise((done) => worker?.once("exit", done));
    expect(await pool.parse(edgeCases.slice(0, 2))).toEqual([
      { docs: [], notices: [] },
      { docs: [], notices: [] },
    ]);
    await exited(workers[0]);
    await pool.parse(edgeCases.slice(0, 1));
    expect(workers).toHaveLength(2);
    const second = exited(workers[1]);
    await pool.close();
    await second;
    await pool.parse(edgeCases.slice(0, 1));
    expect(workers).toHaveLength(3);
    await pool.close();
    expect(log.lines.filter((line) => line.level >= 40)).toEqual([]);
  });

  test("no jobs, no worker", async () => {
    let started = 0;
    const pool = createParsePool({
      logger: memoryLogger().logger,
      spawn: () => {
        started += 1;
        throw new Error("not wanted");
      },
    });
    expect(await pool.parse([])).toEqual([]);
    expect(started).toBe(0);
  });
});
