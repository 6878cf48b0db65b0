// What an app can read, decided from the tree alone, before any tool runs: the folders and files it
// may read (materialize writes exactly those; a change to any of them renders the app again), or why
// it is refused. Every refusal is an answer, never a throw: the sync shows it like a failed render.
import { createHash } from "node:crypto";
import { collectHelmInputs } from "./helm-inputs.js";
import type { InputSet } from "./input-set.js";
import { KUSTOMIZATION_FILES } from "./kustomization.js";
import { collectKustomizeInputs } from "./kustomize-inputs.js";
import { Refusal } from "./refusal.js";
import { isAbsolutePath, normalizeRepoPath } from "./repo-paths.js";
import { pathsUnder, type RepoTree } from "./repo-tree.js";

export type AppInputs =
  /** roots: folders whose every file may be read (sorted, no nested duplicates; `.` is the top); files: single files outside them. */
  | { ok: true; roots: readonly string[]; files: readonly string[] }
  | { ok: false; code: "DG_RENDER_REFUSED"; message: string; file?: string };

export type ReadableInputs = AppInputs & { ok: true };

export type AppType = "kustomize" | "helm" | "directory";

export function kustomizeInputs(tree: RepoTree, appPath: string): Promise<AppInputs> {
  return answer(appPath, (app) => collectKustomizeInputs(tree, app));
}

/** `valueFiles` are relative to the app's path, as in the config. */
export function helmInputs(
  tree: RepoTree,
  appPath: string,
  valueFiles: readonly string[],
): Promise<AppInputs> {
  return answer(appPath, (app) => collectHelmInputs(tree, app, valueFiles));
}

/** A kustomization wins over Chart.yaml, as in Argo CD; else plain manifests. From the file list alone. */
export function detectAppType(tree: RepoTree, appPath: string): AppType {
  const app = isAbsolutePath(appPath) ? undefined : normalizeRepoPath(appPath);
  if (app === undefined) return "directory"; // outside the repository: the inputs refuse it
  const has = (name: string) => tree.files.has(app === "" ? name : `${app}/${name}`);
  if (KUSTOMIZATION_FILES.some(has)) return "kustomize";
  return has("Chart.yaml") ? "helm" : "directory";
}

/**
 * sha256 (hex) of everything an app reads: the sorted (path, mode, blob) of every tree file under its
 * roots and of its files, the roots and files themselves (a path named but not there yet counts), and
 * `extra`, the app's config. Equal fingerprints render equal output.
 */
export function inputsFingerprint(tree: RepoTree, inputs: ReadableInputs, extra: string): string {
  const hash = createHash("sha256");
  hash.update(`driftguard render inputs v1\n${JSON.stringify(extra)}\n`);
  for (const root of inputs.roots) hash.update(`root ${JSON.stringify(root)}\n`);
  for (const file of inputs.files) hash.update(`file ${JSON.stringify(file)}\n`);
  for (const path of readablePaths(tree, inputs)) {
    const entry = tree.files.get(path);
    hash.update(`${entry?.mode ?? "-"} ${entry?.blob ?? "-"} ${JSON.stringify(path)}\n`);
  }
  return hash.digest("hex");
}

/** The tree paths an app may read, sorted and once each: those under its roots, then its files. */
export function readablePaths(tree: RepoTree, inputs: ReadableInputs): string[] {
  const paths = new Set<string>();
  for (const root of inputs.roots)
    for (const path of pathsUnder(tree, normalizeRepoPath(root) ?? "")) paths.add(path);
  for (const file of inputs.files) paths.add(normalizeRepoPath(file) ?? file);
  return [...paths].sort();
}

async function answer(appPath: string, collect: (app: string) => Promise<InputSet>): Promise<AppInputs> {
  const app = normalizeRepoPath(appPath);
  if (isAbsolutePath(appPath) || app === undefined)
    return refusedAnswer(new Refusal(`app path ${appPath} is not inside the repository`));
  try {
    const { roots, files } = (await collect(app)).result();
    return { ok: true, roots, files };
  } catch (error) {
    if (error instanceof Refusal) return refusedAnswer(error);
    throw error;
  }
}

function refusedAnswer(refusal: Refusal): AppInputs {
  const base = { ok: false as const, code: "DG_RENDER_REFUSED" as const, message: refusal.message };
  return refusal.file === undefined ? base : { ...base, file: refusal.file };
}
