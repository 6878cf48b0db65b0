// Contract between the Git adapter (this folder) and the rest of driftguard.
// The Git adapter turns a repository into parsed Deployment manifests per file; the pure core
// (src/core) turns those into normalized desired objects. Nothing here knows about admission.
import type { JsonObject, ObjectKey, Path } from "../core/types.js";

/** One source as configured (docs/contract.md §2). Durations are in milliseconds. */
export interface SourceConfig {
  name: string;
  /** https://, ssh://, git@host:path, file:// or a local path. May carry credentials: always redact. */
  url: string;
  /** Branch, tag or commit; undefined = the remote's default branch. */
  ref?: string | undefined;
  /** Folders or globs of plain manifests inside the repository. */
  paths: readonly string[];
  /** Rendered apps and plain folders with a namespace of their own (docs/contract.md §2a). */
  apps?: readonly AppConfig[] | undefined;
  /** Namespace for manifests without metadata.namespace. */
  namespace: string;
  intervalMs: number;
  auth?: SourceAuth | undefined;
}

export type SourceAuth =
  | { kind: "https"; usernameFile?: string | undefined; tokenFile: string }
  | { kind: "ssh"; privateKeyFile: string; knownHostsFile: string };

export type AppType = "kustomize" | "helm" | "directory";

/** One entry of `paths` written as an object (docs/contract.md §2a). */
export interface AppConfig {
  /** Repository-relative folder, forward slashes, no leading `./` or trailing slash; `.` = the root. */
  path: string;
  /**
   * What names the app in the source's revision, messages and /readyz: its path, unless the source has the
   * same folder more than once (one chart, several releases): then `path@namespace/release`.
   */
  key?: string | undefined;
  /** `auto` is resolved per commit from the folder's marker files. */
  type: AppType | "auto";
  /** Namespace for rendered namespaced objects without one; Helm's `--namespace`. */
  namespace: string;
  helm: HelmOptions;
  kustomize: KustomizeOptions;
}

/**
 * What Argo CD's `source.kustomize` (and Flux's Kustomization) add on top of the overlay, applied as
 * they apply them: `kustomize edit` in the render's copy before the build.
 */
export interface KustomizeOptions {
  namePrefix?: string | undefined;
  nameSuffix?: string | undefined;
  /** `kustomize edit set image` arguments: `name=newName:tag`, `name:tag`, `name@digest`. */
  images: readonly string[];
  commonLabels: Readonly<Record<string, string>>;
  commonAnnotations: Readonly<Record<string, string>>;
}

export interface HelmOptions {
  /** Defaults to the folder's name. */
  releaseName?: string | undefined;
  /** Relative to the app's path; must stay inside the repository. */
  valueFiles: readonly string[];
  /** Inline values as YAML text, passed last (they win), as `--set` would. */
  values?: string | undefined;
  /** `--kube-version`; defaults to renderers.kubeVersion. */
  kubeVersion?: string | undefined;
  apiVersions: readonly string[];
  skipTests: boolean;
  includeCRDs: boolean;
}

/** The render tools and their bounds (config `renderers`). */
export interface RendererSettings {
  /** Binary path, or a name looked up on PATH. */
  kustomize: string;
  helm: string;
  timeoutMs: number;
  /** Renders at a time, across all sources. */
  concurrency: number;
  /** stdout + stderr of one render. */
  maxOutputBytes: number;
  /** Helm's `--kube-version` when an app does not say. */
  kubeVersion: string;
  /** Run each render in a network namespace of its own: when possible, always (or fail), never. */
  isolateNetwork: "auto" | "always" | "never";
}

/** A whole Deployment document found in a file. */
export interface ManifestDoc {
  /** Namespace after applying the source's default. */
  namespace: string;
  name: string;
  /** Repository-relative path, forward slashes. */
  file: string;
  /** 0-based index of the document in its file (after List expansion: `3` or `3.1`). */
  docIndex: string;
  /** The parsed document as kubectl would send it (YAML 1.1 semantics already applied). */
  object: JsonObject;
  /** A rendered document: the file or template that produced it, when the tool says (repo-relative). */
  renderedFrom?: string | undefined;
  /** A rendered document: paths (normalized form) never compared (unstable fields, origin marks). */
  notCompared?: readonly Path[] | undefined;
}

export interface ParseError {
  /** The file, or a rendered app's folder. */
  file: string;
  /** 1-based line, when the parser knows it. */
  line?: number | undefined;
  message: string;
}

/** Something skipped or odd that an admin should see once (not an error). */
export interface Notice {
  file: string;
  message: string;
}

