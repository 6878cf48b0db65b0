// The decision history on disk (docs/contract.md §11): segments rotated by size, the oldest dropped past
// the bound, a torn last line skipped, records kept across a restart, and a failing disk that never throws.
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BATCH_DELAY_MS, openDiskStore, readDiskStore } from "../../src/history/disk-store.js";
import { sampleRecord } from "../support/decision-records.js";
import { memoryLogger } from "../support/memory-logger.js";

let root: string;
let dir: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "dg-history-"));
  dir = join(root, "history");
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const LINE = Buffer.byteLength(`${JSON.stringify(sampleRecord())}\n`);
const open = (extra: Partial<Parameters<typeof openDiskStore>[0]> = {}) => {
  const log = memoryLogger();
  const store = openDiskStore({
    dir,
    segmentBytes: 1 << 20,
    maxBytes: 1 << 24,
    maxQueue: 1000,
    logger: log.logger,
    ...extra,
  });
  return { store, log };
};

describe("disk store", () => {
  it("writes records that read back in order, and survive a restart", async () => {
    const first = open().store;
    for (let n = 0; n < 3; n++) first.append(sampleRecord({}, n));
    await first.drain();
    const second = open().store;
    second.append(sampleRecord({}, 3));
    await second.drain();
    const { records, skipped } = await readDiskStore(dir);
    expect(records.map((r) => r.requestUid.slice(-1))).toEqual(["0", "1", "2", "3"]);
    expect(skipped).toBe(0);
  });

  it("closes a segment past segmentBytes and drops the oldest past maxBytes", async () => {
    // Two records per segment, at most three segments' worth in all.
    const { store } = open({ segmentBytes: LINE * 2, maxBytes: LINE * 6 });
    for (let n = 0; n < 10; n++) {
      store.append(sampleRecord({}, n));
      await store.drain(); // one batch per record, so segments fill one record at a time
    }
    const files = (await readdir(dir)).sort();
    expect(files).toEqual([
      "records-000000000003.jsonl",
      "records-000000000004.jsonl",
      "records-000000000005.jsonl",
    ]);
    const { records } = await readDiskStore(dir);
    expect(records.map((r) => Number(r.requestUid.slice(-2)))).toEqual([4, 5, 6, 7, 8, 9]);
    expect(store.status()).toMatchObject({ state: "ok", written: 10, segments: 3, bytes: LINE * 6 });
  });

  it("writes what arrives together in one append, within BATCH_DELAY_MS and without a drain", async () => {
    const { store } = open();
    for (let n = 0; n < 50; n++) store.append(sampleRecord({}, n));
    expect(store.status()).toMatchObject({ queued: 50, written: 0 });
    const deadline = Date.now() + 10_000;
    while (store.status().written < 50 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, BATCH_DELAY_MS / 4));
    }
    expect(store.status()).toMatchObject({ state: "ok", queued: 0, written: 50, segments: 1 });
    expect((await readDiskStore(dir)).records).toHaveLength(50);
  });

  it("skips a line torn by kill -9, and never appends to the torn segment", async () => {
    const { store } = open();
    store.append(sampleRecord({}, 0));
    await store.drain();
    const [segment] = await readdir(dir);
    const path = join(dir, segment!);
    const torn = JSON.stringify(sampleRecord({}, 1)).slice(0, 40);
    await writeFile(path, `${await readFile(path, "utf8")}${torn}`);
    expect(await readDiskStore(dir)).toMatchObject({
      skipped: 1,
      records: [{ requestUid: sampleRecord({}, 0).requestUid }],
    });
    const restarted = open().store;
    restarted.append(sampleRecord({}, 2));
    await restarted.drain();
    const { records, skipped } = await readDiskStore(dir);
    expect(records.map((r) => r.requestUid)).toEqual([
      sampleRecord({}, 0).requestUid,
      sampleRecord({}, 2).requestUid,
    ]);
    expect(skipped).toBe(1);
    expect((await readdir(dir)).length).toBe(2);
  });

  it("skips lines that are not records", async () => {
    const { store } = open();
    store.append(sampleRecord({}, 0));
    await store.drain();
    const [segment] = await readdir(dir);
    await writeFile(join(dir, segment!), `{"not":"a record"}\n[1,2]\n`, { flag: "a" });
    expect(await readDiskStore(dir)).toMatchObject({ skipped: 2 });
  });

  it("drops the oldest queued record when the queue is full, and counts it", async () => {
    const { store } = open({ maxQueue: 2 });
    for (let n = 0; n < 5; n++) store.append(sampleRecord({}, n)); // the first batch takes what is queued
    await store.drain();
    const status = store.status();
    expect(status.dropped + status.written).toBe(5);
    expect(status.dropped).toBeGreaterThan(0);
    const { records } = await readDiskStore(dir);
    expect(records.at(-1)?.requestUid).toBe(sampleRecord({}, 4).requestUid);
  });

  it("a failing disk: counted, logged once, shown; never thrown; the next write tries again", async () => {
    // stateDir's place taken by a file: every write fails (ENOTDIR), as an unmounted or broken volume would.
    const blocked = join(root, "state");
    await writeFile(blocked, "not a folder");
    dir = join(blocked, "history");
    const { store, log } = open();
    for (let n = 0; n < 3; n++) {
      store.append(sampleRecord({}, n));
      await store.drain();
    }
    expect(store.status()).toMatchObject({
      state: "failing",
      failed: 3,
      written: 0,
      error: "a part of the path is not a folder",
    });
    const errors = log.lines.filter((line) => line.msg?.startsWith("decision history: cannot write"));
    expect(errors).toHaveLength(1);
    expect(log.text()).not.toContain("nginx:evil");
    await rm(blocked);
    store.append(sampleRecord({}, 9));
    await store.drain();
    expect(store.status()).toMatchObject({ state: "ok", written: 1 });
  });

  it("a missing store reads as empty; an unreadable one is DG_HISTORY_UNREADABLE", async () => {
    expect(await readDiskStore(join(root, "none"))).toEqual({ records: [], skipped: 0 });
    await writeFile(dir, "a file, not a folder");
    await expect(readDiskStore(dir)).rejects.toMatchObject({ code: "DG_HISTORY_UNREADABLE" });
  });
});
