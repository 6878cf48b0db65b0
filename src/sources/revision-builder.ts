// Builds the SourceRevision of one commit from its tree and the previous revision. Files whose blob
// did not change keep their FileState object as is (the core caches per ManifestDoc object); a file
// whose new content does not parse keeps serving its last good docs (docs/contract.md §2, per-file last good).
import { type AppStepResult, carriedApps, type DirectoryApp } from "../render/app-step.js";
import { detectAppType } from "../render/inputs.js";
import type { BlobContent } from "./blob-reader.js";
import type { TreeEntry } from "./git-repo.js";
import { fileTooLarge, type ParsedFile } from "./manifest-parser.js";
import { type FileParser, inThreadParser } from "./parse-pool.js";
import { ParseQueue } from "./parse-queue.js";
import { selectManifestFiles } from "./path-filter.js";
import type { AppConfig, FileState, Notice, SourceRevision } from "./types.js";

/** Notices of each file, kept beside FileState (the contract has no field for them). */
export type FileNotices = WeakMap<FileState, readonly Notice[]>;

export interface BuildInput {
  source: string;
  commit: string;
  fetchedAt: number;
  namespace: string;
  paths: readonly string[];
  /** The source's apps (docs/contract.md §2a). */
  apps?: readonly AppConfig[] | undefined;
  /** Renders the apps for this commit. Without it, the previous revision's app states are carried as they are. */
  renderApps?: (() => Promise<AppStepResult>) | undefined;
  entries: readonly TreeEntry[];
  previous: SourceRevision | undefined;
  notices: FileNotices;
  /** `onBlob` may return a promise: the reader then waits for it before reading on. */
  readBlobs: (
    blobs: readonly string[],
    onBlob: (blob: string, content: BlobContent) => Promise<void> | undefined,
  ) => Promise<void>;
  /** Parses the files of a large change (the parse pool); default and for small changes: in-thread. */
  parser?: FileParser | undefined;
}

export interface BuildResult {
  revision: SourceRevision;
  /** Files whose content was read and parsed for this revision. */
  parsed: number;
  /** Files added, removed or changed since the previous revision. */
  changedFiles: number;
}

const SYMLINK_MODE = "120000";
// Below this many files to parse, a worker's round trip (and its start, after an idle end) costs more
// than parsing here: a one-file commit is parsed in-thread.
const POOL_MIN_FILES = 64;

export async function buildRevision(input: BuildInput): Promise<BuildResult> {
  const apps = await (input.renderApps?.() ?? carried(input));
  const plan = planFiles(input, apps.directories);
  for (const state of apps.states) plan.appStates.set(state.file, state);
  let parsed = 0;
  const large = plan.waiting.size >= POOL_MIN_FILES;
  const queue = new ParseQueue(large ? (input.parser ?? inThreadParser) : inThreadParser);
  await input.readBlobs([...plan.waiting.keys()], (blob, content) => {
    let wait: Promise<void> | undefined;
    for (const entry of plan.waiting.get(blob) ?? []) {
      parsed += 1;
      const namespace = plan.namespaces.get(entry.path) ?? input.namespace;
      const done = (result: ParsedFile) => plan.states.set(entry.path, buildFileState(input, entry, result));
      if (content.kind !== "text") done(unparsed(entry.path, content));
      else wait = queue.add({ file: entry.path, text: content.text, namespace }, done) ?? wait;
    }
    return wait;
  });
  await queue.drain();
  const files = orderLike(plan.order, plan.states);
  for (const [path, state] of plan.appStates) if (!files.has(path)) files.set(path, state);
  const fileNotices = [...files.values()].flatMap((state) => input.notices.get(state) ?? []);
  const revision: SourceRevision = Object.freeze({
    source: input.source,
    commit: input.commit,
    fetchedAt: input.fetchedAt,
    files,
    notices: Object.freeze([...plan.treeNotices, ...fileNotices]),
  });
  return { revision, parsed, changedFiles: countChanges(input.previous, files) };
}

interface Plan {
  /** Selected files in tree order. */
  order: readonly string[];
  /** Files whose blob did not change: their previous FileState, as is. */
  states: Map<string, FileState>;
  /** Blob id → the files that hold it and must be parsed. */
  waiting: Map<string, TreeEntry[]>;
  treeNotices: Notice[];
  /** The namespace of each selected file: the source's, or its directory app's. */
  namespaces: Map<string, string>;
  /** Rendered apps' states, by app folder. */
  appStates: Map<string, FileState>;
}

