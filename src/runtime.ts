// Wires the parts together from a Config: Git sources → desired state → admission service (+ metrics).
// Used by `serve`, `check` and `diff`, so that all three decide exactly alike.
import { join } from "node:path";
import type pino from "pino";
import { createAdmit } from "./admission/admit.js";
import type { AdmissionHandler, ClusterParts, DeploymentFeed, Readiness } from "./admission/contract.js";
import { DesiredState } from "./admission/desired-state.js";
import { LiveDriftTable } from "./admission/drift-table.js";
import { createMetrics, eventMetrics, historyMetrics, type Metrics } from "./admission/metrics.js";
import type { Config } from "./config/types.js";
import { describeError } from "./errors.js";
import { HISTORY_DIR, openDiskStore } from "./history/disk-store.js";
import { createHistoryRecorder, type HistoryRecorder } from "./history/recorder.js";
import { checkRenderTools } from "./render/tool-check.js";
import type { RenderTools, ToolStatus } from "./render/tools.js";
import { createGitSource, defaultRendering } from "./sources/git-source.js";
import { createParsePool } from "./sources/parse-pool.js";
import type { GitSource } from "./sources/types.js";

export interface Runtime {
  sources: readonly GitSource[];
  state: DesiredState;
  admit: AdmissionHandler;
  metrics: Metrics;
  /**
   * The live scan's drift table (docs/contract.md §10), when the cluster's Deployments are watched
   * (ClusterParts.deployments): Reports, Events and the web view subscribe to it.
   */
  scan: LiveDriftTable | undefined;
  /** The decision history (docs/contract.md §11), when this runtime records (serve). */
  history: HistoryRecorder | undefined;
  /** Rejects (DG_RENDER_TOOL_MISSING) when apps are configured and the tools to render them are not there. */
  toolsChecked: Promise<void>;
  /** Resolves when every source has made its first attempt (snapshot loaded, one fetch tried). */
  started: Promise<void>;
  readiness(): Readiness;
  refresh(source: string | undefined): Promise<unknown>;
  stop(): Promise<void>;
}

export interface RuntimeOptions {
  /** Record decisions (config history): `serve` does; check, diff and lint decide without a trace. */
  recordHistory?: boolean;
}

export function createRuntime(
  config: Config,
  logger: pino.Logger,
  cluster?: ClusterParts,
  options: RuntimeOptions = {},
): Runtime {
  // One set of tools and one concurrency bound for every source's renders.
  const rendering = defaultRendering(config.renderers);
  // One pool of parse workers for every source: a large load parses on the other cores.
  const parser = createParsePool({ logger });
  const sources = config.sources.map((source) =>
    createGitSource(source, {
      stateDir: config.stateDir,
      revisions: config.revisions,
      logger,
      rendering,
      parser,
    }),
  );
  const state = new DesiredState(sources, config.policy, config.revisions);
  for (const source of sources) source.onChange(() => state.rebuild());
  const scan = cluster?.deployments ? startScan(cluster.deployments, state, config, logger) : undefined;
  const metrics = createMetrics(sources, state, { scan, objectMetrics: config.report.objectMetrics });
  rendering.observe = (render) => metrics.recordRender(render);
  if (cluster?.eventCounts) eventMetrics(metrics.registry, cluster.eventCounts);
  const history =
    options.recordHistory && config.history.enabled ? startHistory(config, logger, cluster) : undefined;
  if (history) historyMetrics(metrics.registry, () => history.counts());
  const admit = createAdmit({
    state,
    sources,
    policy: config.policy,
    refresh: config.refresh,
    logger,
    cluster: cluster?.view,
    // Only a recorded request can be proposed by its uid.
    hints: config.history.enabled ? { proposeCommand: config.history.proposeCommand } : {},
    onFetch: (outcome) => metrics.recordOnDemandFetch(outcome),
    onDecision: (decision, request, seconds) => {
      metrics.recordDecision(decision, seconds);
      cluster?.decided?.(decision, uidOf(request.oldObject ?? request.object));
      recordDecision(history, decision, request, logger);
    },
  });
  const apps = config.sources.flatMap((source) => source.apps ?? []);
  let renderers: RenderersStatus | undefined;
  const toolsChecked = checkRenderTools(apps, rendering).then(async () => {
    if (apps.length === 0) return;
    renderers = renderersStatus(await rendering.tools());
    if (renderers.network.isolated) logger.info(renderers, "render tools");
    else logger.warn(renderers, "render tools: renders run with the host's network");
  });
  const started = toolsChecked
    .then(() => Promise.all(sources.map((source) => source.start())))
    .then(() => state.rebuild());
  return {
    sources,
    state,
    admit,
    metrics,
    scan,
    history,
    toolsChecked,
    started,
    readiness: () => ({
      ready: cluster?.synced?.() ?? true,
      details: {
        sources: sources.map((s) => s.status()),
        conflicts: state.conflicts(),
        duplicates: state.duplicates(),
        objects: state.size,
        ...(renderers ? { renderers } : {}),
        ...(cluster?.status ? { cluster: cluster.status() } : {}),
        // The scan only reports: it never makes a replica unready.
        ...(scan ? { scan: scan.status() } : {}),
        // Nor does the history: a failing disk is shown here, never a reason to refuse answers.
        ...(history ? { history: history.status() } : {}),
      },
    }),
    refresh: async (name) => {
      const chosen = sources.filter((source) => name === undefined || source.name === name);
      return Promise.all(chosen.map((source) => source.refresh("push webhook")));
    },
    stop: async () => {
      scan?.stop();
      await Promise.all(sources.map((source) => source.stop()));
      await parser.close();
      await history?.drain();
    },
  };
}

