// The core's Policy from a validated config file: defaults merged in, lists turned into the Sets and
// Maps the decision core looks things up in.

import { parsePathPattern } from "../core/paths.js";
import type { Exemption, IgnoreRule, Policy, SubjectSet } from "../core/policy.js";
import type { Path } from "../core/types.js";
import { internalError } from "../errors.js";
import { DEFAULT_EXEMPTIONS, DEFAULT_IGNORE_ANNOTATIONS, DEFAULT_IGNORE_LABELS } from "./defaults.js";
import { buildGitOpsMarks } from "./gitops-marks.js";
import type { RawConfig, RawExemption, RawIgnoreRule, RawSubjects } from "./types.js";

/** `raw` must have passed the schema and the cross-field checks (see load-config.ts). */
export function buildPolicy(raw: RawConfig): Policy {
  const configured = raw.exemptions.map(toExemption);
  return {
    mode: raw.mode,
    namespaceModes: new Map(
      Object.entries(raw.namespaces).map(([namespace, entry]) => [namespace, entry.mode]),
    ),
    revertAfterGrantExpiry: new Set(
      Object.entries(raw.namespaces)
        .filter(([, entry]) => entry.revert === "afterGrantExpiry")
        .map(([namespace]) => namespace),
    ),
    unmanaged: raw.unmanaged,
    onUnsynced: raw.onUnsynced,
    exemptions: raw.defaultExemptions ? [...configured, ...DEFAULT_EXEMPTIONS] : configured,
    gitops: toSubjects(raw.gitops),
    gitopsMarks: buildGitOpsMarks(raw.gitops.marks),
    ignoreAnnotations: new Set(raw.ignoreAnnotations ?? DEFAULT_IGNORE_ANNOTATIONS),
    ignoreLabels: new Set(raw.ignoreLabels ?? DEFAULT_IGNORE_LABELS),
    ignoreRestartedAt: raw.ignoreRestartedAt,
    ignoreRules: raw.ignore.map(toIgnoreRule),
  };
}

function toSubjects(raw: RawSubjects): SubjectSet {
  return { users: raw.users ?? [], groups: raw.groups ?? [], serviceAccounts: raw.serviceAccounts ?? [] };
}

function toExemption(raw: RawExemption, index: number): Exemption {
  // The description is how denial messages and warnings name the grant that applied.
  return { ...toSubjects(raw), fields: raw.fields, description: `config exemptions[${index}]` };
}

function toIgnoreRule(raw: RawIgnoreRule): IgnoreRule {
  return { paths: raw.paths.map(toPath), namespaces: raw.namespaces ?? [], names: raw.names ?? [] };
}

function toPath(text: string): Path {
  const parsed = parsePathPattern(text);
  // The schema's pathPattern keyword already refused these; reaching here is a bug, not bad input.
  if (typeof parsed === "string")
    throw internalError(`unvalidated ignore path reached buildPolicy: ${parsed}`);
  return parsed;
}
