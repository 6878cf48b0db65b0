// The git CLI for the benchmark's own repositories, isolated from the machine's and the user's git
// configuration (hooks, signing, templates would change timings) and with a fixed identity.
import { devNull } from "node:os";
import { type RunResult, run } from "./exec.js";

export function gitEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    LANG: "C",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: devNull,
    GIT_AUTHOR_NAME: "driftguard bench",
    GIT_AUTHOR_EMAIL: "bench@driftguard.invalid",
    GIT_COMMITTER_NAME: "driftguard bench",
    GIT_COMMITTER_EMAIL: "bench@driftguard.invalid",
    GIT_TERMINAL_PROMPT: "0",
  };
}

export function git(cwd: string, args: readonly string[], timeoutMs = 300_000): Promise<RunResult> {
  return run("git", args, { cwd, env: gitEnv(), timeoutMs });
}

/** `git init` + add everything + one commit: the repository a source will clone. */
export async function commitAll(dir: string, message: string): Promise<void> {
  await git(dir, ["init", "-q", "--initial-branch=main"]);
  await git(dir, ["add", "-A"]);
  await git(dir, ["commit", "-q", "--no-verify", "-m", message]);
}
