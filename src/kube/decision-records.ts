// DecisionRecord objects (decisionrecords.driftguard.io/v1alpha1, docs/contract.md §11): the decision
// history shared through the API server, so that `driftguard history` finds every replica's records with
// the caller's own kubeconfig. Each replica creates the records of the requests it answered (no leader
// needed: the name is the request's uid, unique); AlreadyExists is success, so a record created twice
// (a restart re-creating its disk store's recent records) is one object. Off the request path: `submit`
// queues, bounded (the oldest queued record is dropped and counted), one writer drains.
//
// The leader of the writers' Lease enforces retention: records older than history.retention, and beyond
// history.maxPerNamespace per namespace the oldest, are deleted.
import { createHash } from "node:crypto";
import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import type pino from "pino";
import type { Leadership } from "../admission/contract.js";
import type { DecisionRecord } from "../core/decision-record.js";
import { asDecisionRecord } from "../core/history.js";
import { MANAGED_BY, MANAGED_BY_LABEL } from "../core/report-objects.js";
import type { JsonObject } from "../core/types.js";
import { describeError } from "../errors.js";
import { listOwnedObjects } from "./owned-objects.js";
import { describeApiError, statusOf } from "./self-managed/api-status.js";

export const RECORDS_GROUP = "driftguard.io";
export const RECORDS_VERSION = "v1alpha1";
export const RECORDS_PLURAL = "decisionrecords";
export const DEPLOYMENT_LABEL = "driftguard.io/deployment";
export const OUTCOME_LABEL = "driftguard.io/outcome";
// The same label as the Reports: one way to tell driftguard's own objects.
export { MANAGED_BY, MANAGED_BY_LABEL };

/** The calls the records take; the real one is client-node's CustomObjectsApi (kubeRecordsApi). */
export interface RecordsApi {
  create(namespace: string, body: JsonObject): Promise<void>;
  /** Every DecisionRecord driftguard wrote, every namespace (paginated). */
  list(): Promise<StoredRecord[]>;
  remove(namespace: string, name: string): Promise<void>;
}

export interface StoredRecord {
  namespace: string;
  name: string;
  /** The record's time (spec.time), epoch ms; NaN when the object holds no readable record. */
  time: number;
}

export interface RecordCounts {
  created: number;
  /** AlreadyExists: made before (by a restore, or the same uid twice). Counted as success. */
  existed: number;
  failed: number;
  dropped: number;
  /** Deleted by retention (expired, or beyond the per-namespace cap). */
  expired: number;
}

export interface RecordWriter {
  submit(record: DecisionRecord): void;
  /** Creates the records of the disk store again (AlreadyExists fine), one at a time, not through the queue. */
  restore(records: readonly DecisionRecord[]): Promise<number>;
  drain(): Promise<void>;
  /** Deleted by the leader's retention (startRecordRetention's onExpired). */
  countExpired(deleted: number): void;
  counts(): RecordCounts;
  status(): { state: "ok" | "failing"; error?: string; queued: number; retrying: number } & RecordCounts;
}

/** The object that holds `record`: in the Deployment's namespace, named by the request uid. */
export function recordObject(record: DecisionRecord): JsonObject {
  const labels: Record<string, string> = {
    [MANAGED_BY_LABEL]: MANAGED_BY,
    [OUTCOME_LABEL]: record.verdict.outcome,
  };
  if (isLabelValue(record.object.name)) labels[DEPLOYMENT_LABEL] = record.object.name;
  return {
    apiVersion: `${RECORDS_GROUP}/${RECORDS_VERSION}`,
    kind: "DecisionRecord",
    metadata: { name: recordName(record.requestUid), namespace: record.object.namespace, labels },
    spec: record as unknown as JsonObject,
  };
}

const DNS_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$/;
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

export function isLabelValue(value: string): boolean {
  return LABEL_VALUE.test(value);
}

/** The request uid (a UUID the API server made: a valid name); anything else, a stable hash of it. */
export function recordName(uid: string): string {
  if (DNS_SUBDOMAIN.test(uid)) return uid;
  return `r-${createHash("sha256").update(uid).digest("hex").slice(0, 40)}`;
}

/** The record an object holds, when it holds one. */
export function recordOfObject(object: unknown): DecisionRecord | undefined {
  return asDecisionRecord((object as { spec?: unknown } | null | undefined)?.spec);
}

/** A record the API server could not take for a passing reason is tried again, backing off to a minute. */
const RETRY_FIRST_MS = 2_000;
const RETRY_MAX_MS = 60_000;

/** Unreachable, throttled or failing: worth another try. A 4xx refusal is not (it would fail again). */
function isTransient(status: number | undefined): boolean {
  return status === undefined || status === 429 || status >= 500;
}

