// One Git source that keeps itself fresh (docs/contract.md §2): restores its snapshot, syncs on demand and on
// a timer (one fetch at a time), keeps the last few revisions and tells listeners about each new one.
// A failing remote never takes away what is being served.
import type { Logger } from "pino";
import type { ObjectKey } from "../core/types.js";
import type { AppRendering } from "../render/app-step.js";
import { createLimiter } from "../render/limiter.js";
import { DEFAULT_RENDERER_SETTINGS, findRenderTools, type RenderTools } from "../render/tools.js";
import { ObjectHistory } from "./object-history.js";
import { describeError } from "./redact.js";
import type { FileNotices } from "./revision-builder.js";
import { logRevisionChanges } from "./revision-log.js";
import { createSnapshotStore, type SnapshotStore } from "./snapshot-store.js";
import { type GitSourceDeps, type PreparedRepo, prepareRepo, snapshotIdentity } from "./source-setup.js";
import { createSourceState, type SourceState } from "./source-state.js";
import { type SyncContext, syncSource } from "./source-sync.js";
import { snapshotPath } from "./state-paths.js";
import type {
  GitSource,
  ObjectVersion,
  RefreshResult,
  RendererSettings,
  SourceConfig,
  SourceRevision,
  SourceStatus,
} from "./types.js";

export type { GitSourceDeps } from "./source-setup.js";

// A history read runs while an admission request waits (bounded there by refresh.timeout, going on in
// the background after). 1,000 commits that change the source's files go back further than any
// rollback a controller does, and keep a pathological repository from costing unbounded time and memory.
const HISTORY_MAX_COMMITS = 1_000;

/** kustomize and helm from PATH with the config's defaults: for sources made without a config (tests, tools). */
export function defaultRendering(settings: Partial<RendererSettings> = {}): AppRendering {
  const full: RendererSettings = { ...DEFAULT_RENDERER_SETTINGS, ...settings };
  let tools: Promise<RenderTools> | undefined;
  return {
    settings: full,
    tools: () => {
      tools ??= findRenderTools(full);
      return tools;
    },
    limit: createLimiter(full.concurrency),
    background: createLimiter(1),
  };
}

export function createGitSource(config: SourceConfig, deps: GitSourceDeps): GitSource {
  return new PollingGitSource(config, deps);
}

class PollingGitSource implements GitSource {
  readonly name: string;
  private readonly logger: Logger;
  private readonly state: SourceState;
  private readonly store: SnapshotStore;
  private readonly sync: SyncContext;
  private readonly past: ObjectHistory;
  // Notices per FileState, beside the contract's FileState (which has no field for them).
  private readonly notices: FileNotices = new WeakMap();
  private readonly listeners: Array<(revision: SourceRevision) => void> = [];
  private preparing: Promise<PreparedRepo> | undefined;
  private inflight: Promise<RefreshResult> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private loaded = false;

  constructor(
    private readonly config: SourceConfig,
    private readonly deps: GitSourceDeps,
  ) {
    const now = deps.now ?? Date.now;
    this.name = config.name;
    this.logger = deps.logger.child({ source: config.name });
    this.state = createSourceState(config, Math.max(1, deps.revisions), now);
    const rendering = deps.rendering ?? defaultRendering();
    this.past = new ObjectHistory({
      config,
      rendering,
      logger: this.logger,
      prepare: () => this.prepare(),
      current: () => this.state.current(),
      maxCommits: deps.historyMaxCommits ?? HISTORY_MAX_COMMITS,
      onRead: () => this.saveSnapshot(),
    });
    this.store = createSnapshotStore(
      snapshotPath(deps.stateDir, config.name),
      snapshotIdentity(config),
      this.logger,
      () => this.past.stored(),
    );
    this.sync = {
      config,
      now,
      logger: this.logger,
      state: this.state,
      notices: this.notices,
      prepare: () => this.prepare(),
      rendering,
      parser: deps.parser,
      install: (revision, previous, forget) => this.install(revision, previous, forget),
    };
  }

  async start(): Promise<void> {
    if (!this.loaded) {
      this.loaded = true;
      const restored = await this.store.load(this.notices);
      // A refresh() that ran while the file was read may already have installed something newer.
      if (restored !== undefined && this.state.current() === undefined) {
        const { revision, history } = restored;
        this.logger.info(
          { commit: revision.commit },
          "serving the snapshot from disk until a fetch succeeds",
        );
        this.past.restore(history);
        this.install(revision, undefined, false);
        this.state.markRestored();
      }
    }
    if (!this.stopped) await this.refresh("start");
  }

  startPolling(): void {
    if (this.timer === undefined && !this.stopped) this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inflight;
    await this.store.flush();
  }

  /** Single flight: callers that come while a sync runs share its result. */
  refresh(reason: string): Promise<RefreshResult> {
    this.inflight ??= syncSource(this.sync, reason).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  current(): SourceRevision | undefined {
    return this.state.current();
  }

  history(): readonly SourceRevision[] {
    return this.state.history();
  }

  objectHistory(key: ObjectKey, limit: number): Promise<readonly ObjectVersion[]> {
    return this.past.read(key, limit);
  }

  status(): SourceStatus {
    const snapshotError = this.store.lastError();
    // A restart while Git is away would serve an older snapshot, or none: the operator must see it.
    return { ...this.state.status(), ...(snapshotError === undefined ? {} : { snapshotError }) };
  }

  onChange(listener: (revision: SourceRevision) => void): void {
    this.listeners.push(listener);
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      void this.refresh("poll").then(() => {
        if (!this.stopped) this.schedule();
      });
    }, this.config.intervalMs);
    // Polling alone must never keep the process alive.
    this.timer.unref();
  }

  /** Once per process; a failure (say, a full disk) is retried by the next sync. */
  private prepare(): Promise<PreparedRepo> {
    this.preparing ??= prepareRepo(this.config, this.deps).catch((error: unknown) => {
      this.preparing = undefined;
      throw error;
    });
    return this.preparing;
  }

  private saveSnapshot(): void {
    const current = this.state.current();
    if (current !== undefined) this.store.save(current, this.notices);
  }

  private install(revision: SourceRevision, previous: SourceRevision | undefined, forget: boolean): void {
    this.state.install(revision, forget);
    logRevisionChanges(this.logger, previous, revision);
    this.store.save(revision, this.notices);
    for (const listener of this.listeners) {
      try {
        listener(revision);
      } catch (error) {
        this.logger.error({ err: describeError(error) }, "revision listener failed");
      }
    }
  }
}
