// Where a decision that matters goes (docs/contract.md §11): one structured log line ("decision record",
// the record under `record`: what cluster log pipelines collect), the bounded store on disk, and the
// DecisionRecord objects of the API server when the cluster is watched. Never on the request path:
// building the record is pure and cheap, the disk and the API server each have their own queue.
import type pino from "pino";
import type { RecordSink } from "../admission/contract.js";
import type { AdmissionRequest } from "../core/admission.js";
import type { Decision } from "../core/decision.js";
import { type DecisionRecord, recordOf } from "../core/decision-record.js";
import type { Outcome } from "../core/verdict.js";
import type { DiskStore } from "./disk-store.js";

export const RECORD_LOG_MESSAGE = "decision record";

export interface HistoryCounts {
  records: Record<Outcome, number>;
  failures: { disk: number; cluster: number };
  dropped: { disk: number; cluster: number };
}

export interface HistoryRecorder {
  /** Called with every decision; records the ones that matter. Never throws, never waits. */
  decided(decision: Decision, request: AdmissionRequest): DecisionRecord | undefined;
  counts(): HistoryCounts;
  /** Hears every record made from now on (the web view's recent decisions); returns the unsubscribe. */
  onRecord(listener: (record: DecisionRecord) => void): () => void;
  /** For /readyz: the disk store's and the API server's state. A failing store never makes a replica unready. */
  status(): unknown;
  drain(): Promise<void>;
}

export function createHistoryRecorder(options: {
  logger: pino.Logger;
  disk: DiskStore | undefined;
  cluster: RecordSink | undefined;
  now?: () => number;
}): HistoryRecorder {
  const { logger, disk, cluster } = options;
  const now = options.now ?? Date.now;
  const records: Record<Outcome, number> = { allow: 0, warn: 0, deny: 0 };
  const listeners = new Set<(record: DecisionRecord) => void>();
  return {
    decided(decision, request) {
      const record = recordOf(decision, request, now());
      if (!record) return undefined;
      records[record.verdict.outcome]++;
      logger.info({ record }, RECORD_LOG_MESSAGE);
      disk?.append(record);
      cluster?.submit(record);
      for (const listener of listeners) listener(record);
      return record;
    },
    onRecord(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    counts() {
      const diskStatus = disk?.status();
      const clusterCounts = cluster?.counts();
      return {
        records: { ...records },
        failures: { disk: diskStatus?.failed ?? 0, cluster: clusterCounts?.failed ?? 0 },
        dropped: { disk: diskStatus?.dropped ?? 0, cluster: clusterCounts?.dropped ?? 0 },
      };
    },
    status: () => ({
      records: { ...records },
      ...(disk ? { disk: disk.status() } : {}),
      ...(cluster ? { cluster: cluster.status() } : {}),
    }),
    drain: async () => {
      await Promise.all([disk?.drain(), cluster?.drain()]);
    },
  };
}
