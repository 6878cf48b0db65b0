// ParseQueue: batches by files and by text, waits asked for when enough batches are out, every file's
// result handed to its own callback exactly once.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { ParseJob } from "../../src/sources/file-parse.js";
import type { ParsedFile } from "../../src/sources/manifest-parser.js";
import type { FileParser } from "../../src/sources/parse-pool.js";
import { ParseQueue } from "../../src/sources/parse-queue.js";

/** A parser whose batches are answered when the test says; each result names its job's file. */
function heldParser() {
  const batches: { jobs: readonly ParseJob[]; answer: () => void }[] = [];
  const parser: FileParser = {
    parse: (jobs) =>
      new Promise<ParsedFile[]>((resolve) => {
        batches.push({
          jobs,
          answer: () =>
            resolve(jobs.map((job) => ({ docs: [], notices: [{ file: job.file, message: "parsed" }] }))),
        });
      }),
    close: async () => undefined,
  };
  return { parser, batches };
}

const job = (file: string, chars = 10): ParseJob => ({ file, text: "x".repeat(chars), namespace: "default" });

describe("batches", () => {
  test.each([
    {
      name: "by file count",
      limits: { batchFiles: 3, batchChars: 1_000, inFlight: 9 },
      sizes: [1, 1, 1, 1, 1, 1, 1],
      expected: [3, 3, 1],
    },
    {
      name: "by text size",
      limits: { batchFiles: 99, batchChars: 25, inFlight: 9 },
      sizes: [10, 10, 10, 30, 1],
      expected: [3, 1, 1],
    },
    {
      name: "one file larger than a batch goes alone",
      limits: { batchFiles: 99, batchChars: 5, inFlight: 9 },
      sizes: [50, 50],
      expected: [1, 1],
    },
    {
      name: "nothing added, nothing sent",
      limits: { batchFiles: 2, batchChars: 5, inFlight: 9 },
      sizes: [],
      expected: [],
    },
  ])("$name", async ({ limits, sizes, expected }) => {
    const { parser, batches } = heldParser();
    const queue = new ParseQueue(parser, limits);
    for (const [i, size] of sizes.entries()) queue.add(job(`f${i}`, size), () => undefined);
    const drained = queue.drain();
    for (const batch of batches) batch.answer();
    await drained;
    expect(batches.map((batch) => batch.jobs.length)).toEqual(expected);
  });
});

describe("waits", () => {
  test("add() asks the reader to wait once inFlight batches are out, until one is answered", async () => {
    const { parser, batches } = heldParser();
    const queue = new ParseQueue(parser, { batchFiles: 1, batchChars: 1_000, inFlight: 2 });
    expect(queue.add(job("a"), () => undefined)).toBeUndefined();
    const wait = queue.add(job("b"), () => undefined);
    expect(wait).toBeInstanceOf(Promise);
    let waited = false;
    void wait?.then(() => {
      waited = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(waited).toBe(false);
    batches[1]?.answer();
    await wait;
    expect(waited).toBe(true);
    batches[0]?.answer();
    await queue.drain();
  });
});

describe("every file's result reaches its own callback, once", () => {
  test("property: any sizes, any limits, answers in any order", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 60 }),
        fc.record({
          batchFiles: fc.integer({ min: 1, max: 8 }),
          batchChars: fc.integer({ min: 1, max: 120 }),
          inFlight: fc.integer({ min: 1, max: 4 }),
        }),
        fc.infiniteStream(fc.nat()),
        async (sizes, limits, picks) => {
          const { parser, batches } = heldParser();
          const queue = new ParseQueue(parser, limits);
          const seen = new Map<string, string[]>();
          const pick = picks[Symbol.iterator]();
          /** Answers one waiting batch, chosen at random. */
          const answerOne = () => {
            const waiting = batches.splice((pick.next().value as number) % batches.length, 1);
            waiting[0]?.answer();
          };
          for (const [i, size] of sizes.entries()) {
            const file = `f${i}`;
            const wait = queue.add(job(file, size), (result) => {
              seen.set(file, [...(seen.get(file) ?? []), ...result.notices.map((notice) => notice.file)]);
            });
            if (wait !== undefined) {
              answerOne();
              await wait;
            }
          }
          const drained = queue.drain();
          while (batches.length > 0) {
            answerOne();
            await new Promise((resolve) => setImmediate(resolve));
          }
          await drained;
          expect([...seen.keys()].sort()).toEqual(sizes.map((_, i) => `f${i}`).sort());
          for (const [file, results] of seen) expect(results).toEqual([file]);
        },
      ),
      { numRuns: 200 },
    );
  });
});
