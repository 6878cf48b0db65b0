// GitSource on real repositories (local path transport): syncing, history, per-file last good.
import { mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { MAX_FILE_BYTES } from "../../src/sources/manifest-parser.js";
import { repoDir, snapshotPath } from "../../src/sources/state-paths.js";
import type { FileState, SourceRevision } from "../../src/sources/types.js";
import { appYaml, createSourceFixture, type SourceFixture } from "./source-fixture.js";

let fx: SourceFixture;
beforeEach(async () => {
  fx = await createSourceFixture();
});
afterEach(async () => {
  await fx.cleanup();
});

const file = (revision: SourceRevision | undefined, path: string): FileState => {
  const state = revision?.files.get(path);
  if (state === undefined) throw new Error(`${path} is not in the revision`);
  return state;
};
const image = (state: FileState) =>
  JSON.stringify(state.docs[0]?.object.spec).match(/"image":"([^"]+)"/)?.[1];

describe("first sync", () => {
  test("serves the Deployments of the selected files, with notices", async () => {
    const commit = await fx.repo.commit("first", {
      "apps/web.yaml": appYaml("web"),
      "apps/api.yaml": `${appYaml("api", { namespace: "shop" })}---\napiVersion: v1\nkind: Service\nmetadata: {name: api}\n`,
      "apps/base/kustomization.yaml": "resources: [d.yaml]\n",
      "apps/base/d.yaml": appYaml("base"),
      "other/ignored.yaml": appYaml("ignored"),
    });
    const source = fx.createSource();
    await source.start();
    const current = source.current();
    expect(current).toMatchObject({ source: "demo", commit });
    expect([...(current?.files.keys() ?? [])]).toEqual(["apps/api.yaml", "apps/web.yaml"]);
    expect(file(current, "apps/api.yaml").docs.map((d) => `${d.namespace}/${d.name}`)).toEqual(["shop/api"]);
    expect(file(current, "apps/web.yaml")).toMatchObject({
      goodCommit: commit,
      docs: [{ namespace: "default", name: "web" }],
    });
    expect(current?.notices).toEqual([{ file: "apps/base/kustomization.yaml", message: expect.any(String) }]);
    expect(source.status()).toMatchObject({
      state: { kind: "synced", commit },
      restored: false,
      fileErrors: [],
    });
    expect(source.history()).toEqual([current]);
  });

  test("a source that cannot be fetched is failing, with nothing served", async () => {
    const source = fx.createSource({ url: join(fx.tmp, "nowhere") });
    await source.start();
    expect(source.current()).toBeUndefined();
    expect(source.status().state).toMatchObject({
      kind: "failing",
      commit: undefined,
      error: expect.stringMatching(/fetch/),
    });
  });
});

describe("snapshot", () => {
  test("a snapshot that cannot be written is shown in the status until a write succeeds", async () => {
    await fx.repo.commit("first", { "apps/web.yaml": appYaml("web") });
    const source = fx.createSource();
    await source.start();
    await source.stop(); // flushes the first write
    expect(source.status().snapshotError).toBeUndefined();
    // The snapshots folder made a file: every write fails, even as root.
    const folder = dirname(snapshotPath(fx.stateDir, "demo"));
    await rm(folder, { recursive: true, force: true });
    await writeFile(folder, "not a folder");
    const broken = fx.createSource();
    await fx.repo.commit("second", { "apps/api.yaml": appYaml("api") });
    await broken.start();
    await broken.stop();
    expect(broken.status().snapshotError).toMatch(/not a directory|ENOTDIR|exists|EEXIST/i);
    expect(broken.status().state).toMatchObject({ kind: "synced" });
    expect(fx.log.lines.some((line) => line.msg === "snapshot could not be saved")).toBe(true);
    await rm(folder);
    const fixed = fx.createSource();
    await fx.repo.commit("third", { "apps/db.yaml": appYaml("db") });
    await fixed.start();
    await fixed.stop();
    expect(fixed.status().snapshotError).toBeUndefined();
  });
});