function startHistory(config: Config, logger: pino.Logger, cluster: ClusterParts | undefined) {
  const log = logger.child({ component: "history" });
  const { history } = config;
  const disk = openDiskStore({
    dir: join(config.stateDir, HISTORY_DIR),
    segmentBytes: history.segmentBytes,
    maxBytes: history.maxBytes,
    maxQueue: history.queue,
    logger: log,
  });
  return createHistoryRecorder({ logger: log, disk, cluster: cluster?.records });
}

// A record is a side effect: a bug in building one must never change or fail the answer already made.
function recordDecision(
  history: HistoryRecorder | undefined,
  decision: Parameters<HistoryRecorder["decided"]>[0],
  request: Parameters<HistoryRecorder["decided"]>[1],
  logger: pino.Logger,
): void {
  try {
    history?.decided(decision, request);
  } catch (error) {
    logger.error(
      { error: describeError(error), uid: request.uid },
      "decision history: could not record a decision",
    );
  }
}

/** The table over the watched Deployments, recomputed on every watch change and every Git rebuild. */
function startScan(
  feed: DeploymentFeed,
  state: DesiredState,
  config: Config,
  logger: pino.Logger,
): LiveDriftTable {
  const log = logger.child({ component: "scan" });
  const table = new LiveDriftTable({
    feed,
    desired: state,
    policy: config.policy,
    excludedNamespaces: feed.excludedNamespaces,
    onError: (error) => log.error({ err: (error as Error).message }, "live scan pass failed"),
  });
  feed.onChange((change) => table.feedChanged(change));
  state.onRebuild(() => table.desiredChanged());
  table.feedChanged();
  void table.firstTable.then(() => log.info(table.status(), "live scan: first full drift table"));
  return table;
}

interface RenderersStatus {
  kustomize: string;
  helm: string;
  network: { isolated: boolean; reason?: string };
}

/** What /readyz and the start log say of the tools: versions, or why one is missing. */
function renderersStatus(tools: RenderTools): RenderersStatus {
  const show = (tool: ToolStatus) =>
    tool.kind === "found" ? `${tool.version} (${tool.binary})` : tool.message;
  const { network } = tools;
  return {
    kustomize: show(tools.kustomize),
    helm: show(tools.helm),
    network: network.kind === "isolated" ? { isolated: true } : { isolated: false, reason: network.reason },
  };
}

function uidOf(object: unknown): string | undefined {
  const metadata = (object as { metadata?: { uid?: unknown } } | null)?.metadata;
  return typeof metadata?.uid === "string" ? metadata.uid : undefined;
}
