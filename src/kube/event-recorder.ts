// Writes driftguard's events.k8s.io/v1 Events (DriftDenied, DriftWarned, DriftDetected, DriftResolved,
// DriftReverted)
// off the request path: `record` only queues; one writer drains the queue. Repeats become a series on the
// same Event, as client-go's events library makes them: the first Event is plain; the same Event again
// (same action, reason, object and note: the note is immutable once written) within the window bumps
// `series.count` and `series.lastObservedTime` with a patch, and repeats that arrive while that write
// waits ride on it. Bounded: at most `maxQueue` writes waiting; past it a record is dropped and counted.
// A failed write is logged (object and reason, never the note or a credential) and counted: Events are
// a courtesy, no answer ever waits for or depends on them.
import { hostname } from "node:os";
import { EventsV1Api, type EventsV1Event, type KubeConfig, V1MicroTime } from "@kubernetes/client-node";
import type pino from "pino";
import { DRIFT_EVENT_REASONS, type DriftEventContent, type DriftEventReason } from "../core/drift-events.js";
import { describeError } from "../errors.js";
import { statusOf } from "./self-managed/api-status.js";

export const REPORTING_CONTROLLER = "driftguard.io/webhook";

export type EventOutcome = "written" | "deduplicated" | "dropped" | "failed";
export const EVENT_OUTCOMES: readonly EventOutcome[] = ["written", "deduplicated", "dropped", "failed"];
/** Counts by reason and outcome (metrics, /readyz). Each record ends as one outcome. */
export type EventCounts = Record<DriftEventReason, Record<EventOutcome, number>>;

/** The calls drift Events take; the real one is client-node's EventsV1Api (eventsApiOf). */
export interface EventsApi {
  create(namespace: string, body: EventsV1Event): Promise<EventsV1Event>;
  patchSeries(
    namespace: string,
    name: string,
    series: { count: number; lastObservedTime: Date },
  ): Promise<void>;
  /** Events of driftguard's with this reason, every namespace. */
  listByReason(reason: DriftEventReason): Promise<EventsV1Event[]>;
  /** driftguard's DriftWarned Events regarding the object with this uid. */
  listWarned(namespace: string, uid: string): Promise<EventsV1Event[]>;
}

export interface EventRecorder {
  record(event: DriftEventContent): void;
  /**
   * Takes Events already in the cluster as written: the next record of the same Event is absorbed
   * (no write) and later ones bump its series. A restarted leader adopts its DriftDetected Events so
   * that drift it reported before is not reported again.
   */
  adopt(events: readonly EventsV1Event[]): number;
  /** Resolves when the queue is empty (tests, shutdown). */
  drain(): Promise<void>;
  counts(): EventCounts;
  /** A record its caller dropped before it reached the queue (the scan's own bound). */
  countDropped(reason: DriftEventReason): void;
  /** Writes waiting now. */
  queued(): number;
}

export interface EventRecorderOptions {
  api: EventsApi;
  logger: pino.Logger;
  maxQueue: number;
  /** A repeat within this long of the last one joins its series; later, a new Event. */
  seriesWindowMs?: number;
  /** Pod name (its hostname in a pod) by default. */
  reportingInstance?: string;
  now?: () => number;
}

/** One Event as written (or about to be): the series the next repeat joins. */
interface Series {
  body: EventsV1Event;
  /** Set once created; a repeat then patches this Event. */
  name: string | undefined;
  count: number;
  /** The count the cluster holds. */
  written: number;
  lastObserved: number;
  queued: boolean;
  /** Adopted from the cluster: the next identical record is already said. */
  absorbNext: boolean;
}

const DEFAULT_SERIES_WINDOW_MS = 10 * 60_000;

