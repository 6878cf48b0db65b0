// A read-only view of one commit's tree, as the render code sees it: the files (with Git's mode and
// blob id) and a way to read them. The sync builds it from `git ls-tree` and `git cat-file`; the
// tests build it from memory or from a folder on disk. Everything here only looks at `files`.
import { isUnder } from "./repo-paths.js";

export interface TreeFile {
  mode: string;
  blob: string;
}

export interface RepoTree {
  /** Repository-relative paths, forward slashes, files only (no folders). */
  readonly files: ReadonlyMap<string, TreeFile>;
  /** Text of a blob (file content, or a symlink's target); undefined when too large/unreadable. */
  read(path: string): Promise<string | undefined>;
}

/** A tree that can also hand over raw bytes, many blobs at once: what materialize writes. */
export interface BlobTree extends RepoTree {
  readBlobs(
    blobs: readonly string[],
    onBlob: (blob: string, bytes: Buffer | undefined) => void,
  ): Promise<void>;
}

/** Git's file modes: the only four a tree entry for a file can have. */
export const MODE = {
  file: "100644",
  executable: "100755",
  symlink: "120000",
  submodule: "160000",
} as const;

export type PathKind = "file" | "symlink" | "submodule" | "folder" | "missing";

// Sorted paths per tree, so that "every file under this folder" is a binary search, not a scan of a
// repository's 10,000 files for each of an app's roots.
const sortedPaths = new WeakMap<RepoTree, readonly string[]>();

function pathsOf(tree: RepoTree): readonly string[] {
  let paths = sortedPaths.get(tree);
  if (paths === undefined) {
    paths = [...tree.files.keys()].sort(comparePaths);
    sortedPaths.set(tree, paths);
  }
  return paths;
}

/** Code-unit order, as Array.prototype.sort without a comparator, but usable in a binary search. */
export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every file path at or under `folder` ("" = the whole repository), sorted. */
export function pathsUnder(tree: RepoTree, folder: string): string[] {
  const paths = pathsOf(tree);
  if (folder === "") return [...paths];
  const out: string[] = [];
  if (tree.files.has(folder)) out.push(folder);
  const prefix = `${folder}/`;
  for (let index = lowerBound(paths, prefix); index < paths.length; index += 1) {
    const path = paths[index] as string;
    if (!path.startsWith(prefix)) break;
    out.push(path);
  }
  return out;
}

/** What a (normalized, link-free) path names in the tree. */
export function pathKind(tree: RepoTree, path: string): PathKind {
  const entry = tree.files.get(path);
  if (entry !== undefined) {
    if (entry.mode === MODE.symlink) return "symlink";
    if (entry.mode === MODE.submodule) return "submodule";
    return "file";
  }
  if (path === "") return tree.files.size > 0 ? "folder" : "missing";
  const paths = pathsOf(tree);
  const next = paths[lowerBound(paths, `${path}/`)];
  return next !== undefined && isUnder(next, path) ? "folder" : "missing";
}

function lowerBound(paths: readonly string[], key: string): number {
  let low = 0;
  let high = paths.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((paths[middle] as string) < key) low = middle + 1;
    else high = middle;
  }
  return low;
}
