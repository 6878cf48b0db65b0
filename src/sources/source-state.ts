// What a source serves and how its syncing goes: the revisions kept, and the status shown in
// /readyz and metrics. No I/O; git-source.ts drives it.
import { redactUrl } from "./redact.js";
import { errorsOf } from "./revision-log.js";
import type {
  AppStatus,
  ParseError,
  SourceConfig,
  SourceRevision,
  SourceStatus,
  SyncState,
} from "./types.js";

export interface SourceState {
  current(): SourceRevision | undefined;
  history(): readonly SourceRevision[];
  /**
   * Makes `revision` the current one; the oldest beyond `keep` is forgotten, and all the others with
   * `forget` (a force-push: they are no longer in the ref's history).
   */
  install(revision: SourceRevision, forget?: boolean): void;
  /** The current revision came from disk, not from a fetch of this process. */
  markRestored(): void;
  attempted(at: number): void;
  succeeded(): void;
  /** `message` must already be redacted. */
  failed(message: string): void;
  status(): SourceStatus;
}

export function createSourceState(config: SourceConfig, keep: number, now: () => number): SourceState {
  return new SourceStateTracker(config.name, redactUrl(config.url), keep, now);
}

class SourceStateTracker implements SourceState {
  private revisions: readonly SourceRevision[] = [];
  private restored = false;
  private lastAttemptAt: number | undefined;
  private lastSuccessAt: number | undefined;
  private failure: { since: number; error: string } | undefined;
  private syncFailures = 0;
  // Listed once per revision, not on every status call (10,000 files).
  private fileErrors:
    | { revision: SourceRevision; errors: readonly ParseError[]; apps: readonly AppStatus[] }
    | undefined;

  constructor(
    private readonly name: string,
    private readonly url: string,
    private readonly keep: number,
    private readonly now: () => number,
  ) {}

  current(): SourceRevision | undefined {
    return this.revisions[0];
  }

  history(): readonly SourceRevision[] {
    return this.revisions;
  }

  install(revision: SourceRevision, forget = false): void {
    const older = forget ? [] : this.revisions;
    this.revisions = Object.freeze([revision, ...older].slice(0, this.keep));
    this.restored = false;
  }

  markRestored(): void {
    this.restored = true;
  }

  attempted(at: number): void {
    this.lastAttemptAt = at;
  }

  succeeded(): void {
    this.lastSuccessAt = this.now();
    this.failure = undefined;
    // The remote confirmed (or replaced) what the snapshot held.
    this.restored = false;
  }

  failed(message: string): void {
    this.syncFailures += 1;
    this.failure = { since: this.failure?.since ?? this.now(), error: message };
  }

  status(): SourceStatus {
    const { name, url, lastAttemptAt, lastSuccessAt, restored, syncFailures } = this;
    const notices = this.current()?.notices ?? [];
    return {
      name,
      url,
      state: this.syncState(),
      lastAttemptAt,
      lastSuccessAt,
      syncFailures,
      fileErrors: this.listed().errors,
      apps: this.listed().apps,
      notices,
      restored,
    };
  }

  private syncState(): SyncState {
    const commit = this.current()?.commit;
    const { failure, lastSuccessAt } = this;
    if (failure !== undefined) return { kind: "failing", commit, since: failure.since, error: failure.error };
    if (commit !== undefined && lastSuccessAt !== undefined)
      return { kind: "synced", commit, at: lastSuccessAt };
    return { kind: "pending" };
  }

  private listed(): { errors: readonly ParseError[]; apps: readonly AppStatus[] } {
    const revision = this.current();
    if (revision === undefined) return { errors: [], apps: [] };
    if (this.fileErrors?.revision !== revision) {
      const errors = errorsOf(revision).filter((error) => revision.files.get(error.file)?.app === undefined);
      this.fileErrors = { revision, errors: Object.freeze(errors), apps: Object.freeze(appsOf(revision)) };
    }
    return this.fileErrors;
  }
}

function appsOf(revision: SourceRevision): AppStatus[] {
  const apps: AppStatus[] = [];
  for (const state of revision.files.values()) {
    if (state.app === undefined) continue;
    apps.push({
      path: state.file,
      type: state.app.type,
      renderedAt: state.goodCommit === "" ? undefined : state.goodCommit,
      error: state.error?.message,
      unstable: state.app.unstable,
    });
  }
  return apps;
}
