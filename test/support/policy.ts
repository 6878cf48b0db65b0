// A policy for core tests: the shipped defaults (ignore lists and GitOps marks from src/config), enforce
// mode, with overrides.
import { DEFAULT_IGNORE_ANNOTATIONS, DEFAULT_IGNORE_LABELS } from "../../src/config/defaults.js";
import { DEFAULT_GITOPS_MARKS } from "../../src/config/gitops-marks.js";
import type { Policy } from "../../src/core/policy.js";

export function testPolicy(overrides: Partial<Policy> = {}): Policy {
  return {
    mode: "enforce",
    namespaceModes: new Map(),
    unmanaged: "allow",
    onUnsynced: "allow",
    exemptions: [
      {
        users: [],
        groups: [],
        serviceAccounts: ["kube-system/namespace-controller", "kube-system/generic-garbage-collector"],
        fields: ["delete"],
        description: "default exemption",
      },
    ],
    gitops: { users: [], groups: [], serviceAccounts: ["argocd/argocd-application-controller"] },
    gitopsMarks: DEFAULT_GITOPS_MARKS,
    ignoreAnnotations: new Set(DEFAULT_IGNORE_ANNOTATIONS),
    ignoreLabels: new Set(DEFAULT_IGNORE_LABELS),
    ignoreRestartedAt: true,
    ignoreRules: [],
    ...overrides,
  };
}
