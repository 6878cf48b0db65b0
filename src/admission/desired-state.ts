// DesiredState: what all Git sources say, as one index from object to desired state. Rebuilt when a
// source changes; requests only read it (no I/O on the request path). Each manifest document is
// normalized once (cached by document identity: unchanged files keep their document objects) and each
// revision's index is built once (cached by revision identity).
import { type Desired, prepareDesired } from "../core/desired.js";
import { jsonEqual } from "../core/json.js";
import type { Lookup, RecentRevision } from "../core/lookup.js";
import type { Policy } from "../core/policy.js";
import { keyString, type ObjectKey, type Origin } from "../core/types.js";
import type { FileState, GitSource, ManifestDoc, ObjectVersion, SourceRevision } from "../sources/types.js";

type Entry =
  /** `copies`: other places that hold the same content (fine, but worth one notice). */
  { kind: "desired"; desired: Desired; copies?: readonly Origin[] } | { kind: "conflict"; origins: Origin[] };

/** One object claimed by several manifests: a conflict (different content) or copies (identical). */
export interface Conflict {
  key: string;
  origins: readonly Origin[];
}

// Objects whose history was read and is kept ready for lookup(): those GitOps identities roll back.
const MAX_LOADED = 256;

export class DesiredState {
  private readonly prepared = new WeakMap<ManifestDoc, Desired>();
  private readonly revisionIndexes = new WeakMap<SourceRevision, Map<string, Entry>>();
  /** Per object, its history read from Git for the head commit it was read at. */
  private readonly loaded = new Map<string, { head: string; recent: readonly RecentRevision[] }>();
  private index = new Map<string, Entry>();
  private unsynced: string[] = [];
  private rebuildCount = 0;
  private readonly rebuildListeners: Array<() => void> = [];

  constructor(
    private readonly sources: readonly GitSource[],
    private readonly policy: Policy,
    /** How many distinct past states of an object count for GitOps identities (gitops.revisions). */
    private readonly revisions = 10,
  ) {
    // Until a source has synced, its objects are unknown, not unmanaged: a request that arrives before
    // the first fetch must meet onUnsynced, never a silent allow.
    this.rebuild();
  }

  /** Recomputes the index from every source's current revision. Cheap when little changed. */
  rebuild(): void {
    const merged = new Map<string, Entry>();
    this.unsynced = [];
    for (const source of this.sources) {
      const revision = source.current();
      if (!revision) {
        this.unsynced.push(source.name);
        continue;
      }
      for (const [key, entry] of this.revisionIndex(revision))
        merged.set(key, mergeEntries(merged.get(key), entry));
    }
    this.index = merged;
    this.rebuildCount += 1;
    for (const listener of this.rebuildListeners) listener();
  }

  /**
   * Called after every rebuild (a new Git revision): the live scan recomputes its entries then. Listeners
   * must only schedule work; they run inside the source's change callback.
   */
  onRebuild(listener: () => void): () => void {
    this.rebuildListeners.push(listener);
    return () => {
      const at = this.rebuildListeners.indexOf(listener);
      if (at >= 0) this.rebuildListeners.splice(at, 1);
    };
  }

  /** True once every source has a revision: no lookup answers `unsynced` any more. */
  get synced(): boolean {
    return this.unsynced.length === 0;
  }

  lookup(key: ObjectKey): Lookup {
    const entry = this.index.get(keyString(key));
    if (!entry) {
      if (this.unsynced.length > 0)
        return { kind: "unsynced", reason: `Git source ${this.unsynced.join(", ")} has not synced yet` };
      return { kind: "unmanaged" };
    }
    if (entry.kind === "conflict") return { kind: "conflict", origins: entry.origins };
    const { desired } = entry;
    // Only a GitOps identity's request asks for the object's history: every other lookup skips it.
    return { kind: "managed", desired, recent: () => this.recent(key, desired.origin.source) };
  }

  /**
   * The object's past desired states from its source's first-parent history in Git (newest first, the
   * current commit first, at most `revisions`), each normalized once. From then on lookup(key) includes
   * them while the source's commit stays the same. Never throws (the source answers with what it knows).
   */
  async loadHistory(key: ObjectKey): Promise<readonly RecentRevision[]> {
    const entry = this.index.get(keyString(key));
    const source = entry?.kind === "desired" ? this.sourceNamed(entry.desired.origin.source) : undefined;
    const head = source?.current()?.commit;
    if (source === undefined || head === undefined) return [];
    const versions = await source.objectHistory(key, this.revisions);
    const recent = versions.flatMap((version) => this.pastRevision(source.name, version));
    const name = keyString(key);
    this.loaded.delete(name);
    this.loaded.set(name, { head, recent });
    for (const oldest of this.loaded.keys()) {
      if (this.loaded.size <= MAX_LOADED) break;
      this.loaded.delete(oldest);
    }
    return recent;
  }

