// DriftEntry values for tests of what reads the live scan's table (Reports, Events): a Deployment as the
// API server stores it, compared with a Git manifest through the real liveDriftOf. And a DriftTable kept
// by hand, standing in for the scan, and a Leadership set by hand.
import type {
  DriftChange,
  DriftEntry,
  DriftTable,
  Leadership,
  ScanStatus,
} from "../../src/admission/contract.js";
import { liveDriftOf } from "../../src/core/live-drift.js";
import type { Lookup } from "../../src/core/lookup.js";
import type { JsonObject, Mode } from "../../src/core/types.js";
import { storedDeployment } from "./deployments.js";
import { testPolicy } from "./policy.js";
import { clone, desiredFor } from "./reviews.js";

export const GIT_COMMIT = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

export function gitManifest(name: string, namespace: string, image = "nginx:1"): JsonObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "web", image }] } },
    },
  };
}

export interface EntryOptions {
  name: string;
  namespace?: string;
  uid?: string;
  /** The live image; Git's is nginx:1. */
  image?: string;
  state?: "managed" | "unmanaged" | "unknown";
  mode?: Mode;
  since?: number;
  observedAt?: number;
}

export function driftEntry(options: EntryOptions): DriftEntry {
  const namespace = options.namespace ?? "shop";
  const policy = testPolicy({ mode: options.mode ?? "enforce" });
  const git = gitManifest(options.name, namespace);
  const lookup: Lookup =
    options.state === "unmanaged"
      ? { kind: "unmanaged" }
      : options.state === "unknown"
        ? { kind: "unsynced", reason: "no source has synced yet" }
        : { kind: "managed", desired: desiredFor(git, policy, namespace, GIT_COMMIT), recent: () => [] };
  const live = clone(storedDeployment(git));
  (live.metadata as JsonObject).uid = options.uid ?? `uid-${options.name}`;
  const container = (((live.spec as JsonObject).template as JsonObject).spec as JsonObject)
    .containers as JsonObject[];
  if (options.image !== undefined) (container[0] as JsonObject).image = options.image;
  const drift = liveDriftOf(lookup, live, policy);
  return {
    drift,
    since: drift.state === "drifted" ? (options.since ?? 1_000) : undefined,
    observedAt: options.observedAt ?? 2_000,
  };
}

/** A DriftTable kept by the test: `put` and `remove` send the changes a scan would. */
export class ManualDriftTable implements DriftTable {
  private readonly byUid = new Map<string, DriftEntry>();
  private readonly listeners = new Set<(change: DriftChange) => void>();
  private resolveFirst: () => void = () => {};
  readonly firstTable: Promise<void> = new Promise((resolve) => (this.resolveFirst = resolve));
  private ready = false;

  constructor(entries: readonly DriftEntry[] = [], ready = true) {
    for (const entry of entries) this.byUid.set(uidOf(entry), entry);
    if (ready) this.markReady();
  }

  markReady(): void {
    this.ready = true;
    this.resolveFirst();
  }

  put(entry: DriftEntry): void {
    const uid = uidOf(entry);
    const before = this.byUid.get(uid);
    this.byUid.set(uid, entry);
    if (this.ready) for (const listener of this.listeners) listener({ uid, before, after: entry });
  }

  remove(uid: string): void {
    const before = this.byUid.get(uid);
    this.byUid.delete(uid);
    if (this.ready) for (const listener of this.listeners) listener({ uid, before, after: undefined });
  }

  entries(): Iterable<DriftEntry> {
    return this.byUid.values();
  }

  get(uid: string): DriftEntry | undefined {
    return this.byUid.get(uid);
  }

  subscribe(listener: (change: DriftChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  status(): ScanStatus {
    const all = [...this.byUid.values()];
    const count = (state: string) => all.filter((e) => e.drift.state === state).length;
    return {
      state: this.ready ? "synced" : "starting",
      deployments: all.length,
      managed: count("drifted") + count("in-sync"),
      drifted: count("drifted"),
      unmanaged: count("unmanaged"),
      unknown: count("unknown"),
      recomputes: 0,
    };
  }
}

/** A Leadership the test hands out and takes back. */
export class ManualLeadership implements Leadership {
  private leader: boolean;
  private readonly listeners = new Set<(leader: boolean) => void>();

  constructor(leader = false) {
    this.leader = leader;
  }

  set(leader: boolean): void {
    if (leader === this.leader) return;
    this.leader = leader;
    for (const listener of this.listeners) listener(leader);
  }

  isLeader(): boolean {
    return this.leader;
  }

  onChange(listener: (leader: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  holder(): string | undefined {
    return this.leader ? "this-replica" : undefined;
  }
}

function uidOf(entry: DriftEntry): string {
  if (entry.drift.uid === undefined) throw new Error("a table entry needs a uid");
  return entry.drift.uid;
}
