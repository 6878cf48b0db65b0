// The rendered corpus in the e2e run (../shared/corpus-rendered): each corpus source committed under
// `rendered/<source>/`, one driftguard app per render of the corpus's table, and the Deployments the
// GitOps tool would apply for each render, read from the tool's own stored output.
//
// One desired state per object: several renders give the same namespace/name different content (three
// ingress-nginx value sets, two podinfo and two Online Boutique charts), which driftguard rightly calls
// a conflict (desired state unknown). So every render gets a namespace of its own: the app's
// `namespace` (kubectl's `-n` for objects without one; Helm's `--namespace`), and the stored render's
// Deployments are moved to it. For Helm that rewrite is exact only because these charts write
// `.Release.Namespace` into a Deployment's `metadata.namespace` alone (checked against a fresh
// `helm template` with another namespace); a chart that wrote it elsewhere would show here as a denial.
// A Kustomize overlay that sets its own `namespace:` keeps it (podinfo's dev, staging, production).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { parseManifestFile } from "../../../src/sources/manifest-parser.js";
import type { AppConfig } from "../../../src/sources/types.js";
import {
  CORPUS_RENDERED_DIR,
  CORPUS_RENDERED_SKIP_REASON,
  corpusRenderedPresent,
  renderCases,
  sourceFiles,
} from "../../support/corpus-rendered.js";
import { requireRenderTools } from "../../support/render-tools.js";

/** Where the corpus sources live in the run's Git repository. */
export const RENDERED_ROOT = "rendered";
/** One rendered app per driftguard source and path: renders of the same folder go to sources 1, 2, 3… */
const SOURCE_PREFIX = "rendered";

export interface RenderedCase {
  /** `<source>: <command>`, as the corpus's table has it. */
  title: string;
  /** The corpus folder (`<owner>__<repo>`). */
  source: string;
  /** The stored render, `RENDERED/<name>.yaml` relative to the corpus folder. */
  output: string;
  /** The driftguard source that holds the app. */
  sourceName: string;
  /** The app as driftguard's config has it: repository path, this render's own namespace. */
  app: AppConfig & { type: "kustomize" | "helm" };
  /** The namespace of the table's command (Helm's `--namespace`), which the stored render carries. */
  commandNamespace: string;
}

export interface RenderedLayout {
  cases: RenderedCase[];
  /** Every namespace the rendered Deployments land in, to be created before the run. */
  namespaces: string[];
}

export type RenderedSetup =
  | {
      ok: true;
      files: Record<string, string>;
      layout: RenderedLayout;
      tools: { kustomize: string; helm: string };
    }
  | { ok: false; reason: string; required: boolean };

/** A Deployment of a stored render, as the GitOps tool applies it for this run. */
export interface RenderedObject {
  namespace: string;
  name: string;
  object: Record<string, unknown>;
  /** Helm's `# Source:` line, as a repository path (Kustomize's stored renders carry no origin). */
  template: string | undefined;
}

/**
 * Reads the corpus and finds the tools. Without the corpus, or the tools, the run goes on without
 * rendered apps (a config with apps and no tool would not start); under DRIFTGUARD_REQUIRE_RENDERERS=1
 * a missing tool is `required`, and the test file fails instead of skipping.
 */
export function renderedSetup(): RenderedSetup {
  if (!corpusRenderedPresent) return { ok: false, reason: CORPUS_RENDERED_SKIP_REASON, required: false };
  let tools: ReturnType<typeof requireRenderTools>;
  try {
    tools = requireRenderTools();
  } catch (error) {
    return { ok: false, reason: (error as Error).message, required: true };
  }
  if (tools.skipReason !== undefined || !tools.kustomize || !tools.helm)
    return { ok: false, reason: tools.skipReason ?? "render tools missing", required: false };
  const cases = layoutCases();
  const files: Record<string, string> = {};
  for (const source of new Set(cases.map((c) => c.source))) {
    for (const [path, text] of Object.entries(sourceFiles(source)))
      files[`${RENDERED_ROOT}/${source}/${path}`] = text;
  }
  const namespaces = [...new Set(cases.flatMap((c) => renderedObjects(c).map((o) => o.namespace)))];
  return {
    ok: true,
    files,
    layout: { cases, namespaces },
    tools: { kustomize: tools.kustomize, helm: tools.helm },
  };
}

