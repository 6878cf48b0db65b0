// One render of one app at one commit: its inputs copied into a fresh folder, the real tool run twice
// (unstable fields are found by comparing the two), the output read as kubectl reads a file. Never throws:
// a failure is a message for the app's error (docs/contract.md §2a, per-app last good).
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDocument } from "yaml";
import type { AppConfig, ManifestDoc, Notice, RendererSettings } from "../sources/types.js";
import type { AppInputs } from "./inputs.js";
import { KUSTOMIZATION_FILES } from "./kustomization.js";
import { materialize } from "./materialize.js";
import type { IsolationPrefix } from "./network-isolation.js";
import { appKey, helmArgs, kustomizeArgs, kustomizeEdits } from "./render-args.js";
import { readRenderedDocs } from "./rendered-docs.js";
import type { BlobTree } from "./repo-tree.js";
import { runTool, type ToolResult } from "./run-tool.js";
import { markUnstable } from "./unstable.js";

export interface RenderJob {
  app: AppConfig;
  type: "kustomize" | "helm";
  binary: string;
  tree: BlobTree;
  inputs: AppInputs & { ok: true };
  settings: RendererSettings;
  /** `unshare --net …` when renders run without the network. */
  isolation: IsolationPrefix | undefined;
}

export type RenderOutcome =
  | { ok: true; docs: ManifestDoc[]; notices: Notice[]; unstable: string[]; ms: number }
  /** transient: a timeout or a tool that did not start, worth trying again with the same inputs. */
  | { ok: false; message: string; transient: boolean; ms: number };

