// readBlobs (text) and readBlobBytes (raw bytes) over one `git cat-file --batch`, on a real repository.
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BlobContent, readBlobs } from "../../src/sources/blob-reader.js";
import { openBlobSession } from "../../src/sources/blob-session.js";
import { git, sourceBaseEnv } from "../support/git/git-cli.js";
import { gitBlobId } from "../support/repo-trees.js";

let scratch: string;
let repo: string;
const BINARY = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0xfe, 0x0a, 0x00, 0x80, 0x0a]);
const TEXT = Buffer.from("kind: Deployment\n");
const LARGE = Buffer.alloc(5000, 0x61);

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "driftguard-blob-reader-test-"));
  repo = join(scratch, "repo");
  await git(scratch, scratch, ["init", "--quiet", repo]);
  // hash-object -w stores each blob, as a commit would, without one.
  for (const bytes of [BINARY, TEXT, LARGE])
    execFileSync("git", ["hash-object", "-w", "--stdin"], {
      cwd: repo,
      input: bytes,
      env: sourceBaseEnv(scratch),
    });
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const options = () => ({ dir: repo, env: sourceBaseEnv(scratch), maxBytes: 4096 });
const MISSING = "0123456789012345678901234567890123456789";

describe("blob reader", () => {
  it("a blob session gives the exact bytes, and undefined for too large or missing blobs", async () => {
    const ids = [gitBlobId(BINARY), gitBlobId(TEXT), gitBlobId(LARGE), MISSING];
    const seen: [string, Buffer | undefined][] = [];
    const session = openBlobSession(options());
    try {
      await session.read(ids, (blob, body) => seen.push([blob, "bytes" in body ? body.bytes : undefined]));
    } finally {
      session.close();
    }
    expect(seen).toEqual([
      [ids[0], BINARY],
      [ids[1], TEXT],
      [ids[2], undefined],
      [MISSING, undefined],
    ]);
  });

  it("readBlobs keeps its text contract on the same blobs", async () => {
    const ids = [gitBlobId(BINARY), gitBlobId(TEXT), gitBlobId(LARGE), MISSING];
    const seen: BlobContent[] = [];
    await readBlobs(options(), ids, (_blob, content) => {
      seen.push(content);
    });
    expect(seen).toEqual([
      { kind: "unreadable", message: "file is not valid UTF-8" },
      { kind: "text", text: TEXT.toString() },
      { kind: "too-large", bytes: LARGE.length },
      { kind: "unreadable", message: `object ${MISSING} is missing` },
    ]);
  });

  describe("a consumer that asks the reader to wait", () => {
    // 300 blobs of 1 KB: git's output spans several chunks, so that a wait can stop the reading midway.
    const texts = Array.from({ length: 300 }, (_, i) => `${String(i).padStart(4, "0")}${"y".repeat(1020)}\n`);
    let ids: string[];
    beforeAll(async () => {
      const paths = await Promise.all(
        texts.map(async (text, i) => {
          const path = join(scratch, `blob-${i}.txt`);
          await writeFile(path, text);
          return path;
        }),
      );
      ids = execFileSync("git", ["hash-object", "-w", ...paths], { cwd: repo, env: sourceBaseEnv(scratch) })
        .toString()
        .trim()
        .split("\n");
    });

    it("no more blobs come until the wait is over; then every one, in order", async () => {
      const seen: string[] = [];
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const reading = readBlobs(options(), ids, (_blob, content) => {
        seen.push(content.kind === "text" ? content.text : content.kind);
        return seen.length === 1 ? held : undefined;
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.length).toBeLessThan(texts.length);
      release();
      await reading;
      expect(seen).toEqual(texts);
    });

    it("a wait that fails ends the read with GIT_FAILED", async () => {
      const reading = readBlobs(options(), ids, () => Promise.reject(new Error("consumer broke")));
      await expect(reading).rejects.toMatchObject({
        code: "DG_SOURCE_GIT_FAILED",
        message: expect.stringContaining("consumer broke"),
      });
    });
  });
});
