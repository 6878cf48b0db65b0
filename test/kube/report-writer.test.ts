// The Report writer (docs/contract.md §10): only the Lease holder writes; on taking the Lease it lists
// and reconciles once; afterwards it writes a Report only when its content changed; failures are counted
// and retried with backoff. A fake Report API that keeps objects and counts calls, a table kept by hand.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ReportConfig } from "../../src/config/types.js";
import { REPORT_RESOURCES, type ReportKind, type ReportObject } from "../../src/core/report-objects.js";
import type { JsonObject } from "../../src/core/types.js";
import {
  type ReportApi,
  type ReportWriter,
  type StoredReport,
  startReportWriter,
} from "../../src/kube/report-writer.js";
import { driftEntry, ManualDriftTable, ManualLeadership } from "../support/drift-entries.js";
import { memoryLogger } from "../support/memory-logger.js";

class FakeReportApi implements ReportApi {
  readonly objects = new Map<string, JsonObject>();
  calls = { list: 0, apply: 0, remove: 0 };
  failing: Error | undefined;

  async list(kind: ReportKind): Promise<StoredReport[]> {
    this.calls.list++;
    this.fail();
    return [...this.objects.entries()]
      .filter(([key]) => key.startsWith(`${kind}/`))
      .map(([, object]) => {
        const metadata = object.metadata as { name: string; namespace: string };
        return { namespace: metadata.namespace, name: metadata.name, object };
      });
  }

  async apply(kind: ReportKind, report: ReportObject): Promise<void> {
    this.calls.apply++;
    this.fail();
    // As the API server returns it: more metadata.
    const stored = structuredClone(report) as unknown as JsonObject;
    (stored.metadata as JsonObject).resourceVersion = String(this.calls.apply);
    this.objects.set(`${kind}/${report.metadata.namespace}/${report.metadata.name}`, stored);
  }

  async remove(kind: ReportKind, namespace: string, name: string): Promise<void> {
    this.calls.remove++;
    this.fail();
    this.objects.delete(`${kind}/${namespace}/${name}`);
  }

  get(kind: ReportKind, uid: string, namespace = "shop"): JsonObject | undefined {
    return this.objects.get(`${kind}/${namespace}/${uid}`);
  }

  private fail(): void {
    if (this.failing) throw this.failing;
  }
}

const CONFIG: ReportConfig = {
  scan: "on",
  reports: "openreports",
  maxResults: 50,
  events: false,
  eventQueue: 100,
  objectMetrics: false,
  lease: { name: "driftguard", durationMs: 15_000 },
};

const writers: ReportWriter[] = [];
function writer(
  table: ManualDriftTable,
  leadership: ManualLeadership,
  api: FakeReportApi,
  reports: ReportConfig["reports"] = "openreports",
) {
  const started = startReportWriter({
    table,
    leadership,
    api,
    config: { ...CONFIG, reports },
    logger: memoryLogger().logger,
    retry: { baseMs: 1_000, maxMs: 8_000 },
  });
  writers.push(started);
  return started;
}
const summary = (object: JsonObject | undefined) => object?.summary as Record<string, number> | undefined;

afterEach(async () => {
  for (const w of writers.splice(0)) await w.stop();
  vi.useRealTimers();
});

