// The objects of one head's first-parent history, built back in time only as far as a question needs.
// Each older revision is made from the newer one by buildRevision (only the files a commit changed
// are read and parsed), and only what changed is kept per commit: the walk is shared by every object
// asked about, and costs memory in proportion to the changes walked, not to the size of the tree.
import type { Logger } from "pino";
import { type AppRendering, type AppStepResult, stepApps } from "../render/app-step.js";
import { BlobPrefetch } from "./blob-prefetch.js";
import { commitTree } from "./commit-tree.js";
import type { TreeEntry } from "./git-repo.js";
import { applyStep, type HistoryStep, readHistorySteps } from "./history-log.js";
import { MAX_FILE_BYTES } from "./manifest-parser.js";
import { buildRevision, type FileNotices } from "./revision-builder.js";
import type { PreparedRepo } from "./source-setup.js";
import type { ManifestDoc, ObjectVersion, SourceConfig, SourceRevision } from "./types.js";

/** An object's docs at a commit; null when unknown (a file that may hold it does not parse there). */
type Docs = readonly ManifestDoc[] | null;

interface Frontier {
  blobs: BlobPrefetch;
  steps: HistoryStep[];
  next: number;
  entries: Map<string, TreeEntry>;
  revision: SourceRevision;
}

export interface WalkResult {
  versions: ObjectVersion[];
  /** True when no older state can be found: the limit was met, or the history (or the cap) is walked. */
  complete: boolean;
}