function planFiles(input: BuildInput, directories: readonly DirectoryApp[]): Plan {
  const byPath = new Map(input.entries.map((entry) => [entry.path, entry]));
  const all = [...byPath.keys()];
  const namespaces = new Map<string, string>();
  const notices: Notice[] = [];
  // A directory app's namespace wins over the source's for the files both select.
  for (const directory of directories) {
    const selection = selectManifestFiles(all, [directory.path]);
    for (const file of selection.files) if (!namespaces.has(file)) namespaces.set(file, directory.namespace);
    notices.push(...selection.notices);
  }
  const plain = input.paths.length === 0 ? { files: [], notices: [] } : selectManifestFiles(all, input.paths);
  for (const file of plain.files) if (!namespaces.has(file)) namespaces.set(file, input.namespace);
  notices.push(...plain.notices);
  const plan: Plan = {
    order: [...namespaces.keys()],
    states: new Map(),
    waiting: new Map(),
    treeNotices: withoutAppFolders(notices, input.apps ?? []),
    namespaces,
    appStates: new Map(),
  };
  for (const path of plan.order) {
    const entry = byPath.get(path);
    if (entry === undefined) continue;
    if (entry.mode === SYMLINK_MODE) {
      plan.treeNotices.push({ file: path, message: "symbolic link; skipped (links are not followed)" });
      continue;
    }
    const previous = input.previous?.files.get(path);
    if (previous?.blob === entry.blob) plan.states.set(path, previous);
    else plan.waiting.set(entry.blob, [...(plan.waiting.get(entry.blob) ?? []), entry]);
  }
  return plan;
}

function buildFileState(input: BuildInput, entry: TreeEntry, result: ParsedFile): FileState {
  const file = entry.path;
  const previous = input.previous?.files.get(file);
  if (result.error !== undefined) {
    // Never serve content that did not parse: the last good docs (if any) keep serving instead.
    const state: FileState = Object.freeze({
      file,
      blob: entry.blob,
      docs: previous?.docs ?? Object.freeze([]),
      goodCommit: previous?.goodCommit ?? "",
      error: result.error,
    });
    input.notices.set(state, (previous && input.notices.get(previous)) ?? []);
    return state;
  }
  const state: FileState = Object.freeze({
    file,
    blob: entry.blob,
    docs: Object.freeze(result.docs.map((doc) => Object.freeze(doc))),
    goodCommit: input.commit,
  });
  input.notices.set(state, Object.freeze(result.notices));
  return state;
}

/** A blob that is not parsed: too large, or not text. */
function unparsed(file: string, content: Exclude<BlobContent, { kind: "text" }>): ParsedFile {
  if (content.kind === "too-large")
    return { docs: [], notices: [], error: fileTooLarge(file, content.bytes) };
  return { docs: [], notices: [], error: { file, message: content.message } };
}

/** The renderer folders that are apps: their notice ("name them as apps") has been heeded. */
function withoutAppFolders(notices: readonly Notice[], apps: readonly AppConfig[]): Notice[] {
  const folders = new Set(apps.map((app) => app.path));
  return notices.filter((notice) => {
    const slash = notice.file.lastIndexOf("/");
    return !folders.has(slash < 0 ? "." : notice.file.slice(0, slash));
  });
}

/** Without a render step: the apps as the previous revision had them, directory apps found in this tree. */
function carried(input: BuildInput): AppStepResult {
  const apps = input.apps ?? [];
  if (apps.length === 0) return { states: [], directories: [], rendered: 0 };
  const files = new Map(input.entries.map((entry) => [entry.path, entry]));
  const tree = { files, read: async () => undefined };
  const directories = apps
    .filter((app) => (app.type === "auto" ? detectAppType(tree, app.path) : app.type) === "directory")
    .map((app) => ({ path: app.path, namespace: app.namespace }));
  return { states: carriedApps(input.previous, apps), directories, rendered: 0 };
}

function orderLike(order: readonly string[], states: ReadonlyMap<string, FileState>): Map<string, FileState> {
  const files = new Map<string, FileState>();
  for (const path of order) {
    const state = states.get(path);
    if (state !== undefined) files.set(path, state);
  }
  return files;
}

function countChanges(previous: SourceRevision | undefined, files: ReadonlyMap<string, FileState>): number {
  let changed = 0;
  for (const [path, state] of files) if (previous?.files.get(path) !== state) changed += 1;
  for (const path of previous?.files.keys() ?? []) if (!files.has(path)) changed += 1;
  return changed;
}
