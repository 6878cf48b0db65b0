// Pure helpers around git's command line: what may be passed to it, and how to read its output.
import { SourceError } from "./source-error.js";

export interface TreeEntry {
  path: string;
  mode: string;
  blob: string;
}

const COMMIT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** A full SHA-1 or SHA-256 commit id. */
export function isCommitId(ref: string): boolean {
  return COMMIT_ID.test(ref);
}

// Refs come from configuration; still, a ref that looks like an option or a revision expression
// must never reach git's command line.
export function checkRef(ref: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
  if (ref.startsWith("-") || /[\u0000-\u0020\u007f~^:?*[\\]|\.\.|@\{/.test(ref)) {
    throw new SourceError("BAD_REF", `ref ${JSON.stringify(ref)} is not a valid branch, tag or commit name`);
  }
}

/** `git ls-tree -r -z` output: the blobs (files and symbolic links) of a tree. */
export function parseTree(output: string): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const record of output.split("\0")) {
    if (record === "") continue;
    // `<mode> SP <type> SP <object> TAB <path>`; with -z the path is not quoted.
    const tab = record.indexOf("\t");
    const [mode, type, blob] = record.slice(0, tab).split(" ");
    if (type !== "blob" || mode === undefined || blob === undefined) continue;
    entries.push({ path: record.slice(tab + 1), mode, blob });
  }
  return entries;
}
