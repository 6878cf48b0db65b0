// Which drift Events this replica writes, and when (docs/contract.md §10). Every replica writes
// DriftDenied and DriftWarned for the answers it gave. Only the leader writes DriftDetected and
// DriftResolved: the scan's table is the same on every replica, so its Events are one cluster-wide fact.
//
// "Drift no admission answer explains": each replica remembers its recent allowances with drift
// (core/answer-memory). A warned field already has its DriftWarned; an exempted one (config exemption or
// RBAC grant, which get no warning) gets a DriftDetected naming who and the grant. The leader has not
// seen the answers of other replicas: before it calls a field unexplained it looks for a DriftWarned
// Event on the object within the window naming that field (Events are the record replicas share); an
// exemption granted by another replica is not shared, so its drift reads as unexplained, naming the
// object's last field manager. A new leader (or a restart) first adopts the DriftDetected Events already
// in the cluster, so drift it reported before is not reported again; drift resolved while no leader
// watched gets no DriftResolved.
import type { EventsV1Event, KubeConfig } from "@kubernetes/client-node";
import type pino from "pino";
import type { DriftChange, DriftEntry, DriftTable, Leadership } from "../admission/contract.js";
import { AnswerMemory } from "../core/answer-memory.js";
import type { Decision } from "../core/decision.js";
import {
  type AdmissionAnswer,
  admissionAnswerFor,
  admissionEventFor,
  type DriftEventContent,
  detectedEventFor,
  type LastWrite,
  newDrifts,
  resolvedEventFor,
} from "../core/drift-events.js";
import type { LiveDrift } from "../core/live-drift.js";
import { describeError } from "../errors.js";
import {
  createEventRecorder,
  type EventCounts,
  type EventRecorder,
  type EventsApi,
  eventsApiOf,
} from "./event-recorder.js";

export interface DriftEventsOptions {
  /** The cluster to write to; or `api` (tests). */
  kubeConfig?: KubeConfig;
  api?: EventsApi;
  logger: pino.Logger;
  /** Config `report.events` (off: no Event at all) and `report.eventQueue` (the bound). */
  config: { events: boolean; eventQueue: number };
  /** How long an answer explains the scan's drift. */
  answerWindowMs?: number;
  seriesWindowMs?: number;
  reportingInstance?: string;
  now?: () => number;
}

export interface DriftEventsStatus {
  enabled: boolean;
  scan: "not attached" | "follower" | "adopting" | "leader";
  queued: number;
  remembered: number;
  counts: EventCounts;
}

export interface DriftEvents {
  /** Feed of every admission answer (the runtime's onDecision); `uid` is the Deployment's. */
  decided(decision: Decision, uid: string | undefined): void;
  /**
   * Writes the scan's Events while this replica leads (always, without `leadership`). `lastWriteOf`
   * names who last wrote an object (core lastWriteOf on the live object's managedFields), when the
   * scan keeps the objects; without it, unexplained drift names no manager.
   */
  attachScan(
    table: DriftTable,
    leadership: Leadership | undefined,
    lastWriteOf?: LastWriteLookup,
  ): () => void;
  /** Records one Event off the caller's path (DriftReverted from the in-cluster revert); none when off. */
  record(event: DriftEventContent): void;
  counts(): EventCounts;
  status(): DriftEventsStatus;
  /** Resolves when the scan's pending changes and every queued write are done. */
  drain(): Promise<void>;
}

/** The last write of the Deployment with this uid, from the scan's copy of it. */
export type LastWriteLookup = (uid: string) => LastWrite | undefined;

const ANSWER_WINDOW_MS = 10 * 60_000;
const REMEMBERED_OBJECTS = 10_000;

export function createDriftEvents(options: DriftEventsOptions): DriftEvents {
  const now = options.now ?? Date.now;
  const api = options.api ?? eventsApiOf(requiredKubeConfig(options));
  const windowMs = options.answerWindowMs ?? ANSWER_WINDOW_MS;
  const recorder = createEventRecorder({
    api,
    logger: options.logger,
    maxQueue: options.config.eventQueue,
    now,
    ...(options.seriesWindowMs === undefined ? {} : { seriesWindowMs: options.seriesWindowMs }),
    ...(options.reportingInstance === undefined ? {} : { reportingInstance: options.reportingInstance }),
  });
  const memory = new AnswerMemory({ windowMs, maxObjects: REMEMBERED_OBJECTS, now });
  const scan = scanWriter({ ...options, api, recorder, memory, now, windowMs });

  return {
    decided(decision, uid) {
      if (!options.config.events) return;
      const event = admissionEventFor(decision, uid);
      if (event) recorder.record(event);
      const answer = admissionAnswerFor(decision, uid, now());
      if (answer) memory.remember(answer);
    },
    attachScan: (table, leadership, lastWriteOf) =>
      options.config.events ? scan.attach(table, leadership, lastWriteOf) : () => {},
    record(event) {
      if (options.config.events) recorder.record(event);
    },
    counts: () => recorder.counts(),
    status: () => ({
      enabled: options.config.events,
      scan: scan.state(),
      queued: recorder.queued(),
      remembered: memory.size,
      counts: recorder.counts(),
    }),
    drain: async () => {
      await scan.settled();
      await recorder.drain();
    },
  };
}

interface ScanWriterParts {
  api: EventsApi;
  logger: pino.Logger;
  recorder: EventRecorder;
  memory: AnswerMemory;
  config: { eventQueue: number };
  lastWriteOf?: LastWriteLookup | undefined;
  now: () => number;
  windowMs: number;
}

