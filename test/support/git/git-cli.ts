// Runs the real git CLI for tests, isolated from the machine's git configuration, with a fixed
// committer identity, so that tests behave the same everywhere.
import { execFile } from "node:child_process";
import { devNull } from "node:os";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Environment for test git processes: no global or system config, a fixed identity. */
export function testGitEnv(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    HOME: home,
    LANG: "C",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: devNull,
    GIT_AUTHOR_NAME: "Test Author",
    GIT_AUTHOR_EMAIL: "author@example.test",
    GIT_COMMITTER_NAME: "Test Committer",
    GIT_COMMITTER_EMAIL: "committer@example.test",
    GIT_TERMINAL_PROMPT: "0",
  };
}

/** The environment a GitSource under test starts git from: the same isolation, nothing else. */
export function sourceBaseEnv(home: string): Record<string, string> {
  return { PATH: process.env.PATH ?? "", HOME: home, LANG: "C", GIT_CONFIG_NOSYSTEM: "1" };
}

export async function git(cwd: string, home: string, args: readonly string[]): Promise<string> {
  const { stdout } = await run("git", [...args], { cwd, env: testGitEnv(home), maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}
