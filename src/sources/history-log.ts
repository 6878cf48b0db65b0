// Reads the first-parent history of a source's ref as a list of steps back in time: one git process
// for the whole walk, and only the commits that touch the source's files (others cannot change what
// it serves). Each step says what the tree held before the commit, so older trees are made from newer
// ones by applying steps, never listed again.
import type { GitRepo, TreeEntry } from "./git-repo.js";
import { selectionInputs } from "./path-filter.js";

export interface HistoryStep {
  /** The commit whose changes against its first parent these are. */
  commit: string;
  /** Its first parent, whose tree the step leads to; undefined for a root commit. */
  parent: string | undefined;
  /** Per changed path, the entry the first parent has there; undefined when the commit added it. */
  before: ReadonlyMap<string, TreeEntry | undefined>;
}

/** Steps from `head` back, newest first, at most `maxCount`. */
export async function readHistorySteps(
  repo: GitRepo,
  head: string,
  paths: readonly string[],
  maxCount: number,
): Promise<HistoryStep[]> {
  // Literal pathspecs: a file named `*.yaml` in Git must not be read as a pattern.
  const pathspecs = (selectionInputs(paths) ?? []).map((path) => `:(literal)${path}`);
  return parseHistoryLog(await repo.firstParentLog(head, pathspecs, maxCount));
}

const ABSENT_MODES = new Set(["000000", "160000"]); // not there, or a submodule (never a manifest)

/** `git log -z --format='%H %P' --raw --no-abbrev --no-renames` output. */
export function parseHistoryLog(output: string): HistoryStep[] {
  const steps: Array<HistoryStep & { before: Map<string, TreeEntry | undefined> }> = [];
  const tokens = output.split("\0");
  for (let i = 0; i < tokens.length; i += 1) {
    const token = (tokens[i] ?? "").replace(/^\n/, "");
    if (token === "") continue;
    if (token.startsWith(":")) {
      i += 1;
      const path = tokens[i] ?? "";
      // `:<old mode> <new mode> <old blob> <new blob> <status>`
      const [mode = "", , blob = ""] = token.slice(1).split(" ");
      steps.at(-1)?.before.set(path, ABSENT_MODES.has(mode) ? undefined : { path, mode, blob });
      continue;
    }
    const [commit = "", parent] = token.split(" ");
    steps.push({ commit, parent: parent === "" ? undefined : parent, before: new Map() });
  }
  return steps;
}

/** The tree before `step`, from the tree after it. */
export function applyStep(entries: Map<string, TreeEntry>, step: HistoryStep): void {
  for (const [path, entry] of step.before) {
    if (entry === undefined) entries.delete(path);
    else entries.set(path, entry);
  }
}
