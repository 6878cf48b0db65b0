import { execFile } from "node:child_process";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import {
  credentialEnv,
  sshCommand,
  TOKEN_FILE_VAR,
  USERNAME_FILE_VAR,
  writeAskpassScript,
} from "../../src/sources/credentials.js";
import { buildGitEnv } from "../../src/sources/git-env.js";
import { appYaml, createSourceFixture } from "./source-fixture.js";

const run = promisify(execFile);

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), "driftguard-credentials-"));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("askpass script", () => {
  test("is private to its owner and answers from the files", async () => {
    const script = await writeAskpassScript(tmp);
    expect((await stat(script)).mode & 0o777).toBe(0o700);
    await writeFile(join(tmp, "user"), "robot\n");
    await writeFile(join(tmp, "token"), "t0ken\n");
    const env = {
      PATH: process.env.PATH ?? "",
      [USERNAME_FILE_VAR]: join(tmp, "user"),
      [TOKEN_FILE_VAR]: join(tmp, "token"),
    };
    expect((await run(script, ["Username for 'https://h': "], { env })).stdout).toBe("robot\n");
    expect((await run(script, ["Password for 'https://robot@h': "], { env })).stdout).toBe("t0ken\n");
    const { [USERNAME_FILE_VAR]: _, ...withoutUser } = env;
    expect((await run(script, ["Username for 'https://h': "], { env: withoutUser })).stdout).toBe("git\n");
  });
});

describe("credential environment", () => {
  test("https: the askpass script and the file paths, never a secret", () => {
    const env = credentialEnv({ kind: "https", tokenFile: "/secrets/token" }, "/state/bin/git-askpass.sh");
    expect(env).toEqual({ GIT_ASKPASS: "/state/bin/git-askpass.sh", [TOKEN_FILE_VAR]: "/secrets/token" });
  });

  test("ssh: key and known_hosts, host keys always checked, quoted for the shell", () => {
    const command = sshCommand({
      kind: "ssh",
      privateKeyFile: "/keys/it's key",
      knownHostsFile: "/keys/known_hosts",
    });
    expect(command).toBe(
      "ssh -i '/keys/it'\\''s key' -o IdentitiesOnly=yes -o UserKnownHostsFile='/keys/known_hosts' " +
        "-o StrictHostKeyChecking=yes -o BatchMode=yes",
    );
  });

  test("variables that could redirect git are dropped from the base environment", () => {
    const env = buildGitEnv(
      {
        PATH: "/bin",
        GIT_DIR: "/elsewhere",
        GIT_SSH_COMMAND: "evil",
        EDITOR: "vi",
        GIT_SSL_CAINFO: "/ca.pem",
      },
      { GIT_ASKPASS: "/askpass" },
    );
    expect(env).toEqual({
      PATH: "/bin",
      GIT_SSL_CAINFO: "/ca.pem",
      GIT_TERMINAL_PROMPT: "0",
      GIT_ALLOW_PROTOCOL: "file:git:http:https:ssh",
      GIT_ASKPASS: "/askpass",
    });
  });
});

describe("ssh transport", () => {
  test("git runs our ssh command (simple-git lets it through) and fails without prompting", async () => {
    const fx = await createSourceFixture();
    try {
      await fx.repo.commit("c1", { "apps/web.yaml": appYaml("web") });
      await writeFile(join(fx.tmp, "known_hosts"), "");
      await writeFile(join(fx.tmp, "key"), "not a key\n", { mode: 0o600 });
      const auth = {
        kind: "ssh" as const,
        privateKeyFile: join(fx.tmp, "key"),
        knownHostsFile: join(fx.tmp, "known_hosts"),
      };
      // Port 1 on loopback: nothing listens, so ssh itself must report the failure.
      const source = fx.createSource({ url: "ssh://git@127.0.0.1:1/remote", auth });
      await source.start();
      const { state } = source.status();
      expect(state).toMatchObject({
        kind: "failing",
        error: expect.stringMatching(
          /^git fetch failed: ssh: connect to host 127.0.0.1 port 1: Connection refused; fatal:/,
        ),
      });
      expect(state.kind === "failing" && state.error).not.toMatch(/environment guard|unsafe/i);
    } finally {
      await fx.cleanup();
    }
  });
});
