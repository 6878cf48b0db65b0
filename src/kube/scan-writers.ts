// What the live scan writes to the cluster (docs/contract.md §10): the Reports and the scan's Events
// (DriftDetected, DriftResolved), both from the one replica that holds the writers' Lease, so that two
// replicas never write the same Report or Event twice. Every replica keeps its own table and answers.
import type { KubeConfig } from "@kubernetes/client-node";
import type pino from "pino";
import type { DriftTable, Leadership } from "../admission/contract.js";
import type { ReportConfig } from "../config/types.js";
import { lastWriteOf } from "../core/drift-events.js";
import type { ExpiredScope } from "../core/expiry-revert.js";
import type { Policy } from "../core/policy.js";
import type { JsonObject } from "../core/types.js";
import { deploymentPatcherOf } from "./deployment-revert.js";
import type { DriftEvents } from "./drift-events.js";
import { type DesiredView, type GrantReverter, startGrantReverter } from "./grant-reverter.js";
import { type LeaderLease, startWritersLease } from "./leader-lease.js";
import { type ReportWriter, startReportWriter } from "./report-writer.js";

/** The scan's table, with the live object it compared (slimmed: the last write is all of its managedFields). */
export interface ScannedTable extends DriftTable {
  object(uid: string): JsonObject | undefined;
}

/** What the in-cluster revert after grant expiry needs beside the table (docs/contract.md §11). */
export interface RevertParts {
  desired: DesiredView;
  policy: Policy;
  expiredGrants(at: number): readonly ExpiredScope[];
  /** At most the resync interval. */
  intervalMs: number;
}

export interface ScanWriters {
  leadership: Leadership;
  reports: ReportWriter;
  /** Set when revert parts were given. */
  reverter: GrantReverter | undefined;
  status(): {
    lease: { leader: boolean; holder: string | undefined };
    reports: ReturnType<ReportWriter["stats"]>;
  };
  stop(): Promise<void>;
}

export function startScanWriters(options: {
  kubeConfig: KubeConfig;
  table: ScannedTable;
  events: DriftEvents;
  config: ReportConfig;
  logger: pino.Logger;
  revert?: RevertParts | undefined;
  /** The writers' Lease when the caller shares it (the DecisionRecords' retention); else started here. */
  lease?: LeaderLease;
}): ScanWriters {
  const { kubeConfig, table, events, config, logger, revert } = options;
  const lease = options.lease ?? startWritersLease({ kubeConfig, lease: config.lease, logger });
  const ownLease = options.lease === undefined;
  const reports = startReportWriter({ kubeConfig, table, leadership: lease, config, logger });
  const detach = events.attachScan(table, lease, (uid) => {
    const object = table.object(uid);
    return object === undefined ? undefined : lastWriteOf(object);
  });
  const reverter =
    revert === undefined
      ? undefined
      : startGrantReverter({
          ...revert,
          table,
          leadership: lease,
          patch: deploymentPatcherOf(kubeConfig),
          events,
          logger: logger.child({ component: "revert" }),
        });
  return {
    leadership: lease,
    reports,
    reverter,
    status: () => ({ lease: { leader: lease.isLeader(), holder: lease.holder() }, reports: reports.stats() }),
    async stop() {
      detach();
      reverter?.stop();
      await reports.stop();
      if (ownLease) await lease.stop();
    },
  };
}