/** The state of one file at one revision. */
export interface FileState {
  file: string;
  /** Git blob id of the content the file has at this revision. */
  blob: string;
  /** Deployments served for this file: the last content that parsed (maybe from an older commit). */
  docs: readonly ManifestDoc[];
  /** Commit whose content `docs` come from (differs from the revision's commit after a parse error). */
  goodCommit: string;
  /** Set when the file's content at this revision does not parse (or the app does not render). */
  error?: ParseError | undefined;
  /** Set when this state is a rendered app's: `file` is then the app's folder, `blob` its inputs' hash. */
  app?: RenderedApp | undefined;
}

export interface RenderedApp {
  type: "kustomize" | "helm";
  /** Paths that differed between two renders of the same inputs, as printed in notices. */
  unstable: readonly string[];
  /** The last render failed in a way worth trying again with the same inputs (a timeout). */
  transient?: boolean | undefined;
}

/** An object's manifest documents at one commit of the ref's history. */
export interface ObjectVersion {
  commit: string;
  /** Every document claiming the object there; none when the object was absent (a prune). */
  docs: readonly ManifestDoc[];
}

/** One fetched commit of one source, ready to serve. Immutable once built. */
export interface SourceRevision {
  source: string;
  commit: string;
  fetchedAt: number;
  files: ReadonlyMap<string, FileState>;
  notices: readonly Notice[];
}

export type SyncState =
  | { kind: "pending" }
  | { kind: "synced"; commit: string; at: number }
  | { kind: "failing"; commit: string | undefined; since: number; error: string };

export interface SourceStatus {
  name: string;
  /** Redacted URL. */
  url: string;
  state: SyncState;
  lastAttemptAt: number | undefined;
  lastSuccessAt: number | undefined;
  /** Fetches that failed since the process started (the metric driftguard_source_sync_failures_total). */
  syncFailures?: number | undefined;
  /** Files whose content does not parse (apps are listed apart, in `apps`). */
  fileErrors: readonly ParseError[];
  /** The source's Kustomize and Helm apps at the current revision. */
  apps: readonly AppStatus[];
  notices: readonly Notice[];
  /** True when the revision being served was restored from disk, not fetched in this process. */
  restored: boolean;
  /** Why the last snapshot write to stateDir failed (the served revision is not on disk for a restart). */
  snapshotError?: string | undefined;
}

export interface AppStatus {
  path: string;
  type: "kustomize" | "helm";
  /** Commit of the render being served; undefined when the app never rendered (it contributes nothing). */
  renderedAt: string | undefined;
  /** Why the app does not render at the current commit (its last good render, if any, serves). */
  error: string | undefined;
  /** Fields not compared because two renders disagreed. */
  unstable: readonly string[];
}

/** What a refresh did. */
export type RefreshResult =
  | { kind: "unchanged"; commit: string }
  | { kind: "updated"; from: string | undefined; to: string; changedFiles: number }
  | { kind: "failed"; error: string };

/** A Git source that keeps itself fresh. Implemented in git-source.ts. */
export interface GitSource {
  readonly name: string;
  /** Loads the on-disk snapshot (if any), then fetches once. Resolves after the first attempt. */
  start(): Promise<void>;
  /** Starts polling every intervalMs. */
  startPolling(): void;
  stop(): Promise<void>;
  /** Fetch now. Concurrent calls share one fetch (single flight). Never throws. */
  refresh(reason: string): Promise<RefreshResult>;
  /** Newest revision being served, or undefined before the first success. */
  current(): SourceRevision | undefined;
  /**
   * Revisions fetched by this process, newest first (current first), at most `revisions` long; cleared
   * to the current one when the ref is force-pushed to a commit not descending from the previous one.
   */
  history(): readonly SourceRevision[];
  /**
   * Up to `limit` distinct contents of the object's manifest in the first-parent history of the current
   * revision's commit, newest first (the current content first), each named by the commit that wrote
   * it. Read from Git lazily (one walk per head commit, shared by every object, at most 1,000 commits
   * that touch `paths`), remembered per object and kept in the snapshot. An entry with no docs means
   * the object was absent at that commit (a prune). Never throws: on failure returns what is known (the
   * snapshot's history, or the walk so far) and logs once.
   */
  objectHistory(key: ObjectKey, limit: number): Promise<readonly ObjectVersion[]>;
  status(): SourceStatus;
  /** Called after every change of `current()`. */
  onChange(listener: (revision: SourceRevision) => void): void;
}
