// The rendered apps of one source at one commit (docs/contract.md §2a): each app is rendered again only
// when something it can read changed, at most renderers.concurrency at a time, and an app whose render
// fails keeps serving its last good render. Runs in the sync, never on a request.
import type { Logger } from "pino";
import type { FileNotices } from "../sources/revision-builder.js";
import type {
  AppConfig,
  AppType,
  FileState,
  ManifestDoc,
  Notice,
  RendererSettings,
  SourceRevision,
} from "../sources/types.js";
import { type AppInputs, detectAppType, helmInputs, inputsFingerprint, kustomizeInputs } from "./inputs.js";
import { KUSTOMIZATION_FILES } from "./kustomization.js";
import type { Limiter } from "./limiter.js";
import type { IsolationPrefix } from "./network-isolation.js";
import { renderApp } from "./render-app.js";
import { appKey } from "./render-args.js";
import type { BlobTree } from "./repo-tree.js";
import type { RenderTools, ToolStatus } from "./tools.js";

/** What every source of a process shares: the tools, their bounds, the concurrency. */
export interface AppRendering {
  settings: RendererSettings;
  tools: () => Promise<RenderTools>;
  limit: Limiter;
  /**
   * For renders of the past (a history walk): one at a time, beside `limit`, so that reading history
   * for a GitOps request never holds up the sync of the newest commit.
   */
  background?: Limiter | undefined;
  /** Told of every render (metrics); set once the metrics exist. */
  observe?: ((render: RenderEvent) => void) | undefined;
}

export interface RenderEvent {
  type: "kustomize" | "helm";
  ok: boolean;
  seconds: number;
}

export interface AppStepInput {
  source: string;
  commit: string;
  apps: readonly AppConfig[];
  tree: BlobTree;
  previous: SourceRevision | undefined;
  notices: FileNotices;
  logger: Logger;
  /** A commit of the past (a history walk): its renders queue on `background`, apart from the sync's. */
  past?: boolean | undefined;
}

/** A folder of plain manifests with a namespace of its own (`type: directory`, or auto found no renderer). */
export interface DirectoryApp {
  path: string;
  namespace: string;
}

export interface AppStepResult {
  /** One state per kustomize or Helm app, in the config's order. */
  states: FileState[];
  directories: DirectoryApp[];
  /** Renders run for this commit (the others were unchanged). */
  rendered: number;
}

type Rendered = "kustomize" | "helm";

export async function stepApps(rendering: AppRendering, input: AppStepInput): Promise<AppStepResult> {
  const directories: DirectoryApp[] = [];
  const work: Promise<FileState>[] = [];
  let rendered = 0;
  for (const app of input.apps) {
    const type = typeOf(input.tree, app);
    if (type === "directory") {
      directories.push({ path: app.path, namespace: app.namespace });
      continue;
    }
    work.push(
      stateOf(rendering, input, app, type, () => {
        rendered += 1;
      }),
    );
  }
  const states = await Promise.all(work);
  return { states, directories, rendered };
}

/** The previous revision's app states as they are: for a revision built without a render step. */
export function carriedApps(previous: SourceRevision | undefined, apps: readonly AppConfig[]): FileState[] {
  const states: FileState[] = [];
  for (const app of apps) {
    const state = previous?.files.get(appKey(app));
    if (state?.app !== undefined) states.push(state);
  }
  return states;
}

function typeOf(tree: BlobTree, app: AppConfig): AppType {
  if (app.type !== "auto") return app.type;
  return detectAppType(tree, app.path);
}

