// The live scan's table (docs/contract.md §10): the drift of every Deployment of the scanned namespaces
// from Git, kept in memory with the comparison admission uses (liveDriftOf). The watch (src/kube) hands
// it the Deployments it holds; Git rebuilds tell it to look again. It never does I/O itself.
//
// Work is off the request path: a change only schedules a pass; a pass runs after a short debounce (a
// relist or a burst of edits is one pass) and yields to the event loop every few hundred objects, so
// that admission answers in between. A watch event marks its object alone; a fresh list makes the pass
// look at every object (recomputing those whose resourceVersion changed); a Git rebuild recomputes
// every one. Each object's drift is kept per desired form (scannedObject), so a Git revision
// normalizes and compares again only the objects whose manifest changed.

import { asObject } from "../core/json.js";
import { keyOfLive, type LiveDrift, liveDriftOf, modeOf, sameDrift } from "../core/live-drift.js";
import { type LiveObject, memoizedLiveObject } from "../core/live-object.js";
import type { Lookup } from "../core/lookup.js";
import { normalize } from "../core/normalize.js";
import type { Policy } from "../core/policy.js";
import type { Drift, JsonObject, ObjectKey } from "../core/types.js";
import type {
  DeploymentFeed,
  DriftChange,
  DriftEntry,
  DriftTable,
  FeedChange,
  ScanStatus,
} from "./contract.js";

/** What the table asks of Git's side (DesiredState has it). */
export interface DesiredView {
  lookup(key: ObjectKey): Lookup;
  /** Every source has a revision: lookups no longer answer `unsynced`. */
  readonly synced: boolean;
}

export interface DriftTableOptions {
  feed: Pick<DeploymentFeed, "list" | "state">;
  desired: DesiredView;
  policy: Policy;
  /** Never scanned, whatever their mode: kube-system and driftguard's own namespace. */
  excludedNamespaces: readonly string[];
  now?: () => number;
  /** How long a pass waits for more changes to come along (a relist arrives as one change). */
  debounceMs?: number;
  /** Objects handled between two yields to the event loop. */
  chunkSize?: number;
  /** Told when a pass throws (it should not); the table keeps its entries and tries on the next change. */
  onError?: (error: unknown) => void;
}

interface Row {
  entry: DriftEntry;
  resourceVersion: string | undefined;
  live: LiveObject;
}

const DEFAULT_DEBOUNCE_MS = 20;
const DEFAULT_CHUNK = 250;

