// The DecisionRecord parts `serve` starts when it watches the cluster (docs/contract.md §11): the writer
// every replica has, the restore of the disk store's recent records on start (so that an API server
// outage loses nothing), and the retention the writers' leader runs.
import type { KubeConfig } from "@kubernetes/client-node";
import type pino from "pino";
import type { Leadership, RecordSink } from "../admission/contract.js";
import type { HistoryConfig } from "../config/types.js";
import { describeError } from "../errors.js";
import { readDiskStore } from "../history/disk-store.js";
import {
  createRecordWriter,
  kubeRecordsApi,
  type RecordsApi,
  startRecordRetention,
} from "./decision-records.js";

export interface DecisionRecords {
  sink: RecordSink;
  /** Resolves when the restore pass is done (tests). */
  restored: Promise<number>;
  stop(): Promise<void>;
}

/** Retention runs this often, and at least once an hour: records expire by the hour, not the second. */
const RETENTION_INTERVAL_MS = 10 * 60_000;

export function startDecisionRecords(options: {
  kubeConfig: KubeConfig;
  config: HistoryConfig;
  /** The disk store to restore from (stateDir/history). */
  dir: string;
  logger: pino.Logger;
  /** The writers' Lease, started on first use. */
  leadership: () => Leadership;
  api?: RecordsApi;
  retentionIntervalMs?: number;
  now?: () => number;
}): DecisionRecords {
  const { config, logger } = options;
  const now = options.now ?? Date.now;
  const log = logger.child({ component: "decision-records" });
  const api = options.api ?? kubeRecordsApi(options.kubeConfig);
  const writer = createRecordWriter({ api, logger: log, maxQueue: config.queue });
  const restored = restore(options.dir, writer, now() - Math.min(config.restoreMs, config.retentionMs), log);
  const retention = startRecordRetention({
    api,
    leadership: options.leadership(),
    retentionMs: config.retentionMs,
    maxPerNamespace: config.maxPerNamespace,
    intervalMs: options.retentionIntervalMs ?? Math.min(RETENTION_INTERVAL_MS, config.retentionMs),
    logger: log,
    onExpired: (deleted) => writer.countExpired(deleted),
    now,
  });
  return {
    sink: writer,
    restored,
    async stop() {
      retention.stop();
      await writer.drain();
    },
  };
}

async function restore(
  dir: string,
  writer: ReturnType<typeof createRecordWriter>,
  since: number,
  logger: pino.Logger,
): Promise<number> {
  try {
    const { records, skipped } = await readDiskStore(dir);
    const recent = records.filter((record) => Date.parse(record.time) >= since);
    if (recent.length === 0) return 0;
    const created = await writer.restore(recent);
    logger.info(
      { recent: recent.length, created, skipped },
      "DecisionRecords of the disk store created again (those already there count as written)",
    );
    return created;
  } catch (error) {
    logger.warn({ error: describeError(error) }, "could not read the disk store to restore DecisionRecords");
    return 0;
  }
}
