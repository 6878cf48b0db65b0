// The admission service's contract with its adapters. The HTTP layer calls an AdmissionHandler and
// reports Readiness; the Kubernetes adapter supplies ClusterParts. Both import this file and nothing
// else of the service, so that imports point inward: adapters depend on the service, never the reverse
// (biome.json enforces it). Types only, built on the core's.
import type { Logger } from "pino";
import type { AdmissionRequest, AdmissionResponse } from "../core/admission.js";
import type { Decision } from "../core/decision.js";
import type { DecisionRecord } from "../core/decision-record.js";
import type { GrantResolver } from "../core/exemptions.js";
import type { LiveDrift } from "../core/live-drift.js";
import type { JsonObject, ObjectKey, Requester } from "../core/types.js";

/** What the HTTP layer knows of one request besides its body. */
export interface AdmissionContext {
  /** Bound to the request's uid, user and object; made on first use, so quiet answers cost nothing. */
  readonly log: Logger;
}

/** Decides one admission request. Must never throw; the HTTP layer still guards against it. */
export type AdmissionHandler = (
  request: AdmissionRequest,
  context?: AdmissionContext,
) => Promise<AdmissionResponse>;

/** What /readyz reports. Ready means "can answer", never "Git is synced" (docs/contract.md §6). */
export interface Readiness {
  ready: boolean;
  /** Shown as JSON under `details`: sync state per source, file errors, notices. */
  details: unknown;
}

/**
 * What the admission service asks of the cluster, answered from memory: RBAC grants (docs/contract.md §5) and
 * whether a namespace is being deleted (docs/contract.md §4).
 */
export interface ClusterView {
  grantsFor(requester: Requester, key: ObjectKey): GrantResolver | undefined;
  namespaceTerminating(namespace: string): boolean;
}

/** What the cluster adds, when driftguard can see one (serve with a kubeconfig or in a pod, check --rbac). */
export interface ClusterParts {
  view: ClusterView;
  /**
   * Every admission answer, for the drift Events (DriftDenied, DriftWarned; and what explains the scan's
   * drift). Must not block: it queues. `uid` is the Deployment's, when the request carries one.
   */
  decided?: (decision: Decision, uid: string | undefined) => void;
  /** Drift Events by reason and outcome (written, deduplicated, dropped, failed), for the metrics. */
  eventCounts?: () => Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Extra readiness details (watch states). */
  status?: () => unknown;
  /**
   * False until the watches have listed once (or a grace period has passed): before that, nobody's RBAC
   * grant is known and a replica would deny what a break-glass binding allows. Git is not waited for
   * (docs/contract.md §6).
   */
  synced?: () => boolean;
  /** The Deployments of the cluster, watched, when the live scan is on (config report.scan). */
  deployments?: DeploymentFeed;
  /** DecisionRecord objects (docs/contract.md §11), when history.records is on. */
  records?: RecordSink;
}

/** Where decision records go in the API server. `submit` must not block: it queues. */
export interface RecordSink {
  submit(record: DecisionRecord): void;
  counts(): { failed: number; dropped: number };
  status(): unknown;
  drain(): Promise<void>;
}

/** One watch event of the Deployment feed. */
export interface FeedChange {
  kind: "add" | "update" | "delete";
  object: JsonObject;
}

/**
 * The watched Deployments the live scan reads (docs/contract.md §10): the API server's JSON, as
 * admission receives it, without status and with only the newest managedFields entry's manager and
 * time (neither is compared). Watched cluster-wide; the
 * scan filters by namespace.
 */
export interface DeploymentFeed {
  /** The Deployments held now (the last good list while the watch is failing). */
  list(): readonly JsonObject[];
  state(): { kind: "starting" | "synced" | "failing"; error?: string | undefined };
  /**
   * Called after every change of `list()`: with the watch event's object, or without one after a fresh
   * list (anything may have changed). Must only schedule work.
   */
  onChange(listener: (change?: FeedChange) => void): void;
  /** Namespaces never scanned: kube-system, and driftguard's own when it runs in a pod. */
  readonly excludedNamespaces: readonly string[];
}

/**
 * One Deployment of the scanned namespaces and its drift from Git now (docs/contract.md §10). Kept by the
 * live scan; Reports, Events, metrics and the later web view read it.
 */
export interface DriftEntry {
  drift: LiveDrift;
  /** Epoch ms since the object has drifted with these very fields (first seen so); undefined in sync. */
  since: number | undefined;
  /** Epoch ms of the watch event or Git revision that last recomputed the entry. */
  observedAt: number;
}

/**
 * A change of one entry: `before` undefined when first seen, `after` undefined when the Deployment is
 * gone or left the scanned namespaces. Only sent when the drift says something else (sameDrift false).
 */
export interface DriftChange {
  uid: string;
  before: DriftEntry | undefined;
  after: DriftEntry | undefined;
}

export interface ScanStatus {
  /** `starting` until the first full table (Deployments listed and Git known). */
  state: "starting" | "synced" | "failing";
  error?: string;
  deployments: number;
  managed: number;
  drifted: number;
  unmanaged: number;
  unknown: number;
  /** Entries recomputed so far (watch events and Git revisions). */
  recomputes: number;
}

/** The live scan's table of drift, by the Deployment's uid. Read in memory; never on the request path's I/O. */
export interface DriftTable {
  entries(): Iterable<DriftEntry>;
  get(uid: string): DriftEntry | undefined;
  /**
   * Called for every change after the first full table, and once per entry of the first table as
   * `before: undefined`. Listeners must not throw or block: they queue their own work.
   */
  subscribe(listener: (change: DriftChange) => void): () => void;
  /** Resolves once the first full table is built. */
  readonly firstTable: Promise<void>;
  status(): ScanStatus;
}

/** Whether this replica holds the writers' Lease (docs/contract.md §10: one replica writes, every replica answers). */
export interface Leadership {
  isLeader(): boolean;
  /** Called with true when this replica takes the Lease, false when it loses it. */
  onChange(listener: (leader: boolean) => void): () => void;
  /** The Lease's current holder identity, when known (for /readyz). */
  holder(): string | undefined;
}