export async function renderApp(job: RenderJob): Promise<RenderOutcome> {
  const started = Date.now();
  const work = await mkdtemp(join(tmpdir(), "driftguard-render-"));
  try {
    const repo = join(work, "repo");
    await mkdir(repo);
    await materialize(job.tree, job.inputs, repo);
    const args = await prepareArgs(job, repo, work);
    const first = await run(job, args, repo);
    if (!first.ok) return { ...first, ms: Date.now() - started };
    const second = await runAgain(job, args, repo, first);
    if (!second.ok) return { ...second, ms: Date.now() - started };
    const docs = first.docs;
    const stable = second.docs === undefined ? { docs, unstable: [] } : markUnstable(docs, second.docs);
    const notices = [...first.notices];
    if (stable.unstable.length > 0) notices.push(unstableNotice(job.app, stable.unstable));
    return { ok: true, docs: stable.docs, notices, unstable: stable.unstable, ms: Date.now() - started };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const message = `could not prepare the render: ${reason}`;
    return { ok: false, message, transient: true, ms: Date.now() - started };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function prepareArgs(job: RenderJob, repo: string, work: string): Promise<string[]> {
  if (job.type === "kustomize") {
    await askForOrigins(join(repo, job.app.path));
    await applyKustomizeOptions(job, join(repo, job.app.path));
    return kustomizeArgs(job.app);
  }
  let inlineValuesFile: string | undefined;
  if (job.app.helm.values !== undefined) {
    // Outside the repository copy: a chart cannot read it, and it cannot shadow a file of the repository.
    inlineValuesFile = join(work, "inline-values.yaml");
    await writeFile(inlineValuesFile, job.app.helm.values);
  }
  return helmArgs({ app: job.app, kubeVersion: job.settings.kubeVersion, inlineValuesFile });
}

/**
 * Adds `buildMetadata: [originAnnotations]` to the app's own kustomization (in the copy), so that kustomize
 * says which file each object came from. The annotation it adds is taken out again before comparing; the
 * rest of the output is unchanged by it. The line is appended as text: rewriting the YAML could change how
 * its other scalars read. A kustomization that already says buildMetadata, or is not a block mapping, is
 * left as it is (objects then name the app only).
 */
async function askForOrigins(folder: string): Promise<void> {
  for (const name of KUSTOMIZATION_FILES) {
    const file = join(folder, name);
    const text = await readFile(file, "utf8").catch(() => undefined);
    if (text === undefined) continue;
    const document = parseDocument(text);
    const top: unknown = document.errors.length === 0 ? document.toJS() : undefined;
    const blockMapping = isRecord(top) && !text.trimStart().startsWith("{");
    if (blockMapping && !("buildMetadata" in top)) {
      const separator = text.endsWith("\n") ? "" : "\n";
      await writeFile(file, `${text}${separator}buildMetadata: [originAnnotations]\n`);
    }
    return;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The app's kustomize options, applied as Argo CD applies them: `kustomize edit` in the copy. */
async function applyKustomizeOptions(job: RenderJob, folder: string): Promise<void> {
  const { timeoutMs, maxOutputBytes } = job.settings;
  for (const args of kustomizeEdits(job.app)) {
    const run = {
      binary: job.binary,
      args,
      cwd: folder,
      timeoutMs,
      maxOutputBytes,
      isolation: job.isolation,
    };
    const result = await runTool(run);
    if (!result.ok) throw new Error(`kustomize ${args.slice(0, 3).join(" ")}: ${result.message}`);
  }
}

type Run =
  | { ok: true; stdout: string; docs: ManifestDoc[]; notices: Notice[] }
  | { ok: false; message: string; transient: boolean };

type Failed = Run & { ok: false };

async function run(job: RenderJob, args: readonly string[], cwd: string): Promise<Run> {
  const result = await runOnce(job, args, cwd);
  if (!result.ok) return result;
  const read = readRenderedDocs(job.app, job.type, result.stdout, job.settings.maxOutputBytes);
  if (!read.ok) return { ok: false, message: read.error.message, transient: false };
  return { ok: true, stdout: result.stdout, docs: read.docs, notices: read.notices };
}

/**
 * The second run, parsed only when its bytes differ from the first's (`docs` then says what it
 * read): identical output reads the same, and parsing it again cost as much as the first parse.
 */
async function runAgain(
  job: RenderJob,
  args: readonly string[],
  cwd: string,
  first: Run & { ok: true },
): Promise<Failed | { ok: true; docs: ManifestDoc[] | undefined }> {
  const result = await runOnce(job, args, cwd);
  if (!result.ok) return result;
  if (result.stdout === first.stdout) return { ok: true, docs: undefined };
  const read = readRenderedDocs(job.app, job.type, result.stdout, job.settings.maxOutputBytes);
  if (!read.ok) return { ok: false, message: read.error.message, transient: false };
  return { ok: true, docs: read.docs };
}

async function runOnce(
  job: RenderJob,
  args: readonly string[],
  cwd: string,
): Promise<Failed | { ok: true; stdout: string }> {
  const { timeoutMs, maxOutputBytes } = job.settings;
  const { isolation } = job;
  const result = await runTool({ binary: job.binary, args, cwd, timeoutMs, maxOutputBytes, isolation });
  if (result.ok) return { ok: true, stdout: result.stdout };
  const transient = result.reason === "timeout" || result.reason === "spawn";
  return { ok: false, message: inRepositoryTerms(failureMessage(job, result), cwd), transient };
}

/** The tools name files by their path in the render folder: say them as the repository's paths. */
function inRepositoryTerms(message: string, folder: string): string {
  return message.replaceAll(`${folder}/`, "").replaceAll(folder, ".");
}

/** The tool's own message already holds the first line of stderr; the next few lines follow it. */
function failureMessage(job: RenderJob, result: ToolResult & { ok: false }): string {
  const lines = result.stderrHead.split("\n").filter((line) => line.trim() !== "");
  const rest = lines.slice(1).join("\n");
  return `${job.type} failed: ${result.message}${rest === "" ? "" : `\n${rest}`}`;
}

function unstableNotice(app: AppConfig, unstable: readonly string[]): Notice {
  const shown = unstable.slice(0, 10).join("; ");
  const more = unstable.length > 10 ? `; and ${unstable.length - 10} more` : "";
  return {
    file: appKey(app),
    message: `two renders of the same inputs differ; these fields are not compared: ${shown}${more}`,
  };
}
