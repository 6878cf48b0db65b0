// The local bare clone of one source, driven through simple-git. Only this file and blob-reader.ts
// start git processes. The remote URL reaches git through the environment (GIT_CONFIG_*), so that a
// URL with credentials is neither written to disk nor visible in the process list.
import { realpath, rm } from "node:fs/promises";
import { type SimpleGit, simpleGit } from "simple-git";
import { makeDirectory } from "../make-directory.js";
import { ALLOWED_GIT_ENV, SIMPLE_GIT_UNSAFE } from "./git-env.js";
import { checkRef, isCommitId, parseTree, type TreeEntry } from "./git-parse.js";
import { SourceError } from "./source-error.js";
import { sshFailure } from "./ssh-failure.js";

export type { TreeEntry } from "./git-parse.js";

export interface GitRepoOptions {
  dir: string;
  url: string;
  /** From buildGitEnv. */
  env: Readonly<Record<string, string>>;
  fetchTimeoutMs: number;
}

export interface GitRepo {
  readonly dir: string;
  /** Creates the bare repository, or re-creates it when it is damaged. */
  ensure(): Promise<void>;
  /** Fetches every branch and tag (forced: force-pushes win), and the remote HEAD when `ref` is unset. */
  fetch(ref: string | undefined): Promise<void>;
  /** The commit `ref` names (branch, tag, full commit id; undefined = remote HEAD). */
  resolve(ref: string | undefined): Promise<string>;
  /** Every blob of a commit's tree. */
  listTree(commit: string): Promise<TreeEntry[]>;
  /**
   * `git log --first-parent --raw` from `commit`, newest first, at most `maxCount` commits, limited to
   * `pathspecs` when given: every commit's changes against its first parent, full blob ids, -z output.
   */
  firstParentLog(commit: string, pathspecs: readonly string[], maxCount: number): Promise<string>;
  /** True when `ancestor` is `commit` or one of its ancestors (false on any doubt). */
  isAncestor(ancestor: string, commit: string): Promise<boolean>;
}

const REMOTE_HEAD = "refs/driftguard/remote-head";
const REFSPECS = ["+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"];
// Only fetched when needed: a remote whose HEAD names a missing branch fails any fetch of HEAD.
const HEAD_REFSPEC = `+HEAD:${REMOTE_HEAD}`;
// Set by repoEnv() below, on top of the source's environment.
const REPO_ENV = [
  "GIT_CONFIG_COUNT",
  "GIT_CONFIG_KEY_0",
  "GIT_CONFIG_VALUE_0",
  "GIT_HTTP_LOW_SPEED_LIMIT",
  "GIT_HTTP_LOW_SPEED_TIME",
];
// Local commands read a repository on local disk; this only stops a wedged process.
const LOCAL_TIMEOUT_MS = 60_000;

export function createGitRepo(options: GitRepoOptions): GitRepo {
  const env = repoEnv(options);
  const git = (signal?: AbortSignal): SimpleGit =>
    simpleGit({
      baseDir: options.dir,
      allowEnvironment: [...ALLOWED_GIT_ENV, ...REPO_ENV],
      unsafe: { ...SIMPLE_GIT_UNSAFE, allowUnsafeConfigEnvCount: true },
      timeout: { block: LOCAL_TIMEOUT_MS },
      ...(signal === undefined ? {} : { abort: signal }),
    }).env(env);
  const local = async (args: string[]): Promise<string> => {
    try {
      return await git().raw(args);
    } catch (error) {
      throw new SourceError("GIT_FAILED", `git ${args[0]} failed`, { cause: error });
    }
  };
  const remote = (args: string[]) => runBounded(git, args, options.fetchTimeoutMs);
  return {
    dir: options.dir,
    ensure: () => ensureRepository(options.dir, local),
    fetch: (ref) => {
      const refspecs = ref === undefined || ref === "HEAD" ? [...REFSPECS, HEAD_REFSPEC] : REFSPECS;
      return remote(["fetch", "--prune", "--no-tags", "--no-write-fetch-head", "origin", ...refspecs]);
    },
    resolve: (ref) => resolveRef(ref, local, remote),
    listTree: async (commit) => parseTree(await local(["ls-tree", "-r", "-z", "--full-tree", commit])),
    firstParentLog: (commit, pathspecs, maxCount) => local(logArgs(commit, pathspecs, maxCount)),
    // `merge-base --is-ancestor` answers by exit code, which simple-git does not report: the merge
    // base of an ancestor and its descendant is the ancestor itself.
    isAncestor: async (ancestor, commit) =>
      (await local(["merge-base", ancestor, commit]).catch(() => "")).trim() === ancestor,
  };
}

