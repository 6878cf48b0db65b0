// GitSource over a real smart-HTTP transport on loopback: credentials from files, a remote that goes
// away and comes back, restarts from the snapshot, single flight and the fetch bound.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { repoDir } from "../../src/sources/state-paths.js";
import type { GitSource, SourceAuth } from "../../src/sources/types.js";
import { type GitHttpServer, startGitHttpServer } from "../support/git/http-git-server.js";
import { appYaml, createSourceFixture, type SourceFixture } from "./source-fixture.js";

const TOKEN = "tok-9f8e7d6c5b4a";

let fx: SourceFixture;
let server: GitHttpServer;
let auth: SourceAuth;
beforeEach(async () => {
  fx = await createSourceFixture();
  server = await startGitHttpServer({
    root: fx.serveRoot,
    home: fx.tmp,
    auth: { username: "bot", password: TOKEN },
  });
  await writeFile(join(fx.tmp, "username"), "bot\n");
  await writeFile(join(fx.tmp, "token"), `${TOKEN}\n`);
  auth = { kind: "https", usernameFile: join(fx.tmp, "username"), tokenFile: join(fx.tmp, "token") };
});
afterEach(async () => {
  await fx.cleanup();
  await server.stop();
});

/** Everything this source shows to the outside: status, errors, log lines. */
const exposed = (source: GitSource) => JSON.stringify(source.status()) + fx.log.text();

describe("credentials", () => {
  test("the right token from files works, and appears nowhere", async () => {
    const commit = await fx.repo.commit("c1", { "apps/web.yaml": appYaml("web") });
    const source = fx.createSource({ url: server.url("remote"), auth });
    await source.start();
    expect(source.status().state).toMatchObject({ kind: "synced", commit });
    expect(exposed(source)).not.toContain(TOKEN);
    expect(await readFile(join(repoDir(fx.stateDir, "demo"), "config"), "utf8")).not.toContain(TOKEN);
  });

  test("a wrong token fails the fetch without a prompt, and appears nowhere", async () => {
    await fx.repo.commit("c1", { "apps/web.yaml": appYaml("web") });
    await writeFile(join(fx.tmp, "token"), "wrong-token-123\n");
    const source = fx.createSource({ url: server.url("remote"), auth });
    await source.start();
    expect(source.status().state).toMatchObject({
      kind: "failing",
      error: expect.stringMatching(/Authentication failed/),
    });
    expect(exposed(source)).not.toContain("wrong-token-123");
  });

  test("no credentials at all fail at once instead of waiting for a terminal", async () => {
    await fx.repo.commit("c1", { "apps/web.yaml": appYaml("web") });
    const source = fx.createSource({ url: server.url("remote") });
    await source.start();
    expect(source.status().state).toMatchObject({ kind: "failing" });
  });

  test("a missing token file is named in the error", async () => {
    await fx.repo.commit("c1", { "apps/web.yaml": appYaml("web") });
    const missing = join(fx.tmp, "no-such-token");
    const source = fx.createSource({
      url: server.url("remote"),
      auth: { kind: "https", tokenFile: missing },
    });
    await source.start();
    expect(source.status().state).toMatchObject({
      kind: "failing",
      error: `the token file ${missing} cannot be read`,
    });
  });

  test("credentials inside the URL are redacted everywhere and never written to disk", async () => {
    await fx.repo.commit("c1", { "apps/web.yaml": appYaml("web") });
    const url = server.url("remote").replace("http://", `http://bot:${TOKEN}@`);
    const source = fx.createSource({ url });
    await source.start();
    expect(source.status()).toMatchObject({
      state: { kind: "synced" },
      url: expect.stringMatching(/^http:\/\/\*\*\*@127/),
    });
    await server.goAway();
    const result = await source.refresh("test");
    expect(result.kind).toBe("failed");
    expect(JSON.stringify(result) + exposed(source)).not.toContain(TOKEN);
    expect(await readFile(join(repoDir(fx.stateDir, "demo"), "config"), "utf8")).not.toContain(TOKEN);
  });
});

