// `driftguard render`: exactly what driftguard compares against for each rendered app (the Deployments of
// its last good render, origin marks taken out), like `argocd app manifests`. Exit 0 every app rendered,
// 1 some app failed at the newest commit (its last good render is printed), 2 error.
import { stringify } from "yaml";
import { cleanAppPath } from "../config/build-config.js";
import { asObject } from "../core/json.js";
import { formatPath } from "../core/paths.js";
import type { JsonObject } from "../core/types.js";
import type { Runtime } from "../runtime.js";
import type { FileState, GitSource, Notice } from "../sources/types.js";
import { parse } from "./args.js";
import { CliError } from "./errors.js";
import { withSyncedRuntime } from "./synced-runtime.js";

const HELP = `driftguard render --config FILE [--app PATH] [-o yaml|json]

Syncs the config's Git sources once, renders their Kustomize and Helm apps as serve does, and prints
the Deployments driftguard compares live objects against, app by app. --app limits it to the apps at
PATH (the path as written in the config). -o json prints one versioned document (kind RenderResult).
Exit status: 0 every app rendered, 1 some app failed (its last good render is shown), 2 error.`;

export const RENDER_RESULT_VERSION = "driftguard.io/v1alpha1";

interface AppReport {
  source: string;
  path: string;
  type: string;
  commit: string;
  /** The commit of the render shown; differs from `commit` when the newest render failed. */
  renderedAt: string | null;
  error: string | null;
  notices: string[];
  notCompared: string[];
  objects: unknown[];
}

export async function runRender(args: string[]): Promise<number> {
  const options = {
    config: { type: "string", short: "c" },
    app: { type: "string" },
    output: { type: "string", short: "o", default: "yaml" },
  } as const;
  const parsed = parse(args, options, HELP);
  if (!parsed) return 0;
  const output = parsed.values.output;
  if (output !== "yaml" && output !== "json")
    throw new CliError(`unknown output format "${output}"`, "use -o yaml or -o json");
  const only = parsed.values.app === undefined ? undefined : cleanAppPath(parsed.values.app);
  return withSyncedRuntime(parsed.values.config, async (runtime) => {
    const apps = collectApps(runtime, only);
    if (only !== undefined && apps.length === 0)
      throw new CliError(
        `no rendered app at ${only}`,
        "give --app a path listed as an app in the config's sources",
      );
    process.stdout.write(output === "json" ? asJson(apps) : asYaml(apps));
    return apps.some((app) => app.error !== null) ? 1 : 0;
  });
}

function collectApps(runtime: Runtime, only: string | undefined): AppReport[] {
  const reports: AppReport[] = [];
  for (const source of runtime.sources) {
    const revision = source.current();
    if (revision === undefined) {
      const state = source.status().state;
      const reason = state.kind === "failing" ? state.error : "not synced";
      throw new CliError(
        `source "${source.name}" has no revision: ${reason}`,
        "check the source's url, ref and credentials",
      );
    }
    for (const state of revision.files.values()) {
      if (state.app === undefined || (only !== undefined && !isApp(state.file, only))) continue;
      reports.push(reportOf(source, revision.commit, state, noticesOf(revision.notices, state.file)));
    }
  }
  return reports;
}

/** `--app charts/web` names the folder: every release of it (`charts/web@ns/release`) too. */
function isApp(key: string, path: string): boolean {
  return key === path || key.startsWith(`${path}@`);
}

function reportOf(source: GitSource, commit: string, state: FileState, notices: string[]): AppReport {
  const notCompared = new Set<string>();
  for (const doc of state.docs)
    for (const path of doc.notCompared ?? [])
      notCompared.add(`${doc.namespace}/${doc.name}: ${formatPath(path)}`);
  return {
    source: source.name,
    path: state.file,
    type: state.app?.type ?? "",
    commit,
    renderedAt: state.goodCommit === "" ? null : state.goodCommit,
    error: state.error?.message ?? null,
    notices,
    notCompared: [...notCompared],
    // As compared: in the namespace the object is looked up in (Helm's output often names none).
    objects: state.docs.map((doc) => withNamespace(doc.object, doc.namespace)),
  };
}

function withNamespace(object: JsonObject, namespace: string): JsonObject {
  const metadata = asObject(object.metadata) ?? {};
  return { ...object, metadata: { ...metadata, namespace } };
}

function noticesOf(notices: readonly Notice[], file: string): string[] {
  return notices.filter((notice) => notice.file === file).map((notice) => notice.message);
}

function asJson(apps: AppReport[]): string {
  return `${JSON.stringify({ apiVersion: RENDER_RESULT_VERSION, kind: "RenderResult", apps }, null, 2)}\n`;
}

function asYaml(apps: AppReport[]): string {
  const out: string[] = [];
  for (const app of apps) {
    const header = [
      `# source ${app.source}, ${app.type} app ${app.path}, commit ${app.commit.slice(0, 12)}`,
      ...(app.error === null ? [] : [`# ERROR: ${app.error.replaceAll("\n", "\n#   ")}`]),
      app.renderedAt === null
        ? "# no good render yet: nothing is compared for this app"
        : `# rendered at ${app.renderedAt.slice(0, 12)}: ${app.objects.length} Deployment(s)`,
      ...app.notices.map((notice) => `# notice: ${notice}`),
      ...app.notCompared.map((path) => `# not compared: ${path}`),
    ];
    if (app.objects.length === 0) out.push(`---\n${header.join("\n")}\n`);
    app.objects.forEach((object, index) => {
      out.push(`---\n${index === 0 ? `${header.join("\n")}\n` : ""}${stringify(object, { version: "1.1" })}`);
    });
  }
  return out.join("");
}
