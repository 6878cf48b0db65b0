// Writes audit-mode drift as core/v1 Events on the Deployment, so that `kubectl describe deployment`
// and `kubectl events` show it. Off the request path: `record` only queues; one writer drains the
// queue. Bounded: at most `maxQueue` waiting, and the same message about the same object once per
// `dedupeMs` (a loop that edits a Deployment every second must not flood etcd). A failed write is
// logged and dropped: events are a courtesy, the answer to the request never depends on them.
import { hostname } from "node:os";
import { CoreV1Api, type CoreV1Event, type KubeConfig } from "@kubernetes/client-node";
import type pino from "pino";
import type { AuditEvent } from "../core/audit-event.js";
import { describeError } from "../errors.js";

export interface EventRecorder {
  /** Queues the event; `uid` is the Deployment's (kubectl describe finds events by it). */
  record(event: AuditEvent, uid: string | undefined): void;
  /** Resolves when the queue is empty (tests, shutdown). */
  drain(): Promise<void>;
  stats(): { written: number; deduplicated: number; dropped: number; failed: number };
}

export interface EventRecorderOptions {
  kubeConfig: KubeConfig;
  logger: pino.Logger;
  maxQueue?: number;
  dedupeMs?: number;
  now?: () => number;
}

const COMPONENT = "driftguard";

export function createEventRecorder(options: EventRecorderOptions): EventRecorder {
  const api = options.kubeConfig.makeApiClient(CoreV1Api);
  const now = options.now ?? Date.now;
  const maxQueue = options.maxQueue ?? 1000;
  const dedupeMs = options.dedupeMs ?? 10 * 60_000;
  const recent = new Map<string, number>();
  const queue: CoreV1Event[] = [];
  const stats = { written: 0, deduplicated: 0, dropped: 0, failed: 0 };
  let draining: Promise<void> | undefined;

  const write = async (event: CoreV1Event) => {
    try {
      await api.createNamespacedEvent({ namespace: event.metadata.namespace ?? "default", body: event });
      stats.written++;
    } catch (error) {
      stats.failed++;
      options.logger.warn(
        {
          namespace: event.metadata.namespace,
          name: event.involvedObject.name,
          error: describeError(error),
        },
        "could not write the audit-mode event",
      );
    }
  };
  const drainQueue = async () => {
    for (let event = queue.shift(); event; event = queue.shift()) await write(event);
    draining = undefined;
  };

  return {
    record(event, uid) {
      const at = now();
      const key = `${event.key.namespace}/${event.key.name}\n${event.message}`;
      const last = recent.get(key);
      if (last !== undefined && at - last < dedupeMs) {
        stats.deduplicated++;
        return;
      }
      if (queue.length >= maxQueue) {
        stats.dropped++;
        return;
      }
      recent.set(key, at);
      if (recent.size > 10 * maxQueue) forgetOlderThan(recent, at - dedupeMs);
      queue.push(toKubernetesEvent(event, uid, new Date(at)));
      draining ??= drainQueue();
    },
    drain: () => draining ?? Promise.resolve(),
    stats: () => ({ ...stats }),
  };
}

function toKubernetesEvent(event: AuditEvent, uid: string | undefined, at: Date): CoreV1Event {
  return {
    metadata: { generateName: `${event.key.name}.`, namespace: event.key.namespace },
    involvedObject: {
      apiVersion: "apps/v1",
      kind: "Deployment",
      namespace: event.key.namespace,
      name: event.key.name,
      ...(uid === undefined ? {} : { uid }),
    },
    reason: event.reason,
    message: event.message,
    type: "Warning",
    source: { component: COMPONENT },
    reportingComponent: COMPONENT,
    reportingInstance: hostname(),
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
  };
}

function forgetOlderThan(recent: Map<string, number>, cutoff: number): void {
  for (const [key, at] of recent) if (at < cutoff) recent.delete(key);
}
