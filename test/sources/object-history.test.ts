// GitSource.objectHistory on real repositories: an object's past states read from the ref's
// first-parent history, however many unrelated commits came between them.
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { repoDir, snapshotPath } from "../../src/sources/state-paths.js";
import type { ObjectVersion } from "../../src/sources/types.js";
import { appYaml, createSourceFixture, type SourceFixture } from "./source-fixture.js";

let fx: SourceFixture;
beforeEach(async () => {
  fx = await createSourceFixture();
});
afterEach(async () => {
  await fx.cleanup();
});

const WEB = { namespace: "default", name: "web" };
const web = (image: string) => ({ "apps/web.yaml": appYaml("web", { image }) });

/** commit → image of each doc ("-" when the object is absent there). */
const summary = (versions: readonly ObjectVersion[]) =>
  versions.map(({ commit, docs }) => ({
    commit,
    images: docs.map((doc) => JSON.stringify(doc.object).match(/"image":"([^"]+)"/)?.[1]),
  }));

/** `count` commits that change something other than web: another manifest, or a file outside paths. */
async function unrelated(count: number, tag: string): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    const files =
      i % 2 === 0
        ? { "apps/api.yaml": appYaml("api", { image: `api:${tag}-${i}` }) }
        : { "notes/readme.txt": `${tag} ${i}\n` };
    await fx.repo.commit(`unrelated ${tag} ${i}`, files);
  }
}

describe("objectHistory", () => {
  test("three states of web among 20 unrelated commits, each named by the commit that wrote it", async () => {
    const c0 = await fx.repo.commit("api first", { "apps/api.yaml": appYaml("api") });
    const c1 = await fx.repo.commit("web v1", web("web:1"));
    await unrelated(7, "a");
    const c2 = await fx.repo.commit("web v2", web("web:2"));
    await unrelated(7, "b");
    const c3 = await fx.repo.commit("web v3", web("web:3"));
    await unrelated(6, "c");
    const source = fx.createSource();
    await source.start();
    expect(summary(await source.objectHistory(WEB, 10))).toEqual([
      { commit: c3, images: ["web:3"] },
      { commit: c2, images: ["web:2"] },
      { commit: c1, images: ["web:1"] },
      // Before web was written: absent, which a GitOps delete may reproduce.
      { commit: c0, images: [] },
    ]);
    expect(summary(await source.objectHistory(WEB, 2)).map((v) => v.commit)).toEqual([c3, c2]);
  });

  test("a prune is a version without docs; a state seen again is not counted twice", async () => {
    const p1 = await fx.repo.commit("web v1", web("web:1"));
    const p2 = await fx.repo.commit("prune web", {
      "apps/web.yaml": null,
      "apps/api.yaml": appYaml("api"),
    });
    const p3 = await fx.repo.commit("web v2", web("web:2"));
    await fx.repo.commit("web v1 again", web("web:1"));
    const source = fx.createSource();
    await source.start();
    const versions = summary(await source.objectHistory(WEB, 10));
    expect(versions.map((v) => v.images)).toEqual([["web:1"], ["web:2"], []]);
    expect(versions.slice(1).map((v) => v.commit)).toEqual([p3, p2]);
    expect(versions.map((v) => v.commit)).not.toContain(p1);
  });

  test("merge commits are followed along the first parent only", async () => {
    const m1 = await fx.repo.commit("web v1", web("web:1"));
    await fx.repo.git("checkout", "--quiet", "-b", "side");
    await fx.repo.commit("side draft", web("web:draft"));
    await fx.repo.commit("side final", web("web:side"));
    await fx.repo.git("checkout", "--quiet", "main");
    await fx.repo.commit("main moves on", { "apps/api.yaml": appYaml("api") });
    await fx.repo.git("merge", "--quiet", "--no-ff", "-m", "merge side", "side");
    const merge = await fx.repo.head();
    const source = fx.createSource();
    await source.start();
    // The draft lived on the side branch only: main never held it.
    expect(summary(await source.objectHistory(WEB, 10))).toEqual([
      { commit: merge, images: ["web:side"] },
      { commit: m1, images: ["web:1"] },
    ]);
  });

  test("after a force-push the history is the new ref's, and fetched revisions off it are forgotten", async () => {
    const c1 = await fx.repo.commit("web v1", web("web:1"));
    await fx.repo.commit("web v2", web("web:2"));
    const source = fx.createSource();
    await source.start();
    expect(summary(await source.objectHistory(WEB, 10)).map((v) => v.images[0])).toEqual(["web:2", "web:1"]);
    await fx.repo.git("reset", "--hard", "--quiet", c1);
    const c3 = await fx.repo.commit("web v3", web("web:3"));
    expect(await source.refresh("test")).toMatchObject({ kind: "updated", to: c3 });
    expect(source.history().map((r) => r.commit)).toEqual([c3]);
    expect(summary(await source.objectHistory(WEB, 10))).toEqual([
      { commit: c3, images: ["web:3"] },
      { commit: c1, images: ["web:1"] },
    ]);
  });

  test("a fast-forward keeps the fetched revisions", async () => {
    const c1 = await fx.repo.commit("web v1", web("web:1"));
    const source = fx.createSource();
    await source.start();
    const c2 = await fx.repo.commit("web v2", web("web:2"));
    await source.refresh("test");
    expect(source.history().map((r) => r.commit)).toEqual([c2, c1]);
  });

  test("commits outside the paths are not walked; the cap bounds the commits that touch them", async () => {
    const v1 = await fx.repo.commit("web v1", web("web:1"));
    const v2 = await fx.repo.commit("web v2", web("web:2"));
    for (let i = 0; i < 30; i += 1) await fx.repo.commit(`notes ${i}`, { "notes/readme.txt": `${i}\n` });
    for (let i = 0; i < 6; i += 1)
      await fx.repo.commit(`api ${i}`, { "apps/api.yaml": appYaml("api", { image: `a:${i}` }) });
    // web v2 is the 7th commit back that touches apps: a cap of 6 never gets past it.
    const capped = fx.createSource({ name: "capped" }, { historyMaxCommits: 6 });
    await capped.start();
    expect(summary(await capped.objectHistory(WEB, 10)).map((v) => v.images[0])).toEqual(["web:2"]);
    // The 30 commits outside apps cost nothing against the cap.
    const enough = fx.createSource({ name: "enough" }, { historyMaxCommits: 7 });
    await enough.start();
    expect(summary(await enough.objectHistory(WEB, 10))).toEqual([
      { commit: v2, images: ["web:2"] },
      { commit: v1, images: ["web:1"] },
    ]);
  });
});

