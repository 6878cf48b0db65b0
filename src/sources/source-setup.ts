// What a Git source needs before its first fetch: the credential environment, the local clone and
// the identity its snapshot must match.
import { createHash } from "node:crypto";
import { isAbsolute, resolve } from "node:path";
import type { Logger } from "pino";
import type { AppRendering } from "../render/app-step.js";
import { credentialEnv, writeAskpassScript } from "./credentials.js";
import { buildGitEnv } from "./git-env.js";
import { createGitRepo, type GitRepo } from "./git-repo.js";
import { PARSER_VERSION } from "./manifest-parser.js";
import type { FileParser } from "./parse-pool.js";
import { redactUrl } from "./redact.js";
import type { SnapshotIdentity } from "./snapshot-codec.js";
import { repoDir } from "./state-paths.js";
import type { SourceConfig } from "./types.js";

export interface GitSourceDeps {
  stateDir: string;
  /** How many revisions history() keeps (docs/contract.md §5, gitops.revisions). */
  revisions: number;
  logger: Logger;
  now?: () => number;
  /** Bound on one fetch; git is killed when it is reached. Default 20 s. */
  fetchTimeoutMs?: number;
  /** Environment git starts from (PATH, HOME, proxies). Default: this process's environment. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Commits touching the source's paths walked at most when reading history. Default 1,000. */
  historyMaxCommits?: number;
  /** Render tools and bounds, shared by every source; default: kustomize and helm on PATH. */
  rendering?: AppRendering;
  /** Parses the files of a large change off the main thread (the process's parse pool); default: in-thread. */
  parser?: FileParser;
}

export interface PreparedRepo {
  repo: GitRepo;
  /** The environment every git process of this source runs with. */
  env: Record<string, string>;
}

const DEFAULT_FETCH_TIMEOUT_MS = 20_000;

export async function prepareRepo(config: SourceConfig, deps: GitSourceDeps): Promise<PreparedRepo> {
  const askpass = config.auth?.kind === "https" ? await writeAskpassScript(deps.stateDir) : undefined;
  const env = buildGitEnv(deps.env ?? process.env, credentialEnv(config.auth, askpass));
  const repo = createGitRepo({
    dir: repoDir(deps.stateDir, config.name),
    url: remoteUrl(config.url),
    env,
    fetchTimeoutMs: deps.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS,
  });
  await repo.ensure();
  return { repo, env };
}

/** git runs in the clone's folder, so a relative local path is made absolute first. */
function remoteUrl(url: string): string {
  const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(url);
  // scp-like `host:path` or `user@host:path`: a colon before any slash.
  const isScpLike = /^[^/]+:/.test(url);
  return isUrl || isScpLike || isAbsolute(url) ? url : resolve(url);
}

export function snapshotIdentity(config: SourceConfig): SnapshotIdentity {
  // The redacted URL: a rotated token must not throw the snapshot away, another repository must.
  const shaping = {
    url: redactUrl(config.url),
    ref: config.ref ?? null,
    paths: config.paths,
    apps: config.apps ?? [],
    namespace: config.namespace,
  };
  const fingerprint = createHash("sha256").update(JSON.stringify(shaping)).digest("hex");
  return { source: config.name, fingerprint, parserVersion: PARSER_VERSION };
}
