// The Report writer's and the Lease's metrics, read from their stats at scrape time.
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { type ReportCounts, registerReportMetrics } from "../../src/admission/report-metrics.js";
import { ManualLeadership } from "../support/drift-entries.js";

const value = async (registry: Registry, name: string) =>
  (await registry.getSingleMetric(name)?.get())?.values[0]?.value;

describe("Report metrics", () => {
  it("follow the writer's totals and the Lease, scrape after scrape", async () => {
    const registry = new Registry();
    const counts: ReportCounts = { writes: 3, deletes: 1, failures: 0, pending: 2 };
    const leadership = new ManualLeadership(true);
    registerReportMetrics(registry, () => counts, leadership);
    await registry.metrics();
    expect(await value(registry, "driftguard_report_writes_total")).toBe(3);
    expect(await value(registry, "driftguard_report_pending")).toBe(2);
    expect(await value(registry, "driftguard_leader")).toBe(1);
    Object.assign(counts, { writes: 5, failures: 2, pending: 0 });
    leadership.set(false);
    const text = await registry.metrics();
    expect(text).toContain("driftguard_report_writes_total 5");
    expect(text).toContain("driftguard_report_write_failures_total 2");
    expect(text).toContain("driftguard_report_deletes_total 1");
    expect(text).toContain("driftguard_report_pending 0");
    expect(text).toContain("driftguard_leader 0");
  });
});
