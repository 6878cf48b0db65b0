// Metrics of the Report writer and the writers' Lease (docs/contract.md §10), read from their stats when
// Prometheus scrapes: no bookkeeping on the write path. Registered on the service's registry by serve.
import { Counter, Gauge, type Registry } from "prom-client";
import type { Leadership } from "./contract.js";

/** What the Report writer counts (src/kube/report-writer.ts ReportWriterStats has these and more). */
export interface ReportCounts {
  writes: number;
  deletes: number;
  failures: number;
  pending: number;
}

export function registerReportMetrics(
  registry: Registry,
  counts: () => ReportCounts,
  leadership: Leadership,
): void {
  // Counters that follow the writer's own totals: each scrape adds what was counted since the last one.
  const seen = { writes: 0, deletes: 0, failures: 0 };
  const following = (name: string, help: string, key: keyof typeof seen) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const now = counts()[key];
        if (now > seen[key]) this.inc(now - seen[key]);
        seen[key] = now;
      },
    });
  following(
    "driftguard_report_writes_total",
    "Reports created or updated by this replica (only when content changed).",
    "writes",
  );
  following(
    "driftguard_report_deletes_total",
    "Reports deleted by this replica (Deployment gone or no longer managed).",
    "deletes",
  );
  following(
    "driftguard_report_write_failures_total",
    "Report writes, deletes and lists that failed (retried with backoff).",
    "failures",
  );
  new Gauge({
    name: "driftguard_report_pending",
    help: "Deployments whose Reports wait to be compared and written.",
    registers: [registry],
    collect() {
      this.set(counts().pending);
    },
  });
  new Gauge({
    name: "driftguard_leader",
    help: "1 while this replica holds the writers' Lease (writes Reports and scan Events), else 0.",
    registers: [registry],
    collect() {
      this.set(leadership.isLeader() ? 1 : 0);
    },
  });
}

/**
 * `driftguard_reverts_total{result}`: objects the in-cluster revert after grant expiry put back
 * (`reverted`), was refused on (changed since it looked, denied, invalid) or failed on (§11).
 */
export function registerRevertMetrics(
  registry: Registry,
  counts: () => Record<"reverted" | "refused" | "failed", number>,
): void {
  const seen = { reverted: 0, refused: 0, failed: 0 };
  new Counter({
    name: "driftguard_reverts_total",
    help: "Deployments the in-cluster revert after a grant expired put back to Git, by result (reverted, refused, failed).",
    labelNames: ["result"],
    registers: [registry],
    collect() {
      const now = counts();
      for (const result of ["reverted", "refused", "failed"] as const) {
        // Every result is exported from the start, 0 until it happens.
        this.inc({ result }, Math.max(0, now[result] - seen[result]));
        seen[result] = now[result];
      }
    },
  });
}
