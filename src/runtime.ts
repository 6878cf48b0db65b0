// Wires the parts together from a Config: Git sources → desired state → admission service (+ metrics).
// Used by `serve`, `check` and `diff`, so that all three decide exactly alike.
import type pino from "pino";
import type { Config } from "./config/types.js";
import type { AdmissionHandler, Readiness } from "./http/types.js";
import { createGitSource } from "./sources/git-source.js";
import type { GitSource } from "./sources/types.js";
import { createAdmit } from "./state/admit.js";
import { DesiredState } from "./state/desired-state.js";
import { createMetrics, type Metrics } from "./state/metrics.js";

export interface Runtime {
  sources: readonly GitSource[];
  state: DesiredState;
  admit: AdmissionHandler;
  metrics: Metrics;
  /** Resolves when every source has made its first attempt (snapshot loaded, one fetch tried). */
  started: Promise<void>;
  readiness(): Readiness;
  refresh(source: string | undefined): Promise<unknown>;
  stop(): Promise<void>;
}

export function createRuntime(config: Config, logger: pino.Logger): Runtime {
  const sources = config.sources.map((source) =>
    createGitSource(source, { stateDir: config.stateDir, revisions: config.revisions, logger }),
  );
  const state = new DesiredState(sources, config.policy);
  for (const source of sources) source.onChange(() => state.rebuild());
  const metrics = createMetrics(sources, state);
  const admit = createAdmit({
    state,
    sources,
    policy: config.policy,
    refresh: config.refresh,
    logger,
    onDecision: (decision, response) => metrics.recordDecision(decision, response),
  });
  const started = Promise.all(sources.map((source) => source.start())).then(() => state.rebuild());
  return {
    sources,
    state,
    admit,
    metrics,
    started,
    readiness: () => ({
      ready: true,
      details: { sources: sources.map((s) => s.status()), conflicts: state.conflicts(), objects: state.size },
    }),
    refresh: async (name) => {
      const chosen = sources.filter((source) => name === undefined || source.name === name);
      return Promise.all(chosen.map((source) => source.refresh("push webhook")));
    },
    stop: async () => {
      await Promise.all(sources.map((source) => source.stop()));
    },
  };
}