function layoutCases(): RenderedCase[] {
  const pathsPerSource: Set<string>[] = [];
  return renderCases().map((render, index) => {
    const path = `${RENDERED_ROOT}/${render.source}/${render.app.path}`;
    // The config refuses one path twice in a source: the n-th render of a folder goes to source n.
    let slot = pathsPerSource.findIndex((paths) => !paths.has(path));
    if (slot < 0) slot = pathsPerSource.push(new Set()) - 1;
    pathsPerSource[slot]?.add(path);
    const type = render.app.type === "helm" ? "helm" : "kustomize";
    return {
      title: `${render.source}: ${render.command}`,
      source: render.source,
      output: render.output,
      sourceName: `${SOURCE_PREFIX}-${slot + 1}`,
      app: { ...render.app, type, path, namespace: caseNamespace(index, render.source, render.output) },
      commandNamespace: render.app.namespace,
    };
  });
}

/** `r07-argo-cd-cluster-install`: unique by the index, readable by the rest, a DNS label. */
function caseNamespace(index: number, source: string, output: string): string {
  const repository = source.split("__").at(-1) ?? source;
  const name = output.replace(/^RENDERED\//, "").replace(/\.ya?ml$/, "");
  const slug = `r${String(index + 1).padStart(2, "0")}-${repository}-${name}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-");
  return slug.slice(0, 63).replace(/-+$/, "");
}

/** The stored render's Deployments, each in the namespace this run gives it (see the top of the file). */
export function renderedObjects(render: RenderedCase): RenderedObject[] {
  const text = readFileSync(join(CORPUS_RENDERED_DIR, render.source, render.output), "utf8");
  const parsed = parseManifestFile(render.output, text, render.app.namespace, {
    maxBytes: 64 << 20,
    sourceComments: true,
  });
  if (parsed.error !== undefined)
    throw new Error(`${render.source}/${render.output} does not parse: ${parsed.error.message}`);
  return parsed.docs.map((doc) => {
    const object = structuredClone(doc.object) as Record<string, unknown>;
    const metadata = { ...(object.metadata as Record<string, unknown>) };
    const moved = render.app.type === "helm" && metadata.namespace === render.commandNamespace;
    if (metadata.namespace === undefined || moved) metadata.namespace = render.app.namespace;
    object.metadata = metadata;
    return {
      namespace: String(metadata.namespace),
      name: doc.name,
      object,
      template: render.app.type === "helm" ? helmTemplate(render, doc.renderedFrom) : undefined,
    };
  });
}

/** `# Source: <chart>/templates/x.yaml` names a file of the chart's folder, i.e. of the app. */
function helmTemplate(render: RenderedCase, source: string | undefined): string | undefined {
  const slash = source?.indexOf("/") ?? -1;
  return source === undefined || slash < 0 ? undefined : `${render.app.path}/${source.slice(slash + 1)}`;
}

/** The `sources` entries of driftguard's config for the rendered apps, indented as list items. */
export function renderedSourcesYaml(repoDir: string, layout: RenderedLayout): string {
  const names = [...new Set(layout.cases.map((c) => c.sourceName))];
  const sources = names.map((name) => ({
    name,
    url: repoDir,
    // The run's other tests commit to the same repository and wait for every source to serve their
    // commit: poll as often as the main source does (their apps' inputs do not change, so nothing renders).
    interval: "5s",
    paths: layout.cases.filter((c) => c.sourceName === name).map((c) => appEntry(c.app)),
  }));
  return stringify(sources)
    .trimEnd()
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n");
}

/** The app as an admin writes it: Helm settings for charts only. */
function appEntry(app: RenderedCase["app"]): Record<string, unknown> {
  const { path, type, namespace, helm } = app;
  if (type === "kustomize") return { path, type, namespace };
  return { path, type, namespace, helm };
}

export function renderersYaml(tools: { kustomize: string; helm: string }): string {
  return stringify({ renderers: tools }).trimEnd();
}
