// The admin's configuration, as the decision core sees it: already validated and frozen by the
// config loader (src/config). Defaults live there too, so that this file stays a vocabulary.
import type { GitOpsMarks } from "./gitops-marks.js";
import type { FieldGroup, Mode, Path } from "./types.js";

/** Users, groups and service accounts (`namespace/name`, or `namespace/*` for all of a namespace). */
export interface SubjectSet {
  users: readonly string[];
  groups: readonly string[];
  serviceAccounts: readonly string[];
}

export interface Exemption extends SubjectSet {
  fields: readonly FieldGroup[];
  /** How messages name this grant, e.g. `config exemptions[2]` or `default: garbage collector`. */
  description: string;
}

export interface IgnoreRule {
  paths: readonly Path[];
  /** Glob patterns (`*` wildcard); empty = every namespace / name. */
  namespaces: readonly string[];
  names: readonly string[];
}

export type UnmanagedAction = "allow" | "warn" | "deny";
export type UnsyncedAction = "allow" | "deny";

export interface Policy {
  mode: Mode;
  namespaceModes: ReadonlyMap<string, Mode>;
  /** Namespaces whose Deployments are put back to Git when a break-glass grant expires (§11); none when absent. */
  revertAfterGrantExpiry?: ReadonlySet<string>;
  unmanaged: UnmanagedAction;
  onUnsynced: UnsyncedAction;
  exemptions: readonly Exemption[];
  gitops: SubjectSet;
  /** What the GitOps identities' tools write at apply time; compared like any field for everyone else. */
  gitopsMarks: GitOpsMarks;
  ignoreAnnotations: ReadonlySet<string>;
  ignoreLabels: ReadonlySet<string>;
  /** Ignore `kubectl rollout restart`'s template annotation (default true). */
  ignoreRestartedAt: boolean;
  ignoreRules: readonly IgnoreRule[];
}
