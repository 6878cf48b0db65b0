// Prometheus metrics: decisions and their latency, on-demand fetches, and the sync state of every
// source (docs/contract.md §2: errors show in metrics). Labels stay few and bounded: no user or object names.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Decision } from "../core/decision.js";
import { reportGroupOf } from "../core/live-drift.js";
import type { Outcome } from "../core/verdict.js";
import type { RenderEvent } from "../render/app-step.js";
import type { AppStatus, GitSource } from "../sources/types.js";
import type { DriftTable } from "./contract.js";
import type { DesiredState } from "./desired-state.js";
import { FETCH_OUTCOMES, type FetchOutcome } from "./on-demand-fetch.js";

export interface Metrics {
  registry: Registry;
  recordDecision(decision: Decision, seconds: number): void;
  recordOnDemandFetch(outcome: FetchOutcome): void;
  recordRender(render: RenderEvent): void;
}

// Fine below 5 ms, where a webhook answer should be, so that a p99 near 1 ms can be read; coarse up to
// the webhook timeout's ceiling, where only on-demand fetches go.
const DURATION_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25,
  0.5, 1, 2.5, 5, 10,
];

// The decisions counter keeps the words it has always had, so that existing dashboards keep working.
const DECISION_OUTCOME: Record<Outcome, string> = { allow: "allowed", warn: "warned", deny: "denied" };

export interface MetricsOptions {
  /** The live scan's table, when it runs: managed and drifted Deployments, drifted fields. */
  scan?: DriftTable | undefined;
  /** One drift gauge per managed Deployment (config report.objectMetrics): opt-in, for cardinality. */
  objectMetrics?: boolean;
  now?: () => number;
}