function logArgs(commit: string, pathspecs: readonly string[], maxCount: number): string[] {
  if (!isCommitId(commit)) throw new SourceError("BAD_REF", `${JSON.stringify(commit)} is not a commit id`);
  const format = ["--format=%H %P", "--raw", "--no-abbrev", "--no-renames", "--diff-merges=first-parent"];
  const limit = pathspecs.length === 0 ? [] : ["--", ...pathspecs];
  return ["log", "--first-parent", "-z", `--max-count=${maxCount}`, ...format, commit, ...limit];
}

function repoEnv(options: GitRepoOptions): Record<string, string> {
  // A killed `git fetch` can leave its HTTP helper behind; curl's low-speed limit ends it too.
  const seconds = String(Math.max(1, Math.ceil(options.fetchTimeoutMs / 1000)));
  return {
    ...options.env,
    GIT_CONFIG_COUNT: "1",
    GIT_CONFIG_KEY_0: "remote.origin.url",
    GIT_CONFIG_VALUE_0: options.url,
    GIT_HTTP_LOW_SPEED_LIMIT: "1",
    GIT_HTTP_LOW_SPEED_TIME: seconds,
  };
}

async function runBounded(git: (signal: AbortSignal) => SimpleGit, args: string[], timeoutMs: number) {
  const controller = new AbortController();
  // The abort kills git: a remote that accepts the connection and then says nothing must not
  // hold a refresh (and the admission requests waiting on it) past its bound.
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    await git(controller.signal).raw(args);
  } catch (error) {
    if (controller.signal.aborted) {
      throw new SourceError("FETCH_TIMEOUT", `git ${args[0]} timed out after ${timeoutMs} ms`);
    }
    throw sshFailure(error) ?? new SourceError("FETCH_FAILED", `git ${args[0]} failed`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

async function ensureRepository(dir: string, local: (args: string[]) => Promise<string>): Promise<void> {
  await makeDirectory(dir);
  // The folder must be a repository itself, not a folder inside some other repository.
  const gitDir = await local(["rev-parse", "--absolute-git-dir"]).catch(() => "");
  if (gitDir.trim() === (await realpath(dir))) return;
  // Whatever is there is not our clone (or is damaged): start over, the remote has everything.
  await rm(dir, { recursive: true, force: true });
  await makeDirectory(dir);
  await local(["init", "--bare", "--quiet"]);
  // Background gc would outlive stop() and race with removal of the state directory.
  await local(["config", "gc.autoDetach", "false"]);
}

async function resolveRef(
  ref: string | undefined,
  local: (args: string[]) => Promise<string>,
  remote: (args: string[]) => Promise<void>,
): Promise<string> {
  const verify = async (name: string) =>
    (await local(["rev-parse", "--verify", "--quiet", `${name}^{commit}`]).catch(() => "")).trim();
  if (ref === undefined || ref === "HEAD") return orFail(await verify(REMOTE_HEAD), "the remote HEAD");
  checkRef(ref);
  if (isCommitId(ref)) {
    // A commit no branch or tag reaches is fetched by id (servers allow this for reachable ones).
    if ((await verify(ref)) === "") await remote(["fetch", "--no-tags", "origin", ref]);
    return orFail(await verify(ref), ref);
  }
  const branch = ref.replace(/^refs\/heads\//, "");
  const tag = ref.replace(/^refs\/tags\//, "");
  for (const candidate of [`refs/remotes/origin/${branch}`, `refs/tags/${tag}`]) {
    const commit = await verify(candidate);
    if (commit !== "") return commit;
  }
  return orFail("", ref);
}

function orFail(commit: string, what: string): string {
  if (commit === "") throw new SourceError("REF_NOT_FOUND", `${what} was not found in the repository`);
  return commit;
}