async function stateOf(
  rendering: AppRendering,
  input: AppStepInput,
  app: AppConfig,
  type: Rendered,
  onRender: () => void,
): Promise<FileState> {
  const previous = input.previous?.files.get(appKey(app));
  const last = previous?.app === undefined ? undefined : previous;
  const problem = folderProblem(input.tree, app, type);
  if (problem !== undefined) return failed(input, app, type, last, `refused:${problem}`, problem, false);
  const tools = await rendering.tools();
  const tool = tools[type];
  if (tool.kind === "missing") return failed(input, app, type, last, `missing:${type}`, tool.message, true);
  const inputs = await (type === "kustomize"
    ? kustomizeInputs(input.tree, app.path)
    : helmInputs(input.tree, app.path, app.helm.valueFiles));
  if (!inputs.ok) return failed(input, app, type, last, `refused:${inputs.message}`, inputs.message, false);
  const fingerprint = inputsFingerprint(
    input.tree,
    inputs,
    renderIdentity(app, type, tool, rendering.settings),
  );
  // Nothing it reads changed: the same render, or the same error, stands (a transient one is tried again).
  if (last !== undefined && last.blob === fingerprint && last.app?.transient !== true) return last;
  onRender();
  const isolation = tools.network.kind === "isolated" ? tools.network.prefix : undefined;
  const job = { app, type, tool, inputs, fingerprint, isolation };
  const limit = (input.past === true ? rendering.background : undefined) ?? rendering.limit;
  return limit(() => render(rendering, input, job, last));
}

interface Job {
  app: AppConfig;
  type: Rendered;
  tool: ToolStatus & { kind: "found" };
  inputs: AppInputs & { ok: true };
  fingerprint: string;
  isolation: IsolationPrefix | undefined;
}

async function render(
  rendering: AppRendering,
  input: AppStepInput,
  { app, type, tool, inputs, fingerprint, isolation }: Job,
  last: FileState | undefined,
): Promise<FileState> {
  const outcome = await renderApp({
    app,
    type,
    binary: tool.binary,
    tree: input.tree,
    inputs,
    settings: rendering.settings,
    isolation,
  });
  rendering.observe?.({ type, ok: outcome.ok, seconds: outcome.ms / 1000 });
  if (!outcome.ok) return failed(input, app, type, last, fingerprint, outcome.message, outcome.transient);
  input.logger.info(
    {
      app: appKey(app),
      tool: tool.version,
      objects: outcome.docs.length,
      ms: outcome.ms,
      commit: input.commit,
    },
    "app rendered",
  );
  const state: FileState = Object.freeze({
    file: appKey(app),
    blob: fingerprint,
    docs: Object.freeze(outcome.docs.map((doc) => Object.freeze(doc))),
    goodCommit: input.commit,
    app: Object.freeze({ type, unstable: Object.freeze(outcome.unstable) }),
  });
  input.notices.set(state, Object.freeze(outcome.notices));
  return state;
}

/** An app that cannot be rendered at this commit: its last good render (if any) keeps serving. */
function failed(
  input: AppStepInput,
  app: AppConfig,
  type: Rendered,
  last: FileState | undefined,
  blob: string,
  message: string,
  transient: boolean,
): FileState {
  const docs: readonly ManifestDoc[] = last?.docs ?? Object.freeze([]);
  const state: FileState = Object.freeze({
    file: appKey(app),
    blob,
    docs,
    goodCommit: last?.goodCommit ?? "",
    error: { file: appKey(app), message: `${type} app: ${message}` },
    app: Object.freeze({ type, unstable: last?.app?.unstable ?? [], transient }),
  });
  const notices: readonly Notice[] = (last && input.notices.get(last)) ?? [];
  input.notices.set(state, notices);
  return state;
}

/** The app's folder must exist, and hold what its type says. */
function folderProblem(tree: BlobTree, app: AppConfig, type: Rendered): string | undefined {
  const prefix = app.path === "." ? "" : `${app.path}/`;
  const markers = type === "kustomize" ? KUSTOMIZATION_FILES : ["Chart.yaml"];
  if (markers.some((marker) => tree.files.has(`${prefix}${marker}`))) return undefined;
  const exists = [...tree.files.keys()].some((file) => file.startsWith(prefix));
  if (!exists) return `folder ${app.path} is not in the repository at this commit`;
  const marker = type === "kustomize" ? "a kustomization.yaml" : "a Chart.yaml";
  return `folder ${app.path} holds no ${marker}`;
}

/** Everything besides the files that shapes the output: the app's settings and the tool's version. */
function renderIdentity(
  app: AppConfig,
  type: Rendered,
  tool: ToolStatus & { kind: "found" },
  settings: RendererSettings,
): string {
  return JSON.stringify({ app, type, tool: tool.version, kubeVersion: settings.kubeVersion });
}