describe("an unreachable remote", () => {
  test("keeps serving the last revision while failing, and recovers", async () => {
    const c1 = await fx.repo.commit("c1", { "apps/web.yaml": appYaml("web") });
    const source = fx.createSource({ url: server.url("remote"), auth });
    await source.start();
    const served = source.current();
    await server.goAway();
    const c2 = await fx.repo.commit("c2", { "apps/api.yaml": appYaml("api") });
    const failed = await source.refresh("test");
    expect(failed).toMatchObject({ kind: "failed", error: expect.stringMatching(/127\.0\.0\.1/) });
    expect(source.current()).toBe(served);
    const { state } = source.status();
    expect(state).toMatchObject({ kind: "failing", commit: c1 });
    const since = state.kind === "failing" ? state.since : 0;
    await source.refresh("again");
    expect(source.status().state).toMatchObject({ kind: "failing", since });
    await server.comeBack();
    expect(await source.refresh("test")).toMatchObject({ kind: "updated", from: c1, to: c2 });
    expect(source.status().state).toMatchObject({ kind: "synced", commit: c2 });
  });

  test("a restarted source serves the snapshot from disk while the remote is away", async () => {
    const commit = await fx.repo.commit("c1", {
      "apps/web.yaml": appYaml("web"),
      "apps/bad.yaml": "a: [\n",
      "apps/base/kustomization.yaml": "resources: []\n",
      "apps/base/x.yaml": appYaml("x"),
    });
    const first = fx.createSource({ url: server.url("remote"), auth });
    await first.start();
    const before = first.current();
    await first.stop();
    await server.goAway();
    const second = fx.createSource({ url: server.url("remote"), auth });
    const changes: string[] = [];
    second.onChange((revision) => changes.push(revision.commit));
    await second.start();
    expect(second.status()).toMatchObject({ restored: true, state: { kind: "failing", commit } });
    expect(changes).toEqual([commit]);
    const restored = second.current();
    expect(restored?.commit).toBe(commit);
    expect([...(restored?.files.values() ?? [])]).toEqual([...(before?.files.values() ?? [])]);
    expect(restored?.notices).toEqual(before?.notices);
    expect(second.status().fileErrors).toEqual(first.status().fileErrors);
    await server.comeBack();
    expect(await second.refresh("test")).toEqual({ kind: "unchanged", commit });
    expect(second.status()).toMatchObject({ restored: false, state: { kind: "synced", commit } });
  });

  test("a snapshot made for another configuration is not served", async () => {
    await fx.repo.commit("c1", { "apps/web.yaml": appYaml("web") });
    const first = fx.createSource({ url: server.url("remote"), auth });
    await first.start();
    await first.stop();
    await server.goAway();
    const second = fx.createSource({ url: server.url("remote"), auth, paths: ["other"] });
    await second.start();
    expect(second.current()).toBeUndefined();
    expect(fx.log.lines.find((e) => e.msg === "snapshot ignored")?.err).toMatch(/another fingerprint/);
  });
});

describe("fetching", () => {
  test("concurrent refreshes share one fetch", async () => {
    await fx.repo.commit("c1", { "apps/web.yaml": appYaml("web") });
    const source = fx.createSource({ url: server.url("remote"), auth });
    await source.start();
    await fx.repo.commit("c2", { "apps/api.yaml": appYaml("api") });
    const fetchesBefore = server.fetches;
    const [a, b] = await Promise.all([source.refresh("one"), source.refresh("two")]);
    expect(a).toBe(b);
    expect(a.kind).toBe("updated");
    expect(server.fetches - fetchesBefore).toBe(1);
  });

  test("a remote that never answers is cut off at the fetch timeout", async () => {
    await fx.repo.commit("c1", { "apps/web.yaml": appYaml("web") });
    const source = fx.createSource({ url: server.url("remote"), auth }, { fetchTimeoutMs: 500 });
    await source.start();
    server.hang(true);
    const started = Date.now();
    const result = await source.refresh("test");
    expect(result).toEqual({ kind: "failed", error: "git fetch timed out after 500 ms" });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(source.current()).toBeDefined();
  });
});