export function createRecordWriter(options: {
  api: RecordsApi;
  logger: pino.Logger;
  maxQueue: number;
  /** The first retry delay (tests shorten it). */
  retryFirstMs?: number;
}): RecordWriter {
  const { api, logger } = options;
  const retryFirstMs = options.retryFirstMs ?? RETRY_FIRST_MS;
  const queue: DecisionRecord[] = [];
  // Records that failed for a passing reason, bounded like the queue: an outage within a run loses
  // none of the newest `maxQueue`, and the disk store's restore on start covers the rest.
  const retry: DecisionRecord[] = [];
  let retryDelay = retryFirstMs;
  let retryTimer: NodeJS.Timeout | undefined;
  const counts: RecordCounts = { created: 0, existed: 0, failed: 0, dropped: 0, expired: 0 };
  const logged = new Set<string>();
  let lastError: string | undefined;
  let draining: Promise<void> | undefined;

  const create = async (record: DecisionRecord): Promise<void> => {
    try {
      await api.create(record.object.namespace, recordObject(record));
      counts.created++;
      lastError = undefined;
      retryDelay = retryFirstMs;
    } catch (error) {
      if (statusOf(error) === 409) {
        counts.existed++;
        return;
      }
      counts.failed++;
      if (isTransient(statusOf(error))) keepForRetry(record);
      lastError = describeApiError(error, describeError);
      // Once per status: an API server that is down must not turn every request into a log line.
      const kind = String(statusOf(error) ?? "unreachable");
      if (logged.has(kind)) return;
      logged.add(kind);
      logger.warn(
        { status: kind, error: lastError },
        "could not create a DecisionRecord (the record stays in the log and on disk; tried again, and on restart)",
      );
    }
  };
  const keepForRetry = (record: DecisionRecord) => {
    if (retry.length >= options.maxQueue) {
      retry.shift();
      counts.dropped++;
    }
    retry.push(record);
    if (retryTimer !== undefined) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      queue.unshift(...retry.splice(0));
      draining ??= drainQueue();
    }, retryDelay);
    // A retry pending never keeps the process alive.
    retryTimer.unref();
    retryDelay = Math.min(retryDelay * 2, RETRY_MAX_MS);
  };
  const drainQueue = async () => {
    for (let record = queue.shift(); record !== undefined; record = queue.shift()) await create(record);
    draining = undefined;
  };

  return {
    submit(record) {
      if (queue.length >= options.maxQueue) {
        queue.shift();
        counts.dropped++;
      }
      queue.push(record);
      draining ??= drainQueue();
    },
    async restore(records) {
      const before = counts.created;
      for (const record of records) await create(record);
      return counts.created - before;
    },
    drain: () => draining ?? Promise.resolve(),
    counts: () => ({ ...counts }),
    status: () => ({
      state: lastError === undefined ? "ok" : "failing",
      ...(lastError === undefined ? {} : { error: lastError }),
      queued: queue.length,
      retrying: retry.length,
      ...counts,
    }),
    countExpired(deleted) {
      counts.expired += deleted;
    },
  };
}

/** Which stored records retention deletes: expired ones, then the oldest beyond the cap, per namespace. */
export function recordsToDelete(
  stored: readonly StoredRecord[],
  now: number,
  retentionMs: number,
  maxPerNamespace: number,
): StoredRecord[] {
  const byNamespace = new Map<string, StoredRecord[]>();
  for (const record of stored) {
    const list = byNamespace.get(record.namespace) ?? [];
    list.push(record);
    byNamespace.set(record.namespace, list);
  }
  const out: StoredRecord[] = [];
  for (const list of byNamespace.values()) {
    // An object without a readable time sorts first: it is the first to go past the cap.
    list.sort((a, b) => (a.time || 0) - (b.time || 0) || a.name.localeCompare(b.name));
    const kept: StoredRecord[] = [];
    for (const record of list) {
      if (Number.isFinite(record.time) && now - record.time <= retentionMs) kept.push(record);
      else if (Number.isFinite(record.time)) out.push(record);
      else kept.push(record);
    }
    out.push(...kept.slice(0, Math.max(0, kept.length - maxPerNamespace)));
  }
  return out;
}

export interface RecordRetention {
  /** One pass now (tests; the leader runs one on taking the Lease and then every interval). */
  sweep(): Promise<number>;
  stop(): void;
}

export function startRecordRetention(options: {
  api: RecordsApi;
  leadership: Leadership;
  retentionMs: number;
  maxPerNamespace: number;
  intervalMs: number;
  logger: pino.Logger;
  onExpired?: (count: number) => void;
  now?: () => number;
}): RecordRetention {
  const { api, leadership, logger } = options;
  const now = options.now ?? Date.now;
  let running: Promise<number> | undefined;
  const sweep = async (): Promise<number> => {
    const stored = await api.list();
    const doomed = recordsToDelete(stored, now(), options.retentionMs, options.maxPerNamespace);
    let deleted = 0;
    for (const record of doomed) {
      if (!leadership.isLeader()) break;
      await api.remove(record.namespace, record.name);
      deleted++;
    }
    if (deleted > 0) {
      options.onExpired?.(deleted);
      logger.info({ deleted }, "DecisionRecords past history.retention or history.maxPerNamespace deleted");
    }
    return deleted;
  };
  const tick = () => {
    if (!leadership.isLeader() || running) return;
    running = sweep()
      .catch((error: unknown) => {
        logger.warn(
          { error: describeApiError(error, describeError) },
          "DecisionRecord retention pass failed",
        );
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  const unsubscribe = leadership.onChange((leader) => {
    if (leader) tick();
  });
  if (leadership.isLeader()) tick();
  return {
    sweep,
    stop() {
      clearInterval(timer);
      unsubscribe();
    },
  };
}

/** client-node's CustomObjectsApi behind the records' three calls. */
export function kubeRecordsApi(kubeConfig: KubeConfig): RecordsApi {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  const resource = { group: RECORDS_GROUP, version: RECORDS_VERSION, plural: RECORDS_PLURAL };
  return {
    async create(namespace, body) {
      await api.createNamespacedCustomObject({ ...resource, namespace, body });
    },
    async list() {
      return (await listOwnedObjects(api, resource)).map(({ namespace, name, object }) => ({
        namespace,
        name,
        time: Date.parse(recordOfObject(object)?.time ?? ""),
      }));
    },
    async remove(namespace, name) {
      try {
        await api.deleteNamespacedCustomObject({ ...resource, namespace, name });
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
      }
    },
  };
}
