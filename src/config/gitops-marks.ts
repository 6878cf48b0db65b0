// The keys each GitOps tool writes on the objects it applies (docs/contract.md §5, GitOps marks), and
// the core's two sets of mark keys built from config `gitops.marks`. Read from the tools' own sources:
// Argo CD's resource tracking (label, `annotation`, `annotation+label`; the installation ID annotation
// when `installationID` is set), Flux's kustomize-controller owner labels, helm-controller's origin
// labels, and Helm's release metadata that `helm install`/`upgrade` put on every resource.
import type { GitOpsMarks } from "../core/gitops-marks.js";
import type { RawGitOpsMarks } from "./types.js";

/** Argo CD's `application.instanceLabelKey` when argocd-cm leaves it unset. */
export const ARGOCD_INSTANCE_LABEL_KEY = "app.kubernetes.io/instance";

/** Annotation tracking writes both whatever the tracking method, so they are always marks. */
export const ARGOCD_ANNOTATIONS: readonly string[] = [
  "argocd.argoproj.io/tracking-id",
  "argocd.argoproj.io/installation-id",
];

/** kustomize-controller's owner labels, and helm-controller's labels naming the HelmRelease. */
export const FLUX_LABELS: readonly string[] = [
  "kustomize.toolkit.fluxcd.io/name",
  "kustomize.toolkit.fluxcd.io/namespace",
  "helm.toolkit.fluxcd.io/name",
  "helm.toolkit.fluxcd.io/namespace",
];

/** What Helm itself adds at install and upgrade (helm-controller installs with Helm); not `helm template`. */
export const HELM_LABELS: readonly string[] = ["app.kubernetes.io/managed-by"];
export const HELM_ANNOTATIONS: readonly string[] = [
  "meta.helm.sh/release-name",
  "meta.helm.sh/release-namespace",
];

/** `gitops.marks` as the schema fills it in when the config says nothing. */
export const DEFAULT_MARK_SETTINGS: RawGitOpsMarks = {
  argocd: { enabled: true, instanceLabelKey: ARGOCD_INSTANCE_LABEL_KEY },
  flux: { enabled: true },
  helm: { enabled: true },
  labels: [],
  annotations: [],
};

export function buildGitOpsMarks(raw: RawGitOpsMarks): GitOpsMarks {
  const labels = new Set(raw.labels);
  const annotations = new Set(raw.annotations);
  if (raw.argocd.enabled) {
    labels.add(raw.argocd.instanceLabelKey);
    for (const key of ARGOCD_ANNOTATIONS) annotations.add(key);
  }
  if (raw.flux.enabled) for (const key of FLUX_LABELS) labels.add(key);
  if (raw.helm.enabled) {
    for (const key of HELM_LABELS) labels.add(key);
    for (const key of HELM_ANNOTATIONS) annotations.add(key);
  }
  return { labels, annotations };
}

/** Every tool on, with Argo CD's default label key: what a config without `gitops.marks` gets. */
export const DEFAULT_GITOPS_MARKS: GitOpsMarks = buildGitOpsMarks(DEFAULT_MARK_SETTINGS);
