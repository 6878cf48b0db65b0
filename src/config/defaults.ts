// What driftguard assumes when the config says nothing: the keys that tools write at apply time
// (docs/contract.md §3), and the controllers that must be able to delete Deployments (docs/contract.md §5).
import type { Exemption } from "../core/policy.js";

// Ignored for everyone. What GitOps tools write (Argo CD's tracking keys, Flux's and Helm's labels and
// annotations) is not here: those are GitOps marks (gitops-marks.ts), which only a GitOps identity may
// write, so that a plain user cannot change them unseen.

/** Replaced as a whole by `ignoreAnnotations` in the config. */
export const DEFAULT_IGNORE_ANNOTATIONS: readonly string[] = [
  "deployment.kubernetes.io/revision",
  "kubectl.kubernetes.io/last-applied-configuration",
  "kubernetes.io/change-cause",
];

/** Replaced as a whole by `ignoreLabels` in the config. */
export const DEFAULT_IGNORE_LABELS: readonly string[] = ["velero.io/backup-name", "velero.io/restore-name"];

function deleteExemption(subject: Partial<Exemption>, description: string): Exemption {
  return { users: [], groups: [], serviceAccounts: [], ...subject, fields: ["delete"], description };
}

/**
 * Kept unless `defaultExemptions: false`. Deleting a namespace, or deleting a Deployment whose owner is
 * gone, must never be blocked: the cluster would be left stuck half way.
 */
export const DEFAULT_EXEMPTIONS: readonly Exemption[] = [
  deleteExemption(
    { serviceAccounts: ["kube-system/namespace-controller"] },
    "default exemption (namespace controller)",
  ),
  deleteExemption(
    { serviceAccounts: ["kube-system/generic-garbage-collector"] },
    "default exemption (garbage collector)",
  ),
  // Without --use-service-account-credentials, every controller in kube-controller-manager (the two
  // above included) authenticates as this one user.
  deleteExemption(
    { users: ["system:kube-controller-manager"] },
    "default exemption (kube-controller-manager)",
  ),
];