/** The leader's half: the scan's changes → DriftDetected / DriftResolved, one change at a time. */
function scanWriter(parts: ScanWriterParts) {
  let state: DriftEventsStatus["scan"] = "not attached";
  let chain: Promise<void> = Promise.resolve();
  let pending = 0;
  let adoption: Promise<void> | undefined;
  let endWait: () => void = () => {};
  const detached = new Promise<void>((resolve) => {
    endWait = resolve;
  });

  // Serial: a DriftResolved must not overtake the DriftDetected of the same object while that one
  // looks for other replicas' DriftWarned Events.
  const later = (reason: "DriftDetected" | "DriftResolved", work: () => Promise<void>) => {
    if (pending >= parts.config.eventQueue) {
      parts.recorder.countDropped(reason);
      return;
    }
    pending++;
    chain = chain
      .then(work)
      .catch((error: unknown) =>
        parts.logger.warn({ reason, error: describeError(error) }, "could not make the scan's drift Event"),
      )
      .finally(() => pending--);
  };
  const onChange = (before: LiveDrift | undefined, after: LiveDrift | undefined) => {
    const resolved = resolvedEventFor(before, after);
    if (resolved) later("DriftResolved", async () => parts.recorder.record(resolved));
    if (newDrifts(before, after).length > 0) later("DriftDetected", () => detect(parts, before, after));
  };
  const adoptThenReplay = async (table: DriftTable) => {
    state = "adopting";
    try {
      const adopted = parts.recorder.adopt(await parts.api.listByReason("DriftDetected"));
      parts.logger.info({ adopted }, "adopted the DriftDetected Events already written");
    } catch (error) {
      parts.logger.warn(
        { error: describeError(error) },
        "could not list the DriftDetected Events already written: drift reported before may be reported again",
      );
    }
    // Detaching ends the wait: a scan whose first table never comes (Git never synced) must not hold up shutdown.
    await Promise.race([table.firstTable, detached]);
    if (state !== "adopting") return;
    state = "leader";
    for (const entry of table.entries()) onChange(undefined, entry.drift);
  };

  return {
    attach(table: DriftTable, leadership: Leadership | undefined, lastWriteOf?: LastWriteLookup): () => void {
      parts.lastWriteOf = lastWriteOf;
      const lead = (leader: boolean) => {
        if (!leader) state = "follower";
        else if (state !== "leader" && state !== "adopting") adoption = adoptThenReplay(table);
      };
      const unsubscribe = table.subscribe((change: DriftChange) => {
        // While adopting, the replay that follows reads the table as it is then.
        if (state === "leader") onChange(driftOf(change.before), driftOf(change.after));
      });
      const unlisten = leadership?.onChange(lead);
      lead(leadership?.isLeader() ?? true);
      return () => {
        unsubscribe();
        unlisten?.();
        state = "not attached";
        endWait();
      };
    },
    state: () => state,
    settled: async () => {
      await adoption;
      // Work queued while waiting joins the chain: wait until it stays empty.
      while (pending > 0) await chain;
    },
  };
}

async function detect(
  parts: ScanWriterParts,
  before: LiveDrift | undefined,
  after: LiveDrift | undefined,
): Promise<void> {
  if (after === undefined) return;
  const answers = parts.memory.answersFor(after.key, after.uid);
  const local = detectedEventFor(before, after, answers, undefined);
  if (local === undefined) return;
  const shared = await warnedElsewhere(parts, after, answers);
  const lastWrite = after.uid === undefined ? undefined : parts.lastWriteOf?.(after.uid);
  const event: DriftEventContent | undefined = detectedEventFor(
    before,
    after,
    [...answers, ...shared],
    lastWrite,
  );
  if (event) parts.recorder.record(event);
}

/**
 * Fields another replica warned about: its DriftWarned Events on the object within the window. Only
 * asked when this replica's own answers leave a field unexplained.
 */
async function warnedElsewhere(
  parts: ScanWriterParts,
  after: LiveDrift,
  known: readonly AdmissionAnswer[],
): Promise<AdmissionAnswer[]> {
  const explained = new Set(
    known.flatMap((answer) => [...answer.warned, ...answer.exempted.map((e) => e.path)]),
  );
  const open = newDrifts(undefined, after).filter((drift) => !explained.has(drift.path));
  if (open.length === 0 || after.uid === undefined) return [];
  try {
    const cutoff = parts.now() - parts.windowMs;
    const recent = (await parts.api.listWarned(after.key.namespace, after.uid)).filter(
      (event) => lastSeen(event) >= cutoff,
    );
    const warned = open
      .filter((drift) => recent.some((event) => event.note?.includes(`${drift.path}:`)))
      .map((drift) => drift.path);
    return warned.length === 0
      ? []
      : [{ key: after.key, uid: after.uid, at: parts.now(), who: "another replica", warned, exempted: [] }];
  } catch (error) {
    parts.logger.warn(
      { namespace: after.key.namespace, name: after.key.name, error: describeError(error) },
      "could not look for other replicas' DriftWarned Events",
    );
    return [];
  }
}

function lastSeen(event: EventsV1Event): number {
  const at = event.series?.lastObservedTime ?? event.eventTime;
  return at === undefined ? 0 : new Date(at).getTime();
}

function driftOf(entry: DriftEntry | undefined): LiveDrift | undefined {
  return entry?.drift;
}

function requiredKubeConfig(options: DriftEventsOptions): KubeConfig {
  if (!options.kubeConfig) throw new TypeError("createDriftEvents needs a kubeConfig or an api");
  return options.kubeConfig;
}
