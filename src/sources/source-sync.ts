// One sync of a Git source: fetch, resolve the ref, and build the new revision when the commit
// moved. Never throws: a failure is a result, and what is served stays as it was.
import type { Logger } from "pino";
import { type AppRendering, stepApps } from "../render/app-step.js";
import { readBlobs } from "./blob-reader.js";
import { commitTree } from "./commit-tree.js";
import { checkCredentialFiles } from "./credentials.js";
import { MAX_FILE_BYTES } from "./manifest-parser.js";
import type { FileParser } from "./parse-pool.js";
import { describeError } from "./redact.js";
import { type BuildResult, buildRevision, type FileNotices } from "./revision-builder.js";
import type { PreparedRepo } from "./source-setup.js";
import type { SourceState } from "./source-state.js";
import type { RefreshResult, SourceConfig, SourceRevision } from "./types.js";

export interface SyncContext {
  config: SourceConfig;
  now: () => number;
  logger: Logger;
  state: SourceState;
  notices: FileNotices;
  prepare: () => Promise<PreparedRepo>;
  /** Tools and bounds of the renders, shared by every source of the process. */
  rendering: AppRendering;
  parser: FileParser | undefined;
  /** Makes a built revision current (history, snapshot, listeners); `forget`: the history before it. */
  install: (revision: SourceRevision, previous: SourceRevision | undefined, forget: boolean) => void;
}

export async function syncSource(context: SyncContext, reason: string): Promise<RefreshResult> {
  const { state, logger, now } = context;
  const started = now();
  state.attempted(started);
  try {
    const prepared = await context.prepare();
    await checkCredentialFiles(context.config.auth);
    await prepared.repo.fetch(context.config.ref);
    const commit = await prepared.repo.resolve(context.config.ref);
    const previous = state.current();
    if (previous?.commit === commit) {
      state.succeeded();
      return { kind: "unchanged", commit };
    }
    const { revision, changedFiles, parsed } = await buildNext(context, prepared, commit, previous);
    // A force-push: what was served before is no longer in the ref's history (docs/contract.md §2).
    const forget = previous !== undefined && !(await prepared.repo.isAncestor(previous.commit, commit));
    context.install(revision, previous, forget);
    state.succeeded();
    const ms = now() - started;
    logger.info({ reason, from: previous?.commit, to: commit, changedFiles, parsed, ms }, "source updated");
    return { kind: "updated", from: previous?.commit, to: commit, changedFiles };
  } catch (error) {
    const message = describeError(error);
    state.failed(message);
    logger.warn({ reason, err: message, serving: state.current()?.commit }, "source refresh failed");
    return { kind: "failed", error: message };
  }
}

async function buildNext(
  context: SyncContext,
  { repo, env }: PreparedRepo,
  commit: string,
  previous: SourceRevision | undefined,
): Promise<BuildResult> {
  const { config } = context;
  const entries = await repo.listTree(commit);
  const apps = config.apps ?? [];
  const renderApps = async () => {
    // The tree's git process serves every read of the step, then ends with it.
    const tree = commitTree(repo.dir, env, entries);
    try {
      return await stepApps(context.rendering, {
        source: config.name,
        commit,
        apps,
        tree,
        previous,
        notices: context.notices,
        logger: context.logger,
      });
    } finally {
      tree.close();
    }
  };
  return buildRevision({
    source: config.name,
    commit,
    fetchedAt: context.now(),
    namespace: config.namespace,
    paths: config.paths,
    apps,
    renderApps,
    entries,
    previous,
    notices: context.notices,
    readBlobs: (blobs, onBlob) => readBlobs({ dir: repo.dir, env, maxBytes: MAX_FILE_BYTES }, blobs, onBlob),
    parser: context.parser,
  });
}
