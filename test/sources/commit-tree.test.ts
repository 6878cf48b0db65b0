// The commit tree the render step reads through: every read of one step goes over one `git cat-file
// --batch` (a git per read cost a 200-app repository seconds per commit in spawns), answers match the
// reads however they interleave, and a git that fails fails every read of the tree with a coded error.
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitTree } from "../../src/sources/commit-tree.js";
import { parseTree, type TreeEntry } from "../../src/sources/git-parse.js";
import { SourceError } from "../../src/sources/source-error.js";
import { sourceBaseEnv } from "../support/git/git-cli.js";
import { createTestRepo, type TestRepo } from "../support/git/test-repo.js";
import { findOnPath } from "../support/render-tools.js";
import { makeTempDir } from "../support/tls/cert-dir.js";

const ARCHIVE = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0x00, 0x0a, 0x80]); // not UTF-8
const TEXTS: Record<string, string> = Object.fromEntries(
  Array.from({ length: 40 }, (_, i) => [`apps/app-${i}/kustomization.yaml`, `resources: [app-${i}.yaml]\n`]),
);

describe("commit tree reads", () => {
  let tmp: string;
  let repo: TestRepo;
  let entries: TreeEntry[];
  /** PATH with a `git` first that logs each start, then runs the real one. */
  let countingEnv: Record<string, string>;
  let starts: string;

  beforeAll(async () => {
    tmp = await makeTempDir();
    repo = await createTestRepo(join(tmp, "repo"), tmp);
    await repo.commit("texts", { ...TEXTS, "empty.yaml": "" });
    await writeFile(join(repo.dir, "charts.tgz"), ARCHIVE);
    await repo.commit("archive", {});
    entries = parseTree(await repo.git("ls-tree", "-r", "-z", "--full-tree", "HEAD"));
    starts = join(tmp, "git-starts");
    await writeFile(starts, "");
    const realGit = findOnPath("git");
    const wrapper = join(tmp, "bin", "git");
    await mkdir(join(tmp, "bin"));
    await writeFile(wrapper, `#!/bin/sh\necho "$1" >> '${starts}'\nexec '${realGit}' "$@"\n`);
    await chmod(wrapper, 0o755);
    const base = sourceBaseEnv(tmp);
    countingEnv = { ...base, PATH: `${join(tmp, "bin")}:${base.PATH}` };
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  const gitStarts = async () => (await readFile(starts, "utf8")).split("\n").filter(Boolean);

  it("answers many interleaved reads, text and bytes, from one git process", async () => {
    const before = (await gitStarts()).length;
    const tree = commitTree(repo.dir, countingEnv, entries);
    try {
      const paths = Object.keys(TEXTS);
      const texts = await Promise.all(paths.map((path) => tree.read(path)));
      expect(texts).toEqual(paths.map((path) => TEXTS[path]));
      const archive = entries.find((entry) => entry.path === "charts.tgz")?.blob as string;
      const empty = entries.find((entry) => entry.path === "empty.yaml")?.blob as string;
      const bytes = new Map<string, Buffer | undefined>();
      await tree.readBlobs([archive, empty, "0".repeat(40)], (blob, content) => bytes.set(blob, content));
      expect(bytes.get(archive)).toEqual(ARCHIVE);
      expect(bytes.get(empty)).toEqual(Buffer.alloc(0));
      expect(bytes.get("0".repeat(40))).toBeUndefined(); // not in the repository
      expect(await tree.read("charts.tgz")).toBeUndefined(); // not text
      expect(await tree.read("no/such/file.yaml")).toBeUndefined();
    } finally {
      tree.close();
    }
    expect((await gitStarts()).slice(before)).toEqual(["cat-file"]);
  });

  it("starts git again for a read after close, and not at all for a tree nobody reads", async () => {
    const before = (await gitStarts()).length;
    commitTree(repo.dir, countingEnv, entries).close();
    const tree = commitTree(repo.dir, countingEnv, entries);
    const path = "apps/app-1/kustomization.yaml";
    expect(await tree.read(path)).toBe(TEXTS[path]);
    tree.close();
    expect(await tree.read(path)).toBe(TEXTS[path]);
    tree.close();
    expect((await gitStarts()).slice(before)).toEqual(["cat-file", "cat-file"]);
  });

  it("fails every read, waiting or later, with a coded error when git fails", async () => {
    const notARepo = join(tmp, "not-a-repo");
    await mkdir(notARepo);
    const tree = commitTree(notARepo, sourceBaseEnv(tmp), entries);
    const paths = Object.keys(TEXTS).slice(0, 3);
    const results = await Promise.allSettled(paths.map((path) => tree.read(path)));
    for (const result of results) {
      expect(result.status).toBe("rejected");
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(SourceError);
    }
    await expect(tree.read(paths[0] as string)).rejects.toMatchObject({ code: "DG_SOURCE_GIT_FAILED" });
    tree.close();
  });
});
