// The Prometheus metrics read the verdict: decisions by outcome and kind, admission latency in buckets
// fine enough to read a p99 near 1 ms, and on-demand fetches by outcome (all four present from start).
import { describe, expect, it } from "vitest";
import { DesiredState } from "../../src/admission/desired-state.js";
import { LiveDriftTable } from "../../src/admission/drift-table.js";
import { createMetrics, eventMetrics } from "../../src/admission/metrics.js";
import { decide } from "../../src/core/decide.js";
import type { Policy } from "../../src/core/policy.js";
import { deploymentManifest, storedDeployment } from "../support/deployments.js";
import { fakeRevision, fakeSource } from "../support/fake-source.js";
import { testPolicy } from "../support/policy.js";
import { desiredFor, managed, request } from "../support/reviews.js";

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

describe("metrics of the live scan, decisions by operation and mode, and Git sync", () => {
  it("counts requests by operation, outcome and mode, and audit allowances by namespace and field group", async () => {
    const source = fakeSource("apps");
    const audit = testPolicy({ mode: "audit" });
    const metrics = createMetrics([source], new DesiredState([source], audit));
    const manifest = deploymentManifest({ namespace: "shop" });
    const desired = desiredFor(manifest, audit, "shop");
    const stored = storedDeployment(manifest);
    const edited = storedDeployment(
      deploymentManifest({ namespace: "shop", image: "nginx:hand", replicas: 3 }),
    );
    const update = decide({
      request: request({ operation: "UPDATE", object: edited, oldObject: stored }),
      lookup: managed(desired),
      policy: audit,
      namespaceTerminating: false,
    });
    metrics.recordDecision(update, 0.001);
    metrics.recordDecision(update, 0.001);
    metrics.recordDecision(createUnmanaged(testPolicy({ unmanaged: "deny" })), 0.001);
    const text = await metrics.registry.metrics();
    expect(
      sample(text, "driftguard_admission_requests_total", 'operation="UPDATE",outcome="warn",mode="audit"'),
    ).toBe(2);
    expect(
      sample(text, "driftguard_admission_requests_total", 'operation="CREATE",outcome="deny",mode="enforce"'),
    ).toBe(1);
    expect(sample(text, "driftguard_would_deny_total", 'namespace="shop",group="image"')).toBe(2);
    // The denied CREATE was denied, not "would deny"; replicas are not managed by a manifest without them.
    expect(text).not.toContain('driftguard_would_deny_total{namespace="shop",group="unmanaged"}');
  });

  it("shows the table: Deployments by namespace, source, mode and state, drifted fields by group, the opt-in gauge", async () => {
    const source = fakeSource("apps");
    const policy = testPolicy({ namespaceModes: new Map([["shop", "audit"]]) });
    const state = new DesiredState([source], policy);
    source.serve(
      fakeRevision("apps", "c1", [deploymentManifest({ name: "web" }), deploymentManifest({ name: "api" })]),
    );
    state.rebuild();
    const objects = [
      storedDeployment(
        { name: "web", image: "nginx:hand", env: [{ name: "TOKEN", value: "s3cret" }] },
        { metadata: { uid: "u1" } },
      ),
      storedDeployment({ name: "api" }, { metadata: { uid: "u2" } }),
      storedDeployment({ name: "stray" }, { metadata: { uid: "u3" } }),
    ];
    const table = new LiveDriftTable({
      feed: { list: () => objects, state: () => ({ kind: "synced" }) },
      desired: state,
      policy,
      excludedNamespaces: [],
      debounceMs: 1,
    });
    table.feedChanged();
    await table.firstTable;
    const plain = await createMetrics([source], state, { scan: table }).registry.metrics();
    const d = (labels: string) => sample(plain, "driftguard_deployments", labels);
    expect(d('namespace="shop",source="apps",mode="audit",state="drifted"')).toBe(1);
    expect(d('namespace="shop",source="apps",mode="audit",state="in-sync"')).toBe(1);
    expect(d('namespace="shop",source="none",mode="audit",state="unmanaged"')).toBe(1);
    expect(sample(plain, "driftguard_drifted_fields", 'namespace="shop",group="image"')).toBe(1);
    expect(sample(plain, "driftguard_drifted_fields", 'namespace="shop",group="env"')).toBe(1);
    expect(plain).toMatch(/^driftguard_scan_synced 1$/m);
    expect(plain).toMatch(/^driftguard_scan_recomputes_total 3$/m);
    // No object names unless asked, and never a value.
    expect(plain).not.toContain("driftguard_deployment_drifted");
    expect(plain).not.toContain("s3cret");
    const opted = await createMetrics([source], state, {
      scan: table,
      objectMetrics: true,
    }).registry.metrics();
    expect(sample(opted, "driftguard_deployment_drifted", 'namespace="shop",name="web"')).toBe(1);
    expect(sample(opted, "driftguard_deployment_drifted", 'namespace="shop",name="api"')).toBe(0);
    expect(opted).not.toContain('name="stray"');
    table.stop();
  });

  it("gives each source's last sync time, its age and its failed fetches", async () => {
    const source = fakeSource("apps");
    source.lastAttemptAt = 100_000;
    const status = source.status;
    source.status = () => ({ ...status(), syncFailures: 4 });
    const metrics = createMetrics([source], new DesiredState([source], testPolicy()), { now: () => 130_000 });
    const text = await metrics.registry.metrics();
    expect(sample(text, "driftguard_source_last_sync_timestamp_seconds", 'source="apps"')).toBe(100);
    expect(sample(text, "driftguard_source_sync_age_seconds", 'source="apps"')).toBe(30);
    expect(sample(text, "driftguard_source_sync_failures_total", 'source="apps"')).toBe(4);
    expect(text).toContain("# TYPE driftguard_source_sync_failures_total counter");
  });
});
