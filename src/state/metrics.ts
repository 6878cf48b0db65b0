// Prometheus metrics: decisions, and the sync state of every source (SPEC §2: errors show in metrics).
import { Counter, Gauge, Registry } from "prom-client";
import type { AdmissionResponse } from "../core/admission.js";
import type { Decision } from "../core/decision.js";
import type { GitSource } from "../sources/types.js";
import type { DesiredState } from "./desired-state.js";

export interface Metrics {
  registry: Registry;
  recordDecision(decision: Decision, response: AdmissionResponse): void;
}

export function createMetrics(sources: readonly GitSource[], state: DesiredState): Metrics {
  const registry = new Registry();
  const decisions = new Counter({
    name: "driftguard_admission_decisions_total",
    help: "Admission requests answered, by outcome (allowed, denied, warned) and kind of decision.",
    labelNames: ["outcome", "kind"],
    registers: [registry],
  });
  sourceGauges(registry, sources, state);
  return {
    registry,
    recordDecision(decision, response) {
      const outcome = !response.allowed
        ? "denied"
        : (response.warnings?.length ?? 0) > 0
          ? "warned"
          : "allowed";
      decisions.inc({ outcome, kind: decision.kind });
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