describe("refresh", () => {
  test("picks up a new commit, then reports unchanged", async () => {
    const first = await fx.repo.commit("first", { "apps/web.yaml": appYaml("web") });
    const source = fx.createSource();
    const seen: string[] = [];
    source.onChange((revision) => seen.push(revision.commit));
    await source.start();
    const second = await fx.repo.commit("second", { "apps/api.yaml": appYaml("api") });
    expect(await source.refresh("test")).toEqual({
      kind: "updated",
      from: first,
      to: second,
      changedFiles: 1,
    });
    expect(await source.refresh("test")).toEqual({ kind: "unchanged", commit: second });
    expect(source.history().map((r) => r.commit)).toEqual([second, first]);
    expect(seen).toEqual([first, second]);
  });

  test("a one-file commit parses one file and keeps every other FileState object", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 20; i++) files[`apps/app-${i}.yaml`] = appYaml(`app-${i}`);
    await fx.repo.commit("many", files);
    const source = fx.createSource();
    await source.start();
    const before = source.current();
    await fx.repo.commit("one", { "apps/app-3.yaml": appYaml("app-3", { image: "nginx:2" }) });
    expect(await source.refresh("test")).toMatchObject({ kind: "updated", changedFiles: 1 });
    const after = source.current();
    for (const [path, state] of after?.files ?? []) {
      if (path === "apps/app-3.yaml") expect(state).not.toBe(before?.files.get(path));
      else expect(state).toBe(before?.files.get(path));
    }
    expect(image(file(after, "apps/app-3.yaml"))).toBe("nginx:2");
    const updates = fx.log.lines.filter((e) => e.msg === "source updated");
    expect(updates.map((e) => e.parsed)).toEqual([20, 1]);
  });

  test("follows a force-push to an older commit and to a rewritten history", async () => {
    const first = await fx.repo.commit("first", { "apps/web.yaml": appYaml("web", { image: "v1" }) });
    await fx.repo.commit("second", { "apps/web.yaml": appYaml("web", { image: "v2" }) });
    const source = fx.createSource();
    await source.start();
    await fx.repo.git("reset", "--hard", "--quiet", first);
    expect(await source.refresh("test")).toMatchObject({ kind: "updated", to: first });
    expect(image(file(source.current(), "apps/web.yaml"))).toBe("v1");
    await fx.repo.commit("rewritten", { "apps/web.yaml": appYaml("web", { image: "v3" }) });
    await fx.repo.git("commit", "--amend", "--quiet", "-m", "rewritten again");
    const rewritten = await fx.repo.head();
    expect(await source.refresh("test")).toMatchObject({ kind: "updated", to: rewritten });
    expect(image(file(source.current(), "apps/web.yaml"))).toBe("v3");
  });

  test("history keeps the last N revisions, newest first", async () => {
    await fx.repo.commit("c1", { "apps/web.yaml": appYaml("web", { image: "v1" }) });
    const source = fx.createSource({}, { revisions: 2 });
    await source.start();
    const c2 = await fx.repo.commit("c2", { "apps/web.yaml": appYaml("web", { image: "v2" }) });
    await source.refresh("test");
    const c3 = await fx.repo.commit("c3", { "apps/web.yaml": appYaml("web", { image: "v3" }) });
    await source.refresh("test");
    expect(source.history().map((r) => r.commit)).toEqual([c3, c2]);
    expect(source.history()[0]).toBe(source.current());
  });

  test("two files holding the same Deployment are two docs (the core resolves conflicts)", async () => {
    await fx.repo.commit("dup", {
      "apps/a.yaml": appYaml("web", { image: "a" }),
      "apps/b.yaml": appYaml("web", { image: "b" }),
    });
    const source = fx.createSource();
    await source.start();
    const docs = [...(source.current()?.files.values() ?? [])].flatMap((s) => s.docs);
    expect(docs.map((d) => `${d.file}:${d.namespace}/${d.name}`)).toEqual([
      "apps/a.yaml:default/web",
      "apps/b.yaml:default/web",
    ]);
  });
});

describe("per-file last good", () => {
  test("a file that stops parsing keeps its last good docs until it is fixed", async () => {
    const good = await fx.repo.commit("good", {
      "apps/web.yaml": appYaml("web", { image: "v1" }),
      "apps/api.yaml": appYaml("api"),
    });
    const source = fx.createSource();
    await source.start();
    const before = file(source.current(), "apps/web.yaml");
    const broken = await fx.repo.commit("broken", {
      "apps/web.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web: x\n",
    });
    expect(await source.refresh("test")).toMatchObject({ kind: "updated", to: broken });
    const failing = file(source.current(), "apps/web.yaml");
    expect(failing.docs).toBe(before.docs);
    expect(failing).toMatchObject({ goodCommit: good, error: { file: "apps/web.yaml", line: 4 } });
    expect(source.status().fileErrors).toEqual([failing.error]);
    expect(source.status().state).toMatchObject({ kind: "synced", commit: broken });
    const warning = fx.log.lines.find((e) => e.msg === "file does not parse");
    expect(warning).toMatchObject({ file: "apps/web.yaml", line: 4, servingFrom: good });
    const fixed = await fx.repo.commit("fixed", { "apps/web.yaml": appYaml("web", { image: "v2" }) });
    await source.refresh("test");
    expect(file(source.current(), "apps/web.yaml").goodCommit).toBe(fixed);
    expect(file(source.current(), "apps/web.yaml").error).toBeUndefined();
    expect(image(file(source.current(), "apps/web.yaml"))).toBe("v2");
    expect(source.status().fileErrors).toEqual([]);
  });

  test("a file that never parsed serves nothing", async () => {
    await fx.repo.commit("bad", { "apps/web.yaml": "a: [1\n", "apps/api.yaml": appYaml("api") });
    const source = fx.createSource();
    await source.start();
    expect(file(source.current(), "apps/web.yaml")).toMatchObject({
      docs: [],
      goodCommit: "",
      error: { line: 1 },
    });
    expect(file(source.current(), "apps/api.yaml").docs).toHaveLength(1);
  });

  test("a file over 4 MiB is an error, not read", async () => {
    await fx.repo.commit("big", { "apps/big.yaml": `# ${"x".repeat(MAX_FILE_BYTES)}\n` });
    const source = fx.createSource();
    await source.start();
    expect(file(source.current(), "apps/big.yaml").error?.message).toMatch(/file too large/);
  });
});

