// The command lines of a render, as Argo CD's repo-server and Flux run them (docs/contract.md §2a). Pure.
// Arguments are arrays handed to the process as they are: no shell ever reads them.
import { posix } from "node:path";
import type { AppConfig, KustomizeOptions } from "../sources/types.js";

/** The app's name in the revision (its folder, or `folder@namespace/release` when the folder repeats). */
export function appKey(app: AppConfig): string {
  return app.key ?? app.path;
}

/** `kustomize build <app> --load-restrictor LoadRestrictionsRootOnly`, run in the repository's root. */
export function kustomizeArgs(app: AppConfig): string[] {
  // No --enable-helm, --enable-alpha-plugins or --enable-exec: inflation, plugins and exec functions stay off.
  return ["build", app.path, "--load-restrictor", "LoadRestrictionsRootOnly"];
}

/** An app with no kustomize options (what the config fills in when it says none). */
export const NO_KUSTOMIZE_OPTIONS: KustomizeOptions = Object.freeze({
  images: [],
  commonLabels: {},
  commonAnnotations: {},
});

/**
 * The `kustomize edit` runs that apply an app's kustomize options to its kustomization, in its folder,
 * in the order Argo CD runs them. None when the app sets none.
 */
export function kustomizeEdits(app: AppConfig): string[][] {
  const { kustomize } = app;
  const edits: string[][] = [];
  if (kustomize.namePrefix !== undefined)
    edits.push(["edit", "set", "nameprefix", "--", kustomize.namePrefix]);
  if (kustomize.nameSuffix !== undefined)
    edits.push(["edit", "set", "namesuffix", "--", kustomize.nameSuffix]);
  if (kustomize.images.length > 0) edits.push(["edit", "set", "image", ...kustomize.images]);
  const pairs = (map: Readonly<Record<string, string>>) =>
    Object.entries(map).map(([key, value]) => `${key}:${value}`);
  const labels = pairs(kustomize.commonLabels);
  if (labels.length > 0) edits.push(["edit", "add", "label", "--force", labels.join(",")]);
  const annotations = pairs(kustomize.commonAnnotations);
  if (annotations.length > 0) edits.push(["edit", "add", "annotation", "--force", annotations.join(",")]);
  return edits;
}

export interface HelmArgsInput {
  app: AppConfig;
  /** Helm's --kube-version when the app does not say. */
  kubeVersion: string;
  /** A file holding the app's inline values, outside the repository copy; undefined when there are none. */
  inlineValuesFile: string | undefined;
}

/** `helm template <release> <chart> --namespace <ns> --kube-version <v> …`, run in the repository's root. */
export function helmArgs({ app, kubeVersion, inlineValuesFile }: HelmArgsInput): string[] {
  const { helm } = app;
  const args = ["template", releaseNameOf(app), chartArgument(app.path)];
  args.push("--namespace", app.namespace, "--kube-version", helm.kubeVersion ?? kubeVersion);
  for (const version of helm.apiVersions) args.push("--api-versions", version);
  // Value files are relative to the chart; later files win, inline values last of all (as Argo CD orders them).
  for (const file of helm.valueFiles) args.push("--values", posix.join(app.path, file));
  if (inlineValuesFile !== undefined) args.push("--values", inlineValuesFile);
  if (helm.skipTests) args.push("--skip-tests");
  if (helm.includeCRDs) args.push("--include-crds");
  return args;
}

/** The folder's name, as Argo CD names a release it was not told about. */
export function releaseNameOf(app: AppConfig): string {
  if (app.helm.releaseName !== undefined) return app.helm.releaseName;
  const name = posix.basename(app.path === "." ? "release" : app.path);
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 53) || "release"
  );
}

// helm reads `name` as a repository chart reference unless it looks like a path.
function chartArgument(path: string): string {
  return path === "." ? "./" : `./${path}`;
}
