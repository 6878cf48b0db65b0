// The Prometheus metrics read the verdict: decisions by outcome and kind, admission latency in buckets
// fine enough to read a p99 near 1 ms, and on-demand fetches by outcome (all four present from start).
import { describe, expect, it } from "vitest";
import { DesiredState } from "../../src/admission/desired-state.js";
import { createMetrics, eventMetrics } from "../../src/admission/metrics.js";
import { decide } from "../../src/core/decide.js";
import type { Policy } from "../../src/core/policy.js";
import { fakeSource } from "../support/fake-source.js";
import { testPolicy } from "../support/policy.js";
import { request } from "../support/reviews.js";

function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split("\n").find((entry) => entry.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.split(" ").pop());
}

/** The decision on a CREATE that no source manages: a bare object, since only its name is read. */
const createUnmanaged = (policy: Policy) =>
  decide({
    request: request({ operation: "CREATE", object: { metadata: { name: "x", namespace: "shop" } } }),
    lookup: { kind: "unmanaged" },
    policy,
    namespaceTerminating: false,
  });

describe("metrics", () => {
  it("counts decisions by outcome, times them, and counts on-demand fetches", async () => {
    const source = fakeSource("apps");
    const policy = testPolicy({ unmanaged: "deny" });
    const metrics = createMetrics([source], new DesiredState([source], policy));
    const denied = createUnmanaged(policy);
    metrics.recordDecision(denied, 0.0008);
    metrics.recordDecision(denied, 0.004);
    metrics.recordOnDemandFetch("timed_out");
    const audit = testPolicy({ mode: "audit", unmanaged: "deny" });
    const warned = createUnmanaged(audit);
    metrics.recordDecision(warned, 0.0001);
    const text = await metrics.registry.metrics();
    expect(sample(text, "driftguard_admission_decisions_total", 'outcome="denied",kind="unmanaged"')).toBe(2);
    const bucket = (le: string) =>
      sample(text, "driftguard_admission_duration_seconds_bucket", `le="${le}",outcome="deny"`);
    expect(bucket("0.00075")).toBe(0);
    expect(bucket("0.001")).toBe(1);
    expect(bucket("0.005")).toBe(2);
    expect(sample(text, "driftguard_admission_duration_seconds_count", 'outcome="deny"')).toBe(2);
    expect(sample(text, "driftguard_ondemand_fetches_total", 'outcome="timed_out"')).toBe(1);
    // Denials are not "would deny": they were denied. The audit-mode allowance is.
    expect(sample(text, "driftguard_admission_would_deny_total", 'kind="unmanaged"')).toBe(1);
    for (const outcome of ["fresh", "unchanged", "failed"])
      expect(sample(text, "driftguard_ondemand_fetches_total", `outcome="${outcome}"`)).toBe(0);
  });

  it("exports the drift Events' counts by reason and outcome, as they are at scrape time", async () => {
    const source = fakeSource("apps");
    const metrics = createMetrics([source], new DesiredState([source], testPolicy()));
    const counts = { DriftDenied: { written: 2, deduplicated: 1, dropped: 0, failed: 0 } };
    eventMetrics(metrics.registry, () => counts);
    const before = await metrics.registry.metrics();
    expect(sample(before, "driftguard_events_total", 'reason="DriftDenied",outcome="written"')).toBe(2);
    expect(sample(before, "driftguard_events_total", 'reason="DriftDenied",outcome="dropped"')).toBe(0);
    counts.DriftDenied.dropped = 3;
    const after = await metrics.registry.metrics();
    expect(sample(after, "driftguard_events_total", 'reason="DriftDenied",outcome="dropped"')).toBe(3);
    expect(sample(after, "driftguard_events_total", 'reason="DriftDenied",outcome="written"')).toBe(2);
  });
});