export function createEventRecorder(options: EventRecorderOptions): EventRecorder {
  const now = options.now ?? Date.now;
  const windowMs = options.seriesWindowMs ?? DEFAULT_SERIES_WINDOW_MS;
  const instance = options.reportingInstance ?? hostname();
  const series = new Map<string, Series>();
  const queue: string[] = [];
  const counts = emptyCounts();
  let draining: Promise<void> | undefined;

  const count = (reason: string, outcome: EventOutcome) => {
    const row = counts[reason as DriftEventReason];
    if (row) row[outcome]++;
  };
  const enqueue = (key: string, entry: Series, reason: string): boolean => {
    if (queue.length >= options.maxQueue) {
      count(reason, "dropped");
      return false;
    }
    entry.queued = true;
    queue.push(key);
    draining ??= drainQueue();
    return true;
  };

  const write = async (entry: Series) => {
    const { body } = entry;
    const namespace = body.metadata?.namespace ?? "default";
    const target = entry.count;
    const lastObservedTime = new V1MicroTime(entry.lastObserved);
    try {
      if (entry.name !== undefined && entry.written > 0) {
        try {
          await options.api.patchSeries(namespace, entry.name, { count: target, lastObservedTime });
        } catch (error) {
          // Gone (the API server's Event TTL, or deleted): start the series again as a new Event.
          if (statusOf(error) !== 404) throw error;
          entry.name = undefined;
        }
      }
      if (entry.name === undefined) {
        const withSeries = target >= 2 ? { ...body, series: { count: target, lastObservedTime } } : body;
        entry.name = (await options.api.create(namespace, withSeries)).metadata?.name;
      }
      entry.written = target;
      count(body.reason ?? "", "written");
    } catch (error) {
      count(body.reason ?? "", "failed");
      options.logger.warn(
        { namespace, name: body.regarding?.name, reason: body.reason, error: describeError(error) },
        "could not write a drift Event",
      );
    }
  };
  const drainQueue = async () => {
    for (let key = queue.shift(); key !== undefined; key = queue.shift()) {
      const entry = series.get(key);
      if (!entry) continue;
      entry.queued = false;
      await write(entry);
    }
    draining = undefined;
  };
  const forgetOld = (at: number) => {
    if (series.size <= 10 * options.maxQueue) return;
    for (const [key, entry] of series)
      if (!entry.queued && at - entry.lastObserved >= windowMs) series.delete(key);
    // Still too many live series: the least recently seen go (a later repeat makes a new Event).
    for (const [key, entry] of series) {
      if (series.size <= 10 * options.maxQueue) break;
      if (!entry.queued) series.delete(key);
    }
  };

  return {
    record(event) {
      const at = now();
      const key = seriesKey(event);
      const existing = series.get(key);
      if (existing && at - existing.lastObserved < windowMs) {
        existing.lastObserved = at;
        // Refreshed: the least recently seen series stay first in the Map, for forgetOld.
        series.delete(key);
        series.set(key, existing);
        if (existing.absorbNext) {
          existing.absorbNext = false;
          count(event.reason, "deduplicated");
          return;
        }
        existing.count++;
        if (existing.queued) count(event.reason, "deduplicated");
        else if (!enqueue(key, existing, event.reason)) existing.count--;
        return;
      }
      const entry: Series = {
        body: eventBody(event, new Date(at), instance),
        name: undefined,
        count: 1,
        written: 0,
        lastObserved: at,
        queued: false,
        absorbNext: false,
      };
      if (queue.length >= options.maxQueue) {
        count(event.reason, "dropped");
        return;
      }
      series.delete(key);
      series.set(key, entry);
      enqueue(key, entry, event.reason);
      forgetOld(at);
    },
    adopt(events) {
      const at = now();
      let adopted = 0;
      for (const event of events) {
        const content = contentOf(event);
        if (!content || event.metadata?.name === undefined) continue;
        const key = seriesKey(content);
        if (series.has(key)) continue;
        const count = event.series?.count ?? 1;
        series.set(key, {
          // Rebuilt, not the stored object: a new Event after this one's TTL must not reuse its name.
          body: eventBody(content, new Date(at), instance),
          name: event.metadata.name,
          count,
          written: count,
          // A fresh window from adoption: the leader's first look at the table comes right after.
          lastObserved: at,
          queued: false,
          absorbNext: true,
        });
        adopted++;
      }
      forgetOld(at);
      return adopted;
    },
    drain: () => draining ?? Promise.resolve(),
    counts: () => structuredClone(counts),
    countDropped: (reason) => count(reason, "dropped"),
    queued: () => queue.length,
  };
}

/** What makes two Events the same one (client-go's key, plus the note, which cannot change). */
function seriesKey(event: DriftEventContent): string {
  const { key } = event;
  return [event.action, event.reason, key.namespace, key.name, event.uid ?? "", event.note].join("\n");
}

function eventBody(event: DriftEventContent, at: Date, instance: string): EventsV1Event {
  const { key } = event;
  return {
    apiVersion: "events.k8s.io/v1",
    kind: "Event",
    // Not `name.`: events.k8s.io validates generateName as a DNS subdomain prefix (a trailing dash is fine).
    metadata: { generateName: `${key.name}-`, namespace: key.namespace },
    eventTime: new V1MicroTime(at.getTime()),
    reportingController: REPORTING_CONTROLLER,
    reportingInstance: instance,
    action: event.action,
    reason: event.reason,
    type: event.type,
    note: event.note,
    regarding: {
      apiVersion: "apps/v1",
      kind: "Deployment",
      namespace: key.namespace,
      name: key.name,
      ...(event.uid === undefined ? {} : { uid: event.uid }),
    },
  };
}

/** An Event read back from the cluster, as the content it was written from; undefined if not ours. */
function contentOf(event: EventsV1Event): DriftEventContent | undefined {
  const reason = DRIFT_EVENT_REASONS.find((known) => known === event.reason);
  const { regarding } = event;
  if (!reason || event.reportingController !== REPORTING_CONTROLLER || !regarding?.name) return undefined;
  if (event.action !== "Admit" && event.action !== "Scan" && event.action !== "Revert") return undefined;
  return {
    reason,
    type: event.type === "Normal" ? "Normal" : "Warning",
    action: event.action,
    key: { namespace: regarding.namespace ?? event.metadata?.namespace ?? "default", name: regarding.name },
    uid: regarding.uid,
    note: event.note ?? "",
  };
}

function emptyCounts(): EventCounts {
  const row = () => ({ written: 0, deduplicated: 0, dropped: 0, failed: 0 });
  return {
    DriftDenied: row(),
    DriftWarned: row(),
    DriftDetected: row(),
    DriftResolved: row(),
    DriftReverted: row(),
  };
}

/** client-node's EventsV1Api behind the recorder's three calls. */
export function eventsApiOf(kubeConfig: KubeConfig): EventsApi {
  const api = kubeConfig.makeApiClient(EventsV1Api);
  return {
    create: (namespace, body) => api.createNamespacedEvent({ namespace, body }),
    async patchSeries(namespace, name, value) {
      // client-node sends a JSON patch (its first content type); `add` sets the member whether or not
      // the Event has a series yet.
      await api.patchNamespacedEvent({ name, namespace, body: [{ op: "add", path: "/series", value }] });
    },
    async listByReason(reason) {
      const fieldSelector = `reason=${reason},reportingController=${REPORTING_CONTROLLER}`;
      return (await api.listEventForAllNamespaces({ fieldSelector })).items;
    },
    async listWarned(namespace, uid) {
      const fieldSelector = `reason=DriftWarned,reportingController=${REPORTING_CONTROLLER},regarding.uid=${uid}`;
      return (await api.listNamespacedEvent({ namespace, fieldSelector })).items;
    },
  };
}
