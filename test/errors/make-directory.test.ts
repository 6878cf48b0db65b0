import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDiskStore } from "../../src/history/disk-store.js";
import { makeDirectory } from "../../src/make-directory.js";
import { sampleRecord } from "../support/decision-records.js";
import { memoryLogger } from "../support/memory-logger.js";

const run = promisify(execFile);

describe("makeDirectory", () => {
  let tmp: string;
  let readOnly: string | undefined;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "driftguard-mkdir-"));
    const mountPoint = join(tmp, "read-only");
    await mkdir(mountPoint);
    readOnly = await run("mount", ["-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", mountPoint]).then(
      () => mountPoint,
      () => undefined,
    );
  });

  afterAll(async () => {
    if (readOnly) await run("umount", ["-l", readOnly]).catch(() => undefined);
    await rm(tmp, { recursive: true, force: true });
  });

  it("makes every missing folder, and is fine when they exist", async () => {
    const dir = join(tmp, "a", "b", "c");
    await makeDirectory(dir, 0o700);
    await makeDirectory(dir, 0o700);
    expect((await stat(dir)).isDirectory()).toBe(true);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it("fails with the real reason on a read-only file system, not ENOENT", async (context) => {
    if (!readOnly) {
      process.stdout.write("make-directory: read-only case skipped: cannot mount a tmpfs (not root)\n");
      context.skip();
    }
    await expect(makeDirectory(join(readOnly as string, "state", "history"))).rejects.toMatchObject({
      code: "EROFS",
    });
  });

  it("a history store on a read-only disk says read-only in its status", async (context) => {
    if (!readOnly) {
      process.stdout.write("make-directory: history status case skipped: cannot mount a tmpfs (not root)\n");
      context.skip();
    }
    const { logger } = memoryLogger();
    const store = openDiskStore({
      dir: join(readOnly as string, "state", "history"),
      segmentBytes: 1 << 20,
      maxBytes: 1 << 22,
      maxQueue: 10,
      logger,
    });
    store.append(sampleRecord());
    await store.drain();
    expect(store.status()).toMatchObject({ state: "failing", failed: 1 });
    expect(store.status().error).toMatch(/read-only/i);
  });
});
