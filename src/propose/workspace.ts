// The Git side of a proposal: a throwaway working copy of the source's local clone at the compared
// commit, where the proposed files are written, diffed by git itself and, with --branch, committed and
// pushed to the source's remote with the source's own credentials. Besides git-repo.ts and
// blob-reader.ts, this is the one place that starts git: every process gets the source's environment
// (credentials through files and GIT_ASKPASS / GIT_SSH_COMMAND, never argv), and the remote URL reaches
// git through GIT_CONFIG_* only, so that a URL with a token is neither on disk nor in the process list.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DriftguardError } from "../errors.js";
import { describeError, redactText } from "../sources/redact.js";
import { sshFailure } from "../sources/ssh-failure.js";
import type { FileChange } from "./types.js";

const PUSH_REMOTE = "driftguard-source";
const PUSH_TIMEOUT_MS = 60_000;

export interface Workspace {
  /** Writes the files and returns git's unified diff of each (`--- a/path`, `+++ b/path`). */
  write(files: readonly FileChange[]): Promise<Array<{ path: string; diff: string }>>;
  /** Commits what was written on a new branch and pushes it to `url`; returns the commit id. */
  commitAndPush(branch: string, message: string, url: string): Promise<string>;
  close(): Promise<void>;
}

export async function openWorkspace(
  cloneDir: string,
  commit: string,
  env: Readonly<Record<string, string>>,
): Promise<Workspace> {
  const root = await mkdtemp(join(tmpdir(), "driftguard-propose-"));
  const dir = join(root, "repo");
  const git = (
    args: string[],
    extra: Record<string, string> = {},
    timeout = PUSH_TIMEOUT_MS,
    input?: string,
  ) => run(dir, args, { ...env, ...extra }, timeout, input);
  try {
    await run(root, ["clone", "--quiet", "--no-checkout", "--shared", cloneDir, dir], env, PUSH_TIMEOUT_MS);
    await git(["checkout", "--quiet", "--detach", commit]);
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw gitError("the compared commit cannot be checked out from the source's clone", error);
  }
  return {
    async write(files) {
      for (const file of files) {
        const target = join(dir, file.path);
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, file.after);
      }
      const paths = files.map((file) => file.path);
      await git(["add", "--", ...paths]);
      const out: Array<{ path: string; diff: string }> = [];
      for (const path of paths)
        out.push({
          path,
          diff: await git(["diff", "--cached", "--no-color", "--no-ext-diff", "--no-renames", "--", path]),
        });
      return out;
    },
    async commitAndPush(branch, message, url) {
      const author = {
        GIT_AUTHOR_NAME: "driftguard",
        GIT_AUTHOR_EMAIL: "driftguard@driftguard.invalid",
        GIT_COMMITTER_NAME: "driftguard",
        GIT_COMMITTER_EMAIL: "driftguard@driftguard.invalid",
      };
      await git(["checkout", "--quiet", "-b", branch]);
      await git(
        ["commit", "--quiet", "--no-verify", "--no-gpg-sign", "-F", "-"],
        author,
        PUSH_TIMEOUT_MS,
        message,
      );
      const id = (await git(["rev-parse", "HEAD"])).trim();
      const remote = {
        GIT_CONFIG_COUNT: "1",
        GIT_CONFIG_KEY_0: `remote.${PUSH_REMOTE}.url`,
        GIT_CONFIG_VALUE_0: url,
      };
      try {
        await git(["push", "--quiet", "--no-verify", PUSH_REMOTE, `HEAD:refs/heads/${branch}`], remote);
      } catch (error) {
        const ssh = sshFailure(error);
        throw new DriftguardError(
          "DG_PROPOSE_PUSH_FAILED",
          `git push of ${branch} failed: ${describeError(ssh ?? error)}`,
          {
            where: redactText(url),
            hint: "check that the source's credentials may push branches, and that the remote is reachable",
            cause: error,
          },
        );
      }
      return id;
    },
    close: () => rm(root, { recursive: true, force: true }),
  };
}

function run(
  cwd: string,
  args: string[],
  env: Readonly<Record<string, string>>,
  timeout: number,
  input?: string,
): Promise<string> {
  return new Promise((done, fail) => {
    const child = execFile(
      "git",
      args,
      { cwd, env, timeout, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) fail(new Error(redactText(`git ${args[0]} failed: ${stderr || error.message}`)));
        else done(stdout);
      },
    );
    // git may exit before reading its input (an error): that must fail the command, not the process.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(input ?? "");
  });
}

function gitError(what: string, error: unknown): DriftguardError {
  return new DriftguardError("DG_SOURCE_GIT_FAILED", `${what}: ${describeError(error)}`);
}