export function createMetrics(
  sources: readonly GitSource[],
  state: DesiredState,
  options: MetricsOptions = {},
): Metrics {
  const registry = new Registry();
  const decisions = new Counter({
    name: "driftguard_admission_decisions_total",
    help: "Admission requests answered, by outcome (allowed, warned, denied) and kind of decision.",
    labelNames: ["outcome", "kind"],
    registers: [registry],
  });
  const duration = new Histogram({
    name: "driftguard_admission_duration_seconds",
    help: "Time from a decoded admission request to its answer, on-demand Git fetches included.",
    labelNames: ["outcome"],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const fetches = new Counter({
    name: "driftguard_ondemand_fetches_total",
    help: "Git fetches made before denying or warning, by outcome (fresh, unchanged, timed_out, failed).",
    labelNames: ["outcome"],
    registers: [registry],
  });
  for (const outcome of FETCH_OUTCOMES) fetches.inc({ outcome }, 0);
  const wouldDeny = new Counter({
    name: "driftguard_admission_would_deny_total",
    help: "Requests allowed (audit mode) that enforce mode would have denied, by kind of decision.",
    labelNames: ["kind"],
    registers: [registry],
  });
  const renders = new Counter({
    name: "driftguard_renders_total",
    help: "Renders of Kustomize and Helm apps (each render runs the tool twice), by tool and outcome (ok, failed).",
    labelNames: ["type", "outcome"],
    registers: [registry],
  });
  const renderSeconds = new Histogram({
    name: "driftguard_render_duration_seconds",
    help: "Time of one render of an app, both runs of the tool included.",
    labelNames: ["type"],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [registry],
  });
  const requests = new Counter({
    name: "driftguard_admission_requests_total",
    help: "Admission requests answered, by operation (CREATE, UPDATE, DELETE; none when not judged), outcome (allow, warn, deny) and mode.",
    labelNames: ["operation", "outcome", "mode"],
    registers: [registry],
  });
  const wouldDenyByGroup = new Counter({
    name: "driftguard_would_deny_total",
    help: "Requests allowed that enforce mode would have denied, by namespace and field group (unmanaged and unknown when no field is at stake); a request counts once per group.",
    labelNames: ["namespace", "group"],
    registers: [registry],
  });
  sourceGauges(registry, sources, state);
  sourceSyncMetrics(registry, sources, options.now ?? Date.now);
  if (options.scan) scanMetrics(registry, options.scan, options.objectMetrics === true);
  return {
    registry,
    recordDecision(decision, seconds) {
      const { outcome, mode } = decision.verdict;
      decisions.inc({ outcome: DECISION_OUTCOME[outcome], kind: decision.kind });
      duration.observe({ outcome }, seconds);
      const operation = decision.kind === "ignored" ? "none" : decision.subject.operation;
      requests.inc({ operation, outcome, mode: mode ?? "none" });
      if (decision.verdict.wouldDenyInEnforce && outcome !== "deny") {
        wouldDeny.inc({ kind: decision.kind });
        if (decision.kind !== "ignored") {
          const namespace = decision.subject.key.namespace;
          for (const group of wouldDenyGroups(decision)) wouldDenyByGroup.inc({ namespace, group });
        }
      }
    },
    recordOnDemandFetch(outcome) {
      fetches.inc({ outcome });
    },
    recordRender({ type, ok, seconds }) {
      renders.inc({ type, outcome: ok ? "ok" : "failed" });
      renderSeconds.observe({ type }, seconds);
    },
  };
}

function sourceGauges(registry: Registry, sources: readonly GitSource[], state: DesiredState): void {
  new Gauge({
    name: "driftguard_source_synced",
    help: "1 when the source's last fetch succeeded, 0 while it is failing or has never synced.",
    labelNames: ["source"],
    registers: [registry],
    collect() {
      for (const source of sources)
        this.set({ source: source.name }, source.status().state.kind === "synced" ? 1 : 0);
    },
  });
  new Gauge({
    name: "driftguard_source_file_errors",
    help: "Files of the source whose current content does not parse (their last good content is served).",
    labelNames: ["source"],
    registers: [registry],
    collect() {
      for (const source of sources) this.set({ source: source.name }, source.status().fileErrors.length);
    },
  });
  appGauge(registry, sources, {
    name: "driftguard_app_render_errors",
    help: "Kustomize and Helm apps whose render fails at the source's current commit (their last good render is served).",
    counts: (app) => app.error !== undefined,
  });
  appGauge(registry, sources, {
    name: "driftguard_apps",
    help: "Kustomize and Helm apps of the source at its current commit.",
    counts: () => true,
  });
  new Gauge({
    name: "driftguard_desired_objects",
    help: "Deployments with a desired state in Git.",
    registers: [registry],
    collect() {
      this.set(state.size);
    },
  });
  new Gauge({
    name: "driftguard_conflicts",
    help: "Deployments claimed by two manifests with different content (desired state unknown).",
    registers: [registry],
    collect() {
      this.set(state.conflicts().length);
    },
  });
}

/** Apps of each source and tool that `counts` holds for. */
function appGauge(
  registry: Registry,
  sources: readonly GitSource[],
  gauge: { name: string; help: string; counts: (app: AppStatus) => boolean },
): void {
  new Gauge({
    name: gauge.name,
    help: gauge.help,
    labelNames: ["source", "type"],
    registers: [registry],
    collect() {
      this.reset();
      for (const source of sources) {
        const apps = source.status().apps.filter(gauge.counts);
        for (const type of ["kustomize", "helm"] as const)
          this.set({ source: source.name, type }, apps.filter((app) => app.type === type).length);
      }
    },
  });
}

/**
 * `driftguard_events_total{reason,outcome}`: drift Events by reason (DriftDenied, DriftWarned,
 * DriftDetected, DriftResolved) and what became of them (written, deduplicated into a series, dropped
 * with the queue full, failed). Read from the recorder's own counts at scrape time.
 */
export function eventMetrics(
  registry: Registry,
  counts: () => Readonly<Record<string, Readonly<Record<string, number>>>>,
): void {
  new Counter({
    name: "driftguard_events_total",
    help: "Drift Events by reason and outcome (written, deduplicated into a series, dropped with the queue full, failed).",
    labelNames: ["reason", "outcome"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, outcomes] of Object.entries(counts()))
        for (const [outcome, value] of Object.entries(outcomes)) this.inc({ reason, outcome }, value);
    },
  });
}

/** The decision history (docs/contract.md §11): records by outcome, and what the disk and the API server lost. */
export function historyMetrics(
  registry: Registry,
  counts: () => {
    records: Readonly<Record<string, number>>;
    failures: Readonly<Record<string, number>>;
    dropped: Readonly<Record<string, number>>;
  },
): void {
  const counter = (
    name: string,
    help: string,
    label: string,
    pick: (c: ReturnType<typeof counts>) => Readonly<Record<string, number>>,
  ) =>
    new Counter({
      name,
      help,
      labelNames: [label],
      registers: [registry],
      collect() {
        this.reset();
        for (const [value, count] of Object.entries(pick(counts()))) this.inc({ [label]: value }, count);
      },
    });
  counter(
    "driftguard_history_records_total",
    "Decisions recorded (docs/contract.md §11), by outcome.",
    "outcome",
    (c) => c.records,
  );
  counter(
    "driftguard_history_write_failures_total",
    "Decision records a store failed to write: disk (stateDir/history) or cluster (DecisionRecord objects).",
    "store",
    (c) => c.failures,
  );
  counter(
    "driftguard_history_dropped_total",
    "Decision records dropped with a store's queue full (history.queue): disk or cluster.",
    "store",
    (c) => c.dropped,
  );
}

