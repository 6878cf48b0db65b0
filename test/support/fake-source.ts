// A GitSource stand-in for admission-service tests: revisions are handed to it, and each refresh is
// answered by a function the test controls (resolve now, later, never, or fail). No Git, no timers.
import type { JsonObject } from "../../src/core/types.js";
import type {
  FileState,
  GitSource,
  ManifestDoc,
  RefreshResult,
  SourceRevision,
  SourceStatus,
} from "../../src/sources/types.js";

export interface FakeSource extends GitSource {
  /** Makes `revision` current and tells the listeners, as a fetch that found a new commit does. */
  serve(revision: SourceRevision): void;
  /** What the next refresh calls do; the default answers "unchanged" at once. */
  onRefresh: (reason: string) => Promise<RefreshResult>;
  /** Reasons of every refresh asked for. */
  readonly refreshes: string[];
  lastAttemptAt: number | undefined;
}

export function fakeSource(name: string, now: () => number = Date.now): FakeSource {
  const listeners: Array<(revision: SourceRevision) => void> = [];
  let revisions: SourceRevision[] = [];
  const source: FakeSource = {
    name,
    refreshes: [],
    lastAttemptAt: undefined,
    onRefresh: async () => ({ kind: "unchanged", commit: revisions[0]?.commit ?? "" }),
    serve(revision) {
      revisions = [revision, ...revisions];
      for (const listener of listeners) listener(revision);
    },
    start: async () => undefined,
    startPolling: () => undefined,
    stop: async () => undefined,
    refresh(reason) {
      source.refreshes.push(reason);
      source.lastAttemptAt = now();
      return source.onRefresh(reason);
    },
    current: () => revisions[0],
    history: () => revisions,
    status: (): SourceStatus => ({
      name,
      url: `fake://${name}`,
      state: revisions[0] ? { kind: "synced", commit: revisions[0].commit, at: 0 } : { kind: "pending" },
      lastAttemptAt: source.lastAttemptAt,
      lastSuccessAt: source.lastAttemptAt,
      fileErrors: [],
      apps: [],
      notices: [],
      restored: false,
    }),
    onChange: (listener) => void listeners.push(listener),
    // Past states come from Git; a stand-in knows only the revisions it was handed.
    objectHistory: async () => [],
  };
  return source;
}

/** A revision holding one file per manifest, `<namespace>/<name>.yaml`. */
export function fakeRevision(
  source: string,
  commit: string,
  manifests: readonly JsonObject[],
): SourceRevision {
  const files = new Map<string, FileState>();
  for (const object of manifests) {
    const metadata = object.metadata as JsonObject;
    const namespace = String(metadata.namespace ?? "default");
    const name = String(metadata.name);
    const file = `${namespace}/${name}.yaml`;
    const doc: ManifestDoc = { namespace, name, file, docIndex: "0", object };
    files.set(file, { file, blob: `${commit}:${file}`, docs: [doc], goodCommit: commit });
  }
  return { source, commit, fetchedAt: 0, files, notices: [] };
}