export class HistoryWalk {
  /** Per walked commit, oldest last: the objects whose docs differ from the next newer commit's. */
  private readonly changes: Array<{ commit: string; docs: Map<string, Docs> }> = [];
  private readonly notices: FileNotices = new WeakMap();
  private frontier: Frontier | undefined;
  private done = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly config: SourceConfig,
    private readonly head: SourceRevision,
    private readonly maxCommits: number,
    /** Renders the apps whose inputs an older commit changed; without it, apps keep their current render. */
    private readonly rendering?: { rendering: AppRendering; logger: Logger } | undefined,
  ) {}

  get commit(): string {
    return this.head.commit;
  }

  /** Walks back until `limit` distinct states of `key` are known. One walk step at a time. */
  read(prepare: () => Promise<PreparedRepo>, key: string, limit: number): Promise<WalkResult> {
    const run = async (): Promise<WalkResult> => {
      let result = this.known(key, limit);
      while (!result.complete) {
        // Only a step that changed the object (or the end of the walk) can change the answer.
        if ((await this.stepBack(prepare)).has(key) || this.done) result = this.known(key, limit);
      }
      return result;
    };
    const next = this.queue.then(run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * What the commits walked so far say, without reading Git. A state is named by the oldest walked
   * commit of its run, which is the commit that wrote it once the walk has gone past it.
   */
  known(key: string, limit: number): WalkResult {
    const versions: ObjectVersion[] = [];
    const seen = new Set<string>();
    let run: string | undefined; // the signature of the last version, while its run goes on
    const visit = (commit: string, docs: Docs) => {
      const signature = docs === null ? undefined : signatureOf(docs);
      if (docs !== null && signature === run) {
        versions[versions.length - 1] = Object.freeze({ commit, docs });
        return;
      }
      run = undefined;
      if (docs === null || signature === undefined || seen.has(signature) || versions.length >= limit) return;
      seen.add(signature);
      versions.push(Object.freeze({ commit, docs }));
      run = signature;
    };
    let docs = stateIn(this.head, key);
    visit(this.head.commit, docs);
    for (const change of this.changes) {
      if (change.docs.has(key)) docs = change.docs.get(key) ?? null;
      visit(change.commit, docs);
    }
    return { versions, complete: this.done || versions.length >= limit };
  }

  /** Walks one commit back; returns the objects that changed there. */
  private async stepBack(prepare: () => Promise<PreparedRepo>): Promise<ReadonlyMap<string, Docs>> {
    this.frontier ??= await this.start(await prepare());
    const frontier = this.frontier;
    const step = frontier.steps[frontier.next];
    if (step?.parent === undefined) {
      // A root commit (nothing before it), or every step read: the cap, or the whole history.
      this.done = true;
      return new Map();
    }
    await frontier.blobs.ahead(frontier.steps, frontier.next);
    applyStep(frontier.entries, step);
    // The tree before this step is the tree of the next older commit that touched the paths (nothing
    // in between did), or of the parent itself when there is none left in the log.
    const commit = frontier.steps[frontier.next + 1]?.commit ?? step.parent;
    const entries = [...frontier.entries.values()];
    const { revision } = await buildRevision({
      source: this.config.name,
      commit,
      fetchedAt: this.head.fetchedAt,
      namespace: this.config.namespace,
      paths: this.config.paths,
      apps: this.config.apps,
      // Only the apps whose inputs this commit changed render again (the fingerprint says which).
      renderApps: this.renderStep(await prepare(), commit, entries, frontier.revision),
      entries,
      previous: frontier.revision,
      notices: this.notices,
      readBlobs: frontier.blobs.reader,
    });
    const docs = changedObjects(frontier.revision, revision);
    this.changes.push({ commit, docs });
    frontier.revision = revision;
    frontier.next += 1;
    return docs;
  }

  private renderStep(
    { repo, env }: PreparedRepo,
    commit: string,
    entries: readonly TreeEntry[],
    newer: SourceRevision,
  ): (() => Promise<AppStepResult>) | undefined {
    const { rendering } = this;
    if (rendering === undefined || !hasRenderedApps(this.config)) return undefined;
    return async () => {
      const tree = commitTree(repo.dir, env, entries);
      try {
        return await stepApps(rendering.rendering, {
          past: true,
          source: this.config.name,
          commit,
          apps: this.config.apps ?? [],
          tree,
          previous: newer,
          notices: this.notices,
          logger: rendering.logger,
        });
      } finally {
        tree.close();
      }
    };
  }

  private async start({ repo, env }: PreparedRepo): Promise<Frontier> {
    const blobs = new BlobPrefetch({ dir: repo.dir, env, maxBytes: MAX_FILE_BYTES });
    const steps = await readHistorySteps(repo, this.head.commit, historyPaths(this.config), this.maxCommits);
    const entries = new Map((await repo.listTree(this.head.commit)).map((entry) => [entry.path, entry]));
    return { blobs, steps, next: 0, entries, revision: this.head };
  }
}

/** The objects of the files that differ between two revisions, with their docs in `older`. */
function changedObjects(newer: SourceRevision, older: SourceRevision): Map<string, Docs> {
  const keys = new Set<string>();
  const collect = (docs: readonly ManifestDoc[] | undefined) => {
    for (const doc of docs ?? []) keys.add(keyOf(doc));
  };
  for (const [path, state] of older.files) {
    const before = newer.files.get(path);
    if (before !== state) {
      collect(before?.docs);
      collect(state.docs);
    }
  }
  for (const [path, state] of newer.files) if (!older.files.has(path)) collect(state.docs);
  return new Map([...keys].map((key) => [key, stateIn(older, key)]));
}

/** The docs of `key` in a revision; null when a file that does not parse there may hold it. */
function stateIn(revision: SourceRevision, key: string): Docs {
  const docs: ManifestDoc[] = [];
  for (const state of revision.files.values()) {
    for (const doc of state.docs) {
      if (keyOf(doc) !== key) continue;
      // A broken file serves docs from another commit: what it said at this one is unknown.
      if (state.error !== undefined) return null;
      docs.push(doc);
    }
  }
  return Object.freeze(docs);
}

// Contents are compared as text, once per docs list (a list is shared by every commit of its run).
const signatures = new WeakMap<readonly ManifestDoc[], string>();
function signatureOf(docs: readonly ManifestDoc[]): string {
  let signature = signatures.get(docs);
  if (signature === undefined) {
    signature = JSON.stringify(docs.map((doc) => doc.object));
    signatures.set(docs, signature);
  }
  return signature;
}

function keyOf(doc: ManifestDoc): string {
  return `${doc.namespace}/${doc.name}`;
}

/**
 * The paths whose commits change manifests: plain paths, and apps that may be plain folders. A rendered
 * app reads folders its kustomization reaches, anywhere in the repository, and its copy must be exact:
 * with one, every commit is a step.
 */
function historyPaths(config: SourceConfig): string[] {
  if (hasRenderedApps(config)) return ["."];
  const folders = (config.apps ?? []).filter((app) => app.type === "directory" || app.type === "auto");
  return [...config.paths, ...folders.map((app) => app.path)];
}

function hasRenderedApps(config: SourceConfig): boolean {
  return (config.apps ?? []).some((app) => app.type !== "directory");
}
