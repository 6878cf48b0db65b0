// Repository-relative paths, as the render code handles them: forward slashes, no `.` or `..`
// segments, "" for the repository's top. Pure string work, like Go's path.Clean that kustomize and
// helm apply before they touch a file.

/**
 * `a/./b/../c/` → `a/c`; undefined when the path climbs above the repository's top. A leading `/`
 * is not accepted here: callers refuse absolute paths before, with their own message.
 */
export function normalizeRepoPath(path: string): string | undefined {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part !== "..") parts.push(part);
    else if (parts.pop() === undefined) return undefined;
  }
  return parts.join("/");
}

/** `relative` read from the folder `base`, normalized; undefined when it leaves the repository. */
export function joinRepoPath(base: string, relative: string): string | undefined {
  return normalizeRepoPath(base === "" ? relative : `${base}/${relative}`);
}

/** True when `path` is `folder` itself or inside it ("" holds everything). */
export function isUnder(path: string, folder: string): boolean {
  return folder === "" || path === folder || path.startsWith(`${folder}/`);
}

/** The folder holding `path` ("" for a top-level file). */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

/** How a path is shown to people: the repository's top is `.`. */
export function shownPath(path: string): string {
  return path === "" ? "." : path;
}

export function isAbsolutePath(path: string): boolean {
  return path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith("\\");
}
