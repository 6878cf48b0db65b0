// GitSource over a real SSH transport on loopback: Debian's OpenSSH server (test/support/sshd.ts) serves
// the test repository, the source's key and known_hosts files come from its config as in production
// (credentials.ts runs ssh with StrictHostKeyChecking=yes). A changed host key and a refused key fail the
// fetch with an error that says what to do, the last good revision keeps serving, and no byte of a
// private key reaches a log line, a status (what /readyz shows) or a refresh result.
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { repoDir } from "../../src/sources/state-paths.js";
import type { GitSource, RefreshResult, SourceAuth } from "../../src/sources/types.js";
import {
  type KeyPair,
  keyFragments,
  makeKeyPair,
  requireSshd,
  type SshServer,
  startSshServer,
} from "../support/sshd.js";
import { appYaml, createSourceFixture, type SourceFixture } from "./source-fixture.js";

const found = requireSshd();
if (found.skipReason !== undefined) console.warn(`git-source-ssh: ${found.skipReason}`);

describe.skipIf(found.sshd === undefined)("a source over SSH", { timeout: 60_000 }, () => {
  let fx: SourceFixture;
  let server: SshServer;
  let clientKey: KeyPair;
  let auth: Extract<SourceAuth, { kind: "ssh" }>;
  // Everything the source showed: refresh results are kept too, since /refresh answers carry them.
  const results: RefreshResult[] = [];

  const trustCurrentHostKey = () => writeFile(auth.knownHostsFile, `${server.knownHostsLine()}\n`);
  // Each fetch is an SSH handshake and a login: bounded, with room for two shared, busy cores.
  const createSource = () =>
    fx.createSource({ url: server.url(fx.repo.dir), auth }, { fetchTimeoutMs: 30_000 });
  const refresh = async (source: GitSource, reason: string) => {
    const result = await source.refresh(reason);
    results.push(result);
    return result;
  };

  beforeEach(async () => {
    results.length = 0;
    fx = await createSourceFixture();
    clientKey = await makeKeyPair(fx.tmp, "client-key");
    const sshdDir = join(fx.tmp, "sshd");
    await mkdir(sshdDir);
    server = await startSshServer({
      sshd: found.sshd as string,
      dir: sshdDir,
      authorizedKeys: [clientKey.publicKey],
    });
    auth = {
      kind: "ssh",
      privateKeyFile: clientKey.privateKeyFile,
      knownHostsFile: join(fx.tmp, "known_hosts"),
    };
    await trustCurrentHostKey();
  });
  afterEach(async () => {
    await server?.stop();
    await fx?.cleanup();
  });

  test("key authentication with known_hosts: the commit is served, and a new one is picked up", async () => {
    const c1 = await fx.repo.commit("c1", { "apps/web.yaml": appYaml("web") });
    const source = createSource();
    await source.start();
    expect(source.status().state, server.output()).toMatchObject({ kind: "synced", commit: c1 });
    expect([...(source.current()?.files.keys() ?? [])]).toEqual(["apps/web.yaml"]);
    const c2 = await fx.repo.commit("c2", { "apps/api.yaml": appYaml("api") });
    expect(await refresh(source, "test")).toMatchObject({ kind: "updated", from: c1, to: c2 });
    expect(source.status().state).toMatchObject({ kind: "synced", commit: c2 });
    expect(source.status().url).toMatch(/^ssh:\/\/\*\*\*@127\.0\.0\.1:\d+\//);
  });

  test("a changed host key is refused with what to do; the last good revision keeps serving", async () => {
    const c1 = await fx.repo.commit("c1", { "apps/web.yaml": appYaml("web") });
    const source = createSource();
    await source.start();
    const served = source.current();
    expect(served?.commit).toBe(c1);
    await server.restartWithNewHostKey();
    const c2 = await fx.repo.commit("c2", { "apps/api.yaml": appYaml("api") });
    const failed = await refresh(source, "test");
    const hostKeyChanged = new RegExp(
      `host key of \\[127\\.0\\.0\\.1\\]:${server.port} has changed.*put its new public key in knownHostsFile`,
    );
    expect(failed).toMatchObject({ kind: "failed", error: expect.stringMatching(hostKeyChanged) });
    // What /readyz shows: failing, with the same error, still at the last good commit.
    expect(source.status().state).toMatchObject({
      kind: "failing",
      commit: c1,
      error: failed.kind === "failed" ? failed.error : "",
    });
    expect(source.current()).toBe(served);
    expect(fx.log.lines.find((line) => line.msg === "source refresh failed")).toMatchObject({
      err: expect.stringMatching(hostKeyChanged),
      serving: c1,
    });
    // Trusting the new key (as the operator would, after checking it) ends the failure.
    await trustCurrentHostKey();
    expect(await refresh(source, "again")).toMatchObject({ kind: "updated", from: c1, to: c2 });
  });

  test("a host missing from known_hosts is refused, never trusted on first use", async () => {
    await fx.repo.commit("c1", { "apps/web.yaml": appYaml("web") });
    await writeFile(auth.knownHostsFile, "");
    const source = createSource();
    await source.start();
    expect(source.status().state).toMatchObject({
      kind: "failing",
      error: expect.stringMatching(/is not in the source's auth\.knownHostsFile/),
    });
    expect(await readFile(auth.knownHostsFile, "utf8")).toBe("");
  });

  test("a key the server does not accept fails clearly; the last good revision keeps serving", async () => {
    const c1 = await fx.repo.commit("c1", { "apps/web.yaml": appYaml("web") });
    const source = createSource();
    await source.start();
    const served = source.current();
    // The Secret is rotated to a key the Git server was never told about.
    const stranger = await makeKeyPair(fx.tmp, "stranger-key");
    await writeFile(auth.privateKeyFile, await readFile(stranger.privateKeyFile), { mode: 0o600 });
    await fx.repo.commit("c2", { "apps/api.yaml": appYaml("api") });
    expect(await refresh(source, "test")).toMatchObject({
      kind: "failed",
      error: expect.stringMatching(/refused the key of the source's auth\.sshKeyFile/),
    });
    expect(source.status().state).toMatchObject({ kind: "failing", commit: c1 });
    expect(source.current()).toBe(served);
  });

  test("a key file others can read is named as the cause, not the server's refusal", async () => {
    await fx.repo.commit("c1", { "apps/web.yaml": appYaml("web") });
    await chmod(auth.privateKeyFile, 0o644);
    const source = createSource();
    await source.start();
    expect(source.status().state).toMatchObject({
      kind: "failing",
      error: expect.stringMatching(/auth\.sshKeyFile: its mode 0644 lets others read it/),
    });
    await chmod(auth.privateKeyFile, 0o400);
    expect(await refresh(source, "mode fixed")).toMatchObject({ kind: "updated" });
  });

  test("no private key material in any log line, status or result, through success and every failure", async () => {
    const privateKeys = [await readFile(auth.privateKeyFile, "utf8")];
    await fx.repo.commit("c1", { "apps/web.yaml": appYaml("web") });
    const source = createSource();
    await source.start();
    const statuses = [JSON.stringify(source.status())];
    await server.restartWithNewHostKey();
    await refresh(source, "host key changed");
    statuses.push(JSON.stringify(source.status()));
    await trustCurrentHostKey();
    const stranger = await makeKeyPair(fx.tmp, "stranger-key");
    privateKeys.push(await readFile(stranger.privateKeyFile, "utf8"));
    await writeFile(auth.privateKeyFile, privateKeys[1] as string, { mode: 0o600 });
    await refresh(source, "key refused");
    statuses.push(JSON.stringify(source.status()));
    await writeFile(auth.privateKeyFile, privateKeys[0] as string, { mode: 0o600 });
    await fx.repo.commit("c2", { "apps/api.yaml": appYaml("api") });
    expect(await refresh(source, "recovered")).toMatchObject({ kind: "updated" });
    statuses.push(JSON.stringify(source.status()));

    const exposed = [
      fx.log.text(),
      ...statuses,
      JSON.stringify(results),
      await readFile(join(repoDir(fx.stateDir, "demo"), "config"), "utf8"),
    ].join("\n");
    expect(fx.log.lines.length).toBeGreaterThan(3);
    for (const key of privateKeys) {
      const { body, fragments } = keyFragments(key);
      expect(body.length).toBeGreaterThan(100);
      for (const secret of fragments) expect(exposed).not.toContain(secret);
    }
  });
});
