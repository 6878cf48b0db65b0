// A policy for core tests: SPEC defaults, with overrides.
import type { Policy } from "../../src/core/policy.js";

export const DEFAULT_IGNORED_ANNOTATIONS = [
  "deployment.kubernetes.io/revision",
  "kubectl.kubernetes.io/last-applied-configuration",
  "kubernetes.io/change-cause",
  "argocd.argoproj.io/tracking-id",
  "argocd.argoproj.io/installation-id",
  "meta.helm.sh/release-name",
  "meta.helm.sh/release-namespace",
];

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
    ignoreAnnotations: new Set(DEFAULT_IGNORED_ANNOTATIONS),
    ignoreLabels: new Set(["kustomize.toolkit.fluxcd.io/name", "velero.io/backup-name"]),
    ignoreRestartedAt: true,
    ignoreRules: [],
    ...overrides,
  };
}