export class LiveDriftTable implements DriftTable {
  readonly firstTable: Promise<void>;
  private readonly rows = new Map<string, Row>();
  private readonly listeners = new Set<(change: DriftChange) => void>();
  private readonly excluded: ReadonlySet<string>;
  private readonly now: () => number;
  private resolveFirst: () => void = () => {};
  private built = false;
  private recomputes = 0;
  private passes = 0;
  /** A fresh list (or a start): look at every object the watch holds. */
  private listPending = false;
  private gitPending = false;
  /** Watch events since the last pass, by uid (the last one wins). */
  private readonly events = new Map<string, FeedChange>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: DriftTableOptions) {
    this.excluded = new Set(options.excludedNamespaces);
    this.now = options.now ?? Date.now;
    this.firstTable = new Promise((resolve) => {
      this.resolveFirst = resolve;
    });
  }

  entries(): Iterable<DriftEntry> {
    return [...this.rows.values()].map((row) => row.entry);
  }

  get(uid: string): DriftEntry | undefined {
    return this.rows.get(uid)?.entry;
  }

  /** The live object the entry was computed from (slimmed by the feed), for who-wrote-it questions. */
  object(uid: string): JsonObject | undefined {
    return this.rows.get(uid)?.live.raw;
  }

  subscribe(listener: (change: DriftChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  status(): ScanStatus {
    const counts = { drifted: 0, "in-sync": 0, unmanaged: 0, unknown: 0 };
    for (const row of this.rows.values()) counts[row.entry.drift.state]++;
    const feed = this.options.feed.state();
    const state = feed.kind === "failing" ? "failing" : this.built ? "synced" : "starting";
    return {
      state,
      ...(feed.kind === "failing" && feed.error !== undefined ? { error: feed.error } : {}),
      deployments: this.rows.size,
      managed: counts.drifted + counts["in-sync"],
      drifted: counts.drifted,
      unmanaged: counts.unmanaged,
      unknown: counts.unknown,
      recomputes: this.recomputes,
    };
  }

  /** Passes run so far (tests and the bench wait on it). */
  get passCount(): number {
    return this.passes;
  }

  /** The watch's cache changed: one object's event, or (no argument) a fresh list. */
  feedChanged(change?: FeedChange): void {
    if (change === undefined) this.listPending = true;
    else this.events.set(identityOf(change.object).uid, change);
    this.schedule();
  }

  /** Git's desired state was rebuilt: every entry is compared again. */
  desiredChanged(): void {
    this.gitPending = true;
    this.schedule();
  }

  /** Whether a Deployment of `namespace` is in the table: its mode is not off and it is not excluded. */
  scans(namespace: string): boolean {
    return !this.excluded.has(namespace) && modeOf(this.options.policy, namespace) !== "off";
  }

  /** Resolves when no pass is pending or running (tests). */
  async idle(): Promise<void> {
    while (this.timer !== undefined || this.running !== undefined) {
      if (this.running) await this.running;
      else await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.stopped || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.running) {
        // One pass at a time: the one running picks the new change up when it ends.
        return;
      }
      this.running = this.passUntilQuiet().finally(() => {
        this.running = undefined;
      });
    }, this.options.debounceMs ?? DEFAULT_DEBOUNCE_MS);
    this.timer.unref?.();
  }

  private async passUntilQuiet(): Promise<void> {
    while (!this.stopped && (this.listPending || this.gitPending || this.events.size > 0)) {
      const everything = this.gitPending;
      const whole = everything || this.listPending;
      const events = [...this.events.values()];
      this.listPending = false;
      this.gitPending = false;
      this.events.clear();
      try {
        await (whole ? this.pass(everything) : this.eventPass(events));
      } catch (error) {
        this.options.onError?.(error);
      }
    }
  }

  /** One look at every object the watch holds; `everything` recomputes unchanged objects too. */
  private async pass(everything: boolean): Promise<void> {
    const objects = this.options.feed.list();
    const seen = new Set<string>();
    const changes: DriftChange[] = [];
    await this.inChunks(objects, (object) => {
      const uid = this.consider(object, everything, changes);
      if (uid !== undefined) seen.add(uid);
    });
    for (const [uid, row] of this.rows) {
      if (seen.has(uid)) continue;
      this.rows.delete(uid);
      changes.push({ uid, before: row.entry, after: undefined });
    }
    this.finishPass(changes);
  }

  /** Only the objects of the watch events since the last pass: the cost of one event is one object. */
  private async eventPass(events: readonly FeedChange[]): Promise<void> {
    const changes: DriftChange[] = [];
    await this.inChunks(events, (event) => {
      if (event.kind !== "delete") {
        this.consider(event.object, false, changes);
        return;
      }
      const { uid } = identityOf(event.object);
      const row = this.rows.get(uid);
      if (row === undefined) return;
      this.rows.delete(uid);
      changes.push({ uid, before: row.entry, after: undefined });
    });
    this.finishPass(changes);
  }

  /** Recomputes one object if scanned and changed (or `everything`); its uid when scanned. */
  private consider(object: JsonObject, everything: boolean, changes: DriftChange[]): string | undefined {
    const { uid, resourceVersion, key } = identityOf(object);
    if (!this.scans(key.namespace)) return undefined;
    const row = this.rows.get(uid);
    const sameObject =
      row !== undefined && resourceVersion !== undefined && row.resourceVersion === resourceVersion;
    if (sameObject && !everything) return uid;
    const live = sameObject ? row.live : scannedObject(object);
    const change = this.recompute(uid, row, live, resourceVersion, key);
    if (change) changes.push(change);
    return uid;
  }

  private async inChunks<T>(items: readonly T[], each: (item: T) => void): Promise<void> {
    const chunk = this.options.chunkSize ?? DEFAULT_CHUNK;
    for (let index = 0; index < items.length; index++) {
      if (index > 0 && index % chunk === 0) await yieldToEventLoop();
      const item = items[index];
      if (item !== undefined) each(item);
    }
  }

  private finishPass(changes: readonly DriftChange[]): void {
    this.passes++;
    this.publish(changes);
  }

  private recompute(
    uid: string,
    row: Row | undefined,
    live: LiveObject,
    resourceVersion: string | undefined,
    key: ObjectKey,
  ): DriftChange | undefined {
    const drift = liveDriftOf(this.options.desired.lookup(key), live, this.options.policy);
    this.recomputes++;
    const now = this.now();
    const before = row?.entry;
    const entry: DriftEntry = { drift, since: sinceOf(before, drift, now), observedAt: now };
    this.rows.set(uid, { entry, resourceVersion, live });
    return sameDrift(before?.drift, drift) ? undefined : { uid, before, after: entry };
  }

  private publish(changes: readonly DriftChange[]): void {
    if (!this.built) {
      // The first full table: the Deployments are listed and Git is known. Until then nothing is sent,
      // then every entry once as new.
      if (this.options.feed.state().kind !== "synced" || !this.options.desired.synced) return;
      this.built = true;
      const first = [...this.rows].map(([uid, row]) => ({ uid, before: undefined, after: row.entry }));
      this.resolveFirst();
      this.send(first);
      return;
    }
    this.send(changes);
  }

  private send(changes: readonly DriftChange[]): void {
    for (const change of changes)
      for (const listener of this.listeners) {
        try {
          listener(change);
        } catch (error) {
          this.options.onError?.(error);
        }
      }
  }
}

/**
 * A LiveObject that keeps its drift from each desired form (by the form, so that a new commit of an
 * unchanged manifest costs nothing) but no normalized copy: 5,000 of those would double the scan's
 * memory, and one is made again only when a manifest changes or the object drifts (GitOps marks).
 */
function scannedObject(raw: JsonObject): LiveObject {
  return memoizedLiveObject(raw, (desired) => normalize(raw, desired.options).object);
}

/** The uid (or namespace/name, for an object without one), resourceVersion and key of a live object. */
function identityOf(object: JsonObject): {
  uid: string;
  resourceVersion: string | undefined;
  key: ObjectKey;
} {
  const key = keyOfLive(object);
  const metadata = asObject(object.metadata) ?? {};
  return {
    uid: typeof metadata.uid === "string" ? metadata.uid : `${key.namespace}/${key.name}`,
    resourceVersion: typeof metadata.resourceVersion === "string" ? metadata.resourceVersion : undefined,
    key,
  };
}

/** Kept while the same fields drift; a new time when they change, none in sync. */
function sinceOf(before: DriftEntry | undefined, drift: LiveDrift, now: number): number | undefined {
  if (drift.state !== "drifted") return undefined;
  if (before?.drift.state === "drifted" && samePaths(before.drift.drifts, drift.drifts)) return before.since;
  return now;
}

function samePaths(a: readonly Drift[], b: readonly Drift[]): boolean {
  return a.length === b.length && a.every((drift, index) => drift.path === b[index]?.path);
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