describe("the Report writer", () => {
  it("writes nothing until it holds the Lease, then one Report per managed Deployment", async () => {
    const table = new ManualDriftTable([
      driftEntry({ name: "drifted", image: "nginx:2" }),
      driftEntry({ name: "synced" }),
      driftEntry({ name: "loose", state: "unmanaged" }),
      driftEntry({ name: "unsure", state: "unknown" }),
    ]);
    const leadership = new ManualLeadership(false);
    const api = new FakeReportApi();
    const w = writer(table, leadership, api);
    table.put(driftEntry({ name: "drifted", image: "nginx:3" }));
    await w.idle();
    expect(api.calls).toEqual({ list: 0, apply: 0, remove: 0 });

    leadership.set(true);
    await w.idle();
    expect(api.calls).toEqual({ list: 1, apply: 2, remove: 0 });
    expect(summary(api.get("openreports", "uid-drifted"))).toMatchObject({ fail: 1, pass: 0 });
    expect(summary(api.get("openreports", "uid-synced"))).toMatchObject({ fail: 0, pass: 1 });
    expect(w.stats()).toMatchObject({ leader: true, reconciled: true, writes: 2, failures: 0, pending: 0 });
  });

  it("rewrites a Report only when its content changed", async () => {
    const table = new ManualDriftTable([driftEntry({ name: "web", image: "nginx:2" })]);
    const api = new FakeReportApi();
    const w = writer(table, new ManualLeadership(true), api);
    await w.idle();
    expect(api.calls.apply).toBe(1);
    // Recomputed later with the same drift: only the times differ.
    table.put(driftEntry({ name: "web", image: "nginx:2", since: 5_000, observedAt: 9_000 }));
    await w.idle();
    expect(api.calls.apply).toBe(1);
    expect(w.stats().unchanged).toBe(1);
    // Fixed: the Report turns to pass.
    table.put(driftEntry({ name: "web" }));
    await w.idle();
    expect(api.calls.apply).toBe(2);
    expect(summary(api.get("openreports", "uid-web"))).toMatchObject({ fail: 0, pass: 1 });
  });

  it("on taking the Lease, reconciles: keeps what is right, updates what differs, deletes the rest", async () => {
    const api = new FakeReportApi();
    // What a previous leader wrote, at other times.
    const before = new ManualDriftTable([
      driftEntry({ name: "same", image: "nginx:2", since: 1, observedAt: 1 }),
      driftEntry({ name: "changed", image: "nginx:2" }),
      driftEntry({ name: "gone" }),
      driftEntry({ name: "now-unmanaged" }),
    ]);
    const first = writer(before, new ManualLeadership(true), api);
    await first.idle();
    await first.stop();
    expect(api.objects.size).toBe(4);
    api.calls = { list: 0, apply: 0, remove: 0 };

    const table = new ManualDriftTable([
      driftEntry({ name: "same", image: "nginx:2", since: 777, observedAt: 888 }),
      driftEntry({ name: "changed" }),
      driftEntry({ name: "now-unmanaged", state: "unmanaged" }),
      driftEntry({ name: "new", image: "nginx:9" }),
    ]);
    const w = writer(table, new ManualLeadership(true), api);
    await w.idle();
    expect(api.calls).toEqual({ list: 1, apply: 2, remove: 2 });
    expect([...api.objects.keys()].sort()).toEqual([
      "openreports/shop/uid-changed",
      "openreports/shop/uid-new",
      "openreports/shop/uid-same",
    ]);
    expect(summary(api.get("openreports", "uid-changed"))).toMatchObject({ pass: 1 });
  });

  it("an unknown desired state updates an existing Report to error and creates none", async () => {
    const table = new ManualDriftTable([driftEntry({ name: "web", image: "nginx:2" })]);
    const api = new FakeReportApi();
    const w = writer(table, new ManualLeadership(true), api);
    await w.idle();
    table.put(driftEntry({ name: "web", state: "unknown" }));
    table.put(driftEntry({ name: "other", state: "unknown" }));
    await w.idle();
    expect(summary(api.get("openreports", "uid-web"))).toMatchObject({ error: 1, fail: 0 });
    expect(api.get("openreports", "uid-other")).toBeUndefined();
  });

  it("a Deployment gone from the table loses its Report", async () => {
    const table = new ManualDriftTable([driftEntry({ name: "web" })]);
    const api = new FakeReportApi();
    const w = writer(table, new ManualLeadership(true), api);
    await w.idle();
    table.remove("uid-web");
    await w.idle();
    expect(api.objects.size).toBe(0);
    expect(w.stats().deletes).toBe(1);
  });

  it("writes both kinds when asked, and none when off", async () => {
    const entries = [driftEntry({ name: "web", image: "nginx:2" })];
    const both = new FakeReportApi();
    await writer(new ManualDriftTable(entries), new ManualLeadership(true), both, "both").idle();
    expect([...both.objects.keys()].sort()).toEqual([
      "openreports/shop/uid-web",
      "policyreports/shop/uid-web",
    ]);
    expect(both.get("policyreports", "uid-web")?.apiVersion).toBe(
      `${REPORT_RESOURCES.policyreports.group}/${REPORT_RESOURCES.policyreports.version}`,
    );
    const off = new FakeReportApi();
    const w = writer(new ManualDriftTable(entries), new ManualLeadership(true), off, "off");
    await w.idle();
    expect(off.calls).toEqual({ list: 0, apply: 0, remove: 0 });
  });

  it("counts failures and retries with backoff until the write goes through", async () => {
    vi.useFakeTimers();
    const table = new ManualDriftTable([driftEntry({ name: "web", image: "nginx:2" })]);
    const api = new FakeReportApi();
    const w = writer(table, new ManualLeadership(true), api);
    await w.idle();
    api.failing = Object.assign(new Error("the server could not find the requested resource"), { code: 404 });
    table.put(driftEntry({ name: "web" }));
    await w.idle();
    expect(w.stats()).toMatchObject({ failures: 1, writes: 1 });
    expect(w.stats().lastError).toContain("could not find");
    await vi.advanceTimersByTimeAsync(1_000);
    await w.idle();
    expect(w.stats().failures).toBe(2);
    api.failing = undefined;
    await vi.advanceTimersByTimeAsync(2_000);
    await w.idle();
    expect(w.stats()).toMatchObject({ failures: 2, writes: 2 });
    expect(summary(api.get("openreports", "uid-web"))).toMatchObject({ pass: 1 });
  });

  it("retries listing when the Reports cannot be listed (a CRD not installed yet)", async () => {
    vi.useFakeTimers();
    const api = new FakeReportApi();
    api.failing = Object.assign(new Error("not found"), { code: 404 });
    const w = writer(new ManualDriftTable([driftEntry({ name: "web" })]), new ManualLeadership(true), api);
    await vi.advanceTimersByTimeAsync(0);
    expect(w.stats()).toMatchObject({ reconciled: false, failures: 1 });
    api.failing = undefined;
    await vi.advanceTimersByTimeAsync(1_000);
    await w.idle();
    expect(w.stats()).toMatchObject({ reconciled: true, writes: 1 });
  });

  it("stops writing when it loses the Lease", async () => {
    const table = new ManualDriftTable([driftEntry({ name: "web" })]);
    const leadership = new ManualLeadership(true);
    const api = new FakeReportApi();
    const w = writer(table, leadership, api);
    await w.idle();
    leadership.set(false);
    table.put(driftEntry({ name: "web", image: "nginx:2" }));
    await w.idle();
    expect(api.calls.apply).toBe(1);
    expect(w.stats()).toMatchObject({ leader: false, reconciled: false });
  });

  it("waits for the scan's first table before reconciling", async () => {
    const table = new ManualDriftTable([driftEntry({ name: "web" })], false);
    const api = new FakeReportApi();
    const w = writer(table, new ManualLeadership(true), api);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(api.calls.list).toBe(0);
    table.markReady();
    await w.idle();
    expect(api.calls).toMatchObject({ list: 1, apply: 1 });
  });
});

describe("the Report writer across Lease changes", () => {
  it("losing the Lease while listing fails ends the reconcile; taking it again reconciles afresh", async () => {
    vi.useFakeTimers();
    const api = new FakeReportApi();
    api.failing = Object.assign(new Error("forbidden"), { code: 403 });
    const leadership = new ManualLeadership(true);
    const w = writer(new ManualDriftTable([driftEntry({ name: "web" })]), leadership, api);
    await vi.advanceTimersByTimeAsync(0);
    leadership.set(false);
    await vi.advanceTimersByTimeAsync(1_000);
    await w.idle();
    expect(w.stats()).toMatchObject({ leader: false, reconciled: false, writes: 0 });
    api.failing = undefined;
    leadership.set(true);
    await vi.advanceTimersByTimeAsync(0);
    await w.idle();
    expect(w.stats()).toMatchObject({ leader: true, reconciled: true, writes: 1 });
  });
});