/** The field groups enforce would have denied a request for; the decision's kind when no field is. */
function wouldDenyGroups(decision: Exclude<Decision, { kind: "ignored" }>): string[] {
  if (decision.kind !== "judged" || decision.violations.length === 0) return [decision.kind];
  return [...new Set(decision.violations.map(reportGroupOf))];
}

/** When each source last synced, how long ago, and how many fetches failed (docs/contract.md §2). */
function sourceSyncMetrics(registry: Registry, sources: readonly GitSource[], now: () => number): void {
  new Gauge({
    name: "driftguard_source_last_sync_timestamp_seconds",
    help: "When the source's last successful fetch ended (Unix seconds); absent before the first one.",
    labelNames: ["source"],
    registers: [registry],
    collect() {
      this.reset();
      for (const source of sources) {
        const at = source.status().lastSuccessAt;
        if (at !== undefined) this.set({ source: source.name }, at / 1000);
      }
    },
  });
  new Gauge({
    name: "driftguard_source_sync_age_seconds",
    help: "Seconds since the source's last successful fetch; absent before the first one (alert on it with driftguard_source_synced).",
    labelNames: ["source"],
    registers: [registry],
    collect() {
      this.reset();
      for (const source of sources) {
        const at = source.status().lastSuccessAt;
        if (at !== undefined) this.set({ source: source.name }, Math.max(0, (now() - at) / 1000));
      }
    },
  });
  new Counter({
    name: "driftguard_source_sync_failures_total",
    help: "Fetches of the source that failed since the process started (the last good revision keeps serving).",
    labelNames: ["source"],
    registers: [registry],
    collect() {
      this.reset();
      for (const source of sources) this.inc({ source: source.name }, source.status().syncFailures ?? 0);
    },
  });
}

/**
 * The live scan's view, read from its table at scrape time: Deployments by namespace, source, mode and
 * state; drifted fields by group; the opt-in per-object gauge. Only namespaces and sources as labels.
 */
function scanMetrics(registry: Registry, scan: DriftTable, objectMetrics: boolean): void {
  new Gauge({
    name: "driftguard_deployments",
    help: "Deployments of the scanned namespaces by namespace, source (none when unmanaged), mode and state (drifted, in-sync, unmanaged, unknown).",
    labelNames: ["namespace", "source", "mode", "state"],
    registers: [registry],
    collect() {
      this.reset();
      const counts = new Map<string, { labels: Record<string, string>; count: number }>();
      for (const { drift } of scan.entries()) {
        const labels = {
          namespace: drift.key.namespace,
          source: drift.origin?.source ?? "none",
          mode: drift.mode,
          state: drift.state,
        };
        const key = `${labels.namespace}\0${labels.source}\0${labels.mode}\0${labels.state}`;
        const found = counts.get(key) ?? { labels, count: 0 };
        found.count++;
        counts.set(key, found);
      }
      for (const { labels, count } of counts.values()) this.set(labels, count);
    },
  });
  new Gauge({
    name: "driftguard_drifted_fields",
    help: "Fields that differ from Git in the managed Deployments, by namespace and field group.",
    labelNames: ["namespace", "group"],
    registers: [registry],
    collect() {
      this.reset();
      for (const { drift } of scan.entries())
        for (const field of drift.drifts)
          this.inc({ namespace: drift.key.namespace, group: reportGroupOf(field) }, 1);
    },
  });
  new Gauge({
    name: "driftguard_scan_synced",
    help: "1 once the live scan has its first full table and its watch is not failing, else 0.",
    registers: [registry],
    collect() {
      this.set(scan.status().state === "synced" ? 1 : 0);
    },
  });
  new Counter({
    name: "driftguard_scan_recomputes_total",
    help: "Drift computations of the live scan (one per changed Deployment, every Deployment on a new Git revision).",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(scan.status().recomputes);
    },
  });
  if (!objectMetrics) return;
  new Gauge({
    name: "driftguard_deployment_drifted",
    help: "Per managed Deployment: 1 drifted, 0 in sync (report.objectMetrics; one series per Deployment).",
    labelNames: ["namespace", "name"],
    registers: [registry],
    collect() {
      this.reset();
      for (const { drift } of scan.entries()) {
        if (drift.state !== "drifted" && drift.state !== "in-sync") continue;
        this.set({ namespace: drift.key.namespace, name: drift.key.name }, drift.state === "drifted" ? 1 : 0);
      }
    },
  });
}
