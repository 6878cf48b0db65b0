// Chooses which files of a repository are manifests, from a source's `paths` (docs/contract.md §2). Pure.
import picomatch from "picomatch";
import type { Notice } from "./types.js";

const MANIFEST_EXTENSIONS = [".yaml", ".yml", ".json"];

// Files that mark a folder as the input of a renderer (kustomize, Helm): what is in there is not
// what gets applied, so reading it as manifests would invent desired state.
const RENDERER_MARKERS: ReadonlyMap<string, string> = new Map([
  ["kustomization.yaml", "a kustomization"],
  ["kustomization.yml", "a kustomization"],
  ["Kustomization", "a kustomization"],
  ["Chart.yaml", "a Helm chart"],
]);

export interface FileSelection {
  /** Selected files, in the order given. */
  files: string[];
  /** One per renderer folder that held files the paths would otherwise select. */
  notices: Notice[];
}

type Matcher = (file: string) => boolean;

/** Selects manifest files among repository-relative paths (forward slashes), given the source's paths. */
export function selectManifestFiles(allFiles: readonly string[], paths: readonly string[]): FileSelection {
  const matchers = paths.map(compilePath);
  const markers = findRendererFolders(allFiles);
  const files: string[] = [];
  const skipped = new Map<string, number>();
  for (const file of allFiles) {
    if (!hasManifestExtension(file) || !matchers.some((matches) => matches(file))) continue;
    const renderer = outermostRendererFolder(file, markers);
    if (renderer === undefined) files.push(file);
    else skipped.set(renderer, (skipped.get(renderer) ?? 0) + 1);
  }
  const notices = [...skipped].map(([folder, count]) => rendererNotice(folder, markers, count));
  return { files, notices };
}

/**
 * The files that can change which manifests `paths` select: each path itself, and the renderer markers
 * in the folders above it. Undefined when some path is a glob or the whole repository (git's pathspec
 * globs are not picomatch's, so nothing narrower is safe to give git).
 */
export function selectionInputs(paths: readonly string[]): string[] | undefined {
  const plain = paths.map(cleanPath).map((path) => path.replace(/\/$/, ""));
  if (plain.some((path) => path === "" || path === "." || picomatch.scan(path).isGlob)) return undefined;
  const inputs = new Set(plain);
  for (const path of plain) {
    for (const folder of ["", ...ancestors(path)]) {
      for (const marker of RENDERER_MARKERS.keys())
        inputs.add(folder === "" ? marker : `${folder}/${marker}`);
    }
  }
  return [...inputs];
}

function cleanPath(raw: string): string {
  return raw
    .trim()
    .replace(/^(\.\/)+/, "")
    .replace(/^\/+/, "")
    .replace(/\/+/g, "/");
}

function compilePath(raw: string): Matcher {
  const path = cleanPath(raw);
  if (picomatch.scan(path).isGlob) {
    const glob = picomatch(path.replace(/\/$/, ""), { dot: false });
    // A glob may name the files or the folders that hold them (`envs/*/deploy`).
    const below = (file: string, folder: string) =>
      glob(folder) && !hasDotSegment(file.slice(folder.length + 1));
    return (file) => glob(file) || ancestors(file).some((folder) => below(file, folder));
  }
  const folder = path.replace(/\/$/, "");
  if (folder === "" || folder === ".") return (file) => !hasDotSegment(file);
  // The folder itself may be hidden when named explicitly; what is below it may not.
  return (file) =>
    file === folder || (file.startsWith(`${folder}/`) && !hasDotSegment(file.slice(folder.length + 1)));
}

export function hasManifestExtension(file: string): boolean {
  return MANIFEST_EXTENSIONS.some((extension) => file.endsWith(extension));
}

function hasDotSegment(relative: string): boolean {
  return relative.split("/").some((segment) => segment.startsWith("."));
}

/** Folders of a file, outermost first: `a/b/c.yaml` → `a`, `a/b`. */
function ancestors(file: string): string[] {
  const parts = file.split("/").slice(0, -1);
  return parts.map((_, i) => parts.slice(0, i + 1).join("/"));
}

/** Folder ("" for the root) → the marker file found in it. */
function findRendererFolders(allFiles: readonly string[]): Map<string, string> {
  const folders = new Map<string, string>();
  for (const file of allFiles) {
    const slash = file.lastIndexOf("/");
    const base = file.slice(slash + 1);
    if (RENDERER_MARKERS.has(base)) folders.set(slash < 0 ? "" : file.slice(0, slash), base);
  }
  return folders;
}

function outermostRendererFolder(file: string, markers: ReadonlyMap<string, string>): string | undefined {
  if (markers.size === 0) return undefined;
  if (markers.has("")) return "";
  return ancestors(file).find((folder) => markers.has(folder));
}

function rendererNotice(folder: string, markers: ReadonlyMap<string, string>, count: number): Notice {
  const marker = markers.get(folder) ?? "";
  const what = RENDERER_MARKERS.get(marker) ?? "renderer input";
  const where = folder === "" ? "the repository root" : `folder ${folder}`;
  return {
    file: folder === "" ? marker : `${folder}/${marker}`,
    message: `${where} holds ${what}: its ${count} file(s) are renderer inputs and are skipped; name the folder as an app in paths to render it`,
  };
}