describe("odd files", () => {
  test("invalid UTF-8 is an error, a symlink is skipped with a notice, an empty file serves nothing", async () => {
    await mkdir(join(fx.repo.dir, "apps"), { recursive: true });
    await writeFile(join(fx.repo.dir, "apps/latin1.yaml"), Buffer.from([0x61, 0x3a, 0x20, 0xe9, 0x0a]));
    await symlink("web.yaml", join(fx.repo.dir, "apps/link.yaml"));
    await fx.repo.commit("odd", { "apps/web.yaml": appYaml("web"), "apps/empty.yaml": "" });
    const source = fx.createSource();
    await source.start();
    const current = source.current();
    expect(file(current, "apps/latin1.yaml").error?.message).toBe("file is not valid UTF-8");
    expect(file(current, "apps/empty.yaml").docs).toEqual([]);
    expect(file(current, "apps/empty.yaml").error).toBeUndefined();
    expect(current?.files.has("apps/link.yaml")).toBe(false);
    expect(current?.notices).toEqual([
      { file: "apps/link.yaml", message: expect.stringMatching(/symbolic link/) },
    ]);
  });
});

describe("refs", () => {
  test("a branch, a tag, a commit id; no ref is the remote's default branch", async () => {
    const c1 = await fx.repo.commit("c1", { "apps/web.yaml": appYaml("web", { image: "v1" }) });
    await fx.repo.git("tag", "-a", "-m", "release", "v1");
    await fx.repo.git("checkout", "--quiet", "-b", "feature");
    const c2 = await fx.repo.commit("c2", { "apps/web.yaml": appYaml("web", { image: "v2" }) });
    await fx.repo.git("checkout", "--quiet", "main");
    const cases: Array<[string | undefined, string]> = [
      ["feature", c2],
      ["refs/heads/feature", c2],
      ["v1", c1],
      [c2, c2],
      [undefined, c1],
    ];
    for (const [i, [ref, commit]] of cases.entries()) {
      const source = fx.createSource({ name: `ref-${i}`, ref });
      await source.start();
      expect(source.current()?.commit, String(ref)).toBe(commit);
    }
  });

  test("a remote whose HEAD names a missing branch still serves an explicit branch", async () => {
    const commit = await fx.repo.commit("c1", { "apps/web.yaml": appYaml("web") });
    await fx.repo.git("symbolic-ref", "HEAD", "refs/heads/gone");
    const explicit = fx.createSource({ name: "explicit", ref: "main" });
    await explicit.start();
    expect(explicit.status().state).toMatchObject({ kind: "synced", commit });
    const byDefault = fx.createSource({ name: "default-branch" });
    await byDefault.start();
    expect(byDefault.status().state).toMatchObject({ kind: "failing", error: expect.stringMatching(/HEAD/) });
  });

  test("an unknown ref fails with a clear error", async () => {
    await fx.repo.commit("c1", { "apps/web.yaml": appYaml("web") });
    const source = fx.createSource({ ref: "nope" });
    await source.start();
    expect(source.status().state).toMatchObject({
      kind: "failing",
      error: "nope was not found in the repository",
    });
  });
});

describe("lifecycle", () => {
  test("polling picks up commits; stop() ends it", async () => {
    await fx.repo.commit("c1", { "apps/web.yaml": appYaml("web") });
    const source = fx.createSource({ intervalMs: 50 });
    await source.start();
    source.startPolling();
    const c2 = await fx.repo.commit("c2", { "apps/api.yaml": appYaml("api") });
    await expect.poll(() => source.current()?.commit, { timeout: 5_000 }).toBe(c2);
    await source.stop();
    await fx.repo.commit("c3", { "apps/db.yaml": appYaml("db") });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(source.current()?.commit).toBe(c2);
  });

  test("a damaged local clone is made again", async () => {
    const commit = await fx.repo.commit("c1", { "apps/web.yaml": appYaml("web") });
    await mkdir(repoDir(fx.stateDir, "demo"), { recursive: true });
    await writeFile(join(repoDir(fx.stateDir, "demo"), "HEAD"), "garbage");
    const source = fx.createSource();
    await source.start();
    expect(source.status().state).toMatchObject({ kind: "synced", commit });
  });

  test("a corrupt snapshot is ignored with a log line", async () => {
    const commit = await fx.repo.commit("c1", { "apps/web.yaml": appYaml("web") });
    await mkdir(join(fx.stateDir, "snapshots"), { recursive: true });
    await writeFile(snapshotPath(fx.stateDir, "demo"), "{not json");
    const source = fx.createSource();
    await source.start();
    expect(source.current()?.commit).toBe(commit);
    expect(fx.log.lines.find((e) => e.msg === "snapshot ignored")?.err).toMatch(/not JSON/);
  });
});