  conflicts(): Conflict[] {
    const out: Conflict[] = [];
    for (const [key, entry] of this.index)
      if (entry.kind === "conflict") out.push({ key, origins: entry.origins });
    return out;
  }

  /** Objects held with identical content in more than one place (docs/contract.md §2: fine, one notice). */
  duplicates(): Conflict[] {
    const out: Conflict[] = [];
    for (const [key, entry] of this.index)
      if (entry.kind === "desired" && entry.copies !== undefined)
        out.push({ key, origins: originsOf(entry) });
    return out;
  }

  get size(): number {
    return this.index.size;
  }

  /** How many times the index was rebuilt: one per source change, never two. */
  get rebuilds(): number {
    return this.rebuildCount;
  }

  /** Revisions fetched by this process, then the history read from Git for the current commit. */
  private recent(key: ObjectKey, sourceName: string): RecentRevision[] {
    const source = this.sourceNamed(sourceName);
    if (!source) return [];
    const fetched = source.history().map((revision) => {
      const entry = this.revisionIndex(revision).get(keyString(key));
      return { commit: revision.commit, desired: entry?.kind === "desired" ? entry.desired : undefined };
    });
    const loaded = this.loaded.get(keyString(key));
    if (loaded === undefined || loaded.head !== source.current()?.commit) return fetched;
    const commits = new Set(fetched.map((revision) => revision.commit));
    return [...fetched, ...loaded.recent.filter((revision) => !commits.has(revision.commit))];
  }

  /** A version as the core sees it; none when its documents conflict (no desired state there). */
  private pastRevision(source: string, { commit, docs }: ObjectVersion): RecentRevision[] {
    let entry: Entry | undefined;
    for (const doc of docs) {
      const desired = this.prepare(doc, { source, commit, file: doc.file });
      entry = mergeEntries(entry, { kind: "desired", desired });
    }
    if (entry?.kind === "conflict") return [];
    return [{ commit, desired: entry?.desired }];
  }

  private sourceNamed(name: string): GitSource | undefined {
    return this.sources.find((source) => source.name === name);
  }

  private revisionIndex(revision: SourceRevision): Map<string, Entry> {
    const cached = this.revisionIndexes.get(revision);
    if (cached) return cached;
    const index = new Map<string, Entry>();
    for (const file of revision.files.values()) {
      for (const doc of file.docs) {
        const desired = this.prepare(doc, originOf(revision, file, doc));
        const key = keyString(desired.key);
        index.set(key, mergeEntries(index.get(key), { kind: "desired", desired }));
      }
    }
    this.revisionIndexes.set(revision, index);
    return index;
  }

  /** Normalized once per document: unchanged files keep their document objects across revisions. */
  private prepare(doc: ManifestDoc, origin: Origin): Desired {
    let desired = this.prepared.get(doc);
    if (!desired) {
      const key = { namespace: doc.namespace, name: doc.name };
      desired = prepareDesired(doc.object, key, origin, this.policy, doc.notCompared);
      this.prepared.set(doc, desired);
    }
    return sameOrigin(desired.origin, origin) ? desired : { ...desired, origin };
  }
}

/**
 * The commit named in messages is the revision's, unless the file is broken there (or the app failed to
 * render) and an older good content is being served.
 */
function originOf(revision: SourceRevision, file: FileState, doc: ManifestDoc): Origin {
  const commit = file.error ? file.goodCommit : revision.commit;
  const origin: Origin = { source: revision.source, commit, file: doc.file };
  if (file.app === undefined) return origin;
  const failedAt = file.error && { commit: revision.commit, message: file.error.message };
  origin.app = {
    type: file.app.type,
    ...(doc.renderedFrom === undefined ? {} : { renderedFrom: doc.renderedFrom }),
    ...(failedAt ? { failedAt } : {}),
  };
  return origin;
}

function sameOrigin(a: Origin, b: Origin): boolean {
  return (
    a.commit === b.commit &&
    a.source === b.source &&
    a.app?.failedAt?.commit === b.app?.failedAt?.commit &&
    a.app?.renderedFrom === b.app?.renderedFrom
  );
}

/** Identical content in two places is one desired state; different content is a conflict. */
function mergeEntries(existing: Entry | undefined, next: Entry): Entry {
  if (!existing) return next;
  const origins = [...originsOf(existing), ...originsOf(next)];
  if (existing.kind === "desired" && next.kind === "desired" && sameDesired(existing.desired, next.desired))
    return { ...existing, copies: [...(existing.copies ?? []), ...originsOf(next)] };
  return { kind: "conflict", origins };
}

function originsOf(entry: Entry): Origin[] {
  return entry.kind === "desired" ? [entry.desired.origin, ...(entry.copies ?? [])] : entry.origins;
}

function sameDesired(a: Desired, b: Desired): boolean {
  return (
    a.mode === b.mode && a.replicasManaged === b.replicasManaged && jsonEqual(a.normalized, b.normalized)
  );
}