describe("objectHistory across restarts", () => {
  async function readHistoryThenLoseGit(): Promise<readonly ObjectVersion[]> {
    await fx.repo.commit("web v1", web("web:1"));
    await unrelated(3, "a");
    await fx.repo.commit("web v2", web("web:2"));
    const first = fx.createSource();
    await first.start();
    const versions = await first.objectHistory(WEB, 10);
    expect(versions).toHaveLength(2);
    await first.stop();
    // Git is gone, and so is the local clone: only the snapshot is left.
    await rename(fx.repo.dir, `${fx.repo.dir}-gone`);
    await rm(repoDir(fx.stateDir, "demo"), { recursive: true, force: true });
    return versions;
  }

  test("a replica restarted with Git unreachable still knows the history it had read", async () => {
    const versions = await readHistoryThenLoseGit();
    const restarted = fx.createSource();
    await restarted.start();
    expect(restarted.status()).toMatchObject({ restored: true, state: { kind: "failing" } });
    const warned = () =>
      fx.log.lines.filter(
        (e) => e.msg === "history could not be read from Git; answering with what is known",
      );
    // As many states as asked for were read before: the answer, without asking Git.
    expect(summary(await restarted.objectHistory(WEB, 2))).toEqual(summary(versions));
    expect(warned()).toHaveLength(0);
    expect(summary(await restarted.objectHistory(WEB, 10))).toEqual(summary(versions));
    // Another object was never read: what the served commit holds is all that is known.
    expect(summary(await restarted.objectHistory({ namespace: "default", name: "api" }, 10))).toHaveLength(1);
    expect(warned()).toHaveLength(1);
  });

  test("an old (v1) snapshot still serves, without history", async () => {
    await readHistoryThenLoseGit();
    const path = snapshotPath(fx.stateDir, "demo");
    // v1 was one JSON document holding its files; v3 writes a header line, then a line per file.
    const [header, ...files] = (await readFile(path, "utf8"))
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const { history, ...rest } = header ?? {};
    expect(history).toBeDefined();
    await writeFile(path, JSON.stringify({ ...rest, format: "driftguard.io/source-snapshot/v1", files }));
    const restarted = fx.createSource();
    await restarted.start();
    expect(restarted.current()).toBeDefined();
    expect(summary(await restarted.objectHistory(WEB, 10)).map((v) => v.images[0])).toEqual(["web:2"]);
  });

  test("a snapshot with a corrupted history is ignored as a whole, and nothing throws", async () => {
    await readHistoryThenLoseGit();
    const path = snapshotPath(fx.stateDir, "demo");
    const [first = "", ...files] = (await readFile(path, "utf8")).split("\n");
    const header = JSON.parse(first) as Record<string, unknown>;
    const broken = { ...header, history: { head: header.commit, objects: {} } };
    await writeFile(path, [JSON.stringify(broken), ...files].join("\n"));
    const restarted = fx.createSource();
    await restarted.start();
    expect(restarted.current()).toBeUndefined();
    expect(await restarted.objectHistory(WEB, 10)).toEqual([]);
    expect(fx.log.lines.some((e) => e.msg === "snapshot ignored")).toBe(true);
  });
});
