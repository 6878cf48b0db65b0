// A desired object: Git's manifest for one Deployment, normalized once per revision (never per request),
// with the options that every live object compared to it must be normalized with.
import { indexLenient, type LenientIndex } from "./diff.js";
import { asObject } from "./json.js";
import { type NormalizeOptions, normalize } from "./normalize.js";
import { parsePathPattern } from "./paths.js";
import type { Policy } from "./policy.js";
import { globMatches } from "./subjects.js";
import { type JsonObject, MODES, type Mode, type ObjectKey, type Origin, type Path } from "./types.js";

export const MODE_ANNOTATION = "driftguard.io/mode";
/**
 * `afterGrantExpiry` on the manifest in Git opts the Deployment in to the in-cluster revert (§11). Read
 * from Git's side only; the GitOps tool applies it, so the live object holds it too and it is no drift.
 */
export const REVERT_ANNOTATION = "driftguard.io/revert";
const RESTARTED_AT = parsePathPattern(
  'spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]',
) as Path;

export interface Desired {
  key: ObjectKey;
  origin: Origin;
  normalized: JsonObject;
  lenient: LenientIndex;
  replicasManaged: boolean;
  /** From the manifest's `driftguard.io/mode` annotation; undefined when absent or invalid. */
  mode: Mode | undefined;
  /** The manifest says `driftguard.io/revert: afterGrantExpiry`. */
  revertAfterGrantExpiry: boolean;
  options: NormalizeOptions;
  /** Equal for desired objects whose options normalize a live object alike (see live-object.ts). */
  optionsKey: string;
}

/**
 * `notCompared`: paths of this one manifest that no side is compared at (a rendered app's unstable fields
 * and the renderer's origin marks, docs/contract.md §2a).
 */
export function prepareDesired(
  manifest: JsonObject,
  key: ObjectKey,
  origin: Origin,
  policy: Policy,
  notCompared: readonly Path[] = [],
): Desired {
  const spec = asObject(manifest.spec);
  const replicasManaged = spec?.replicas !== undefined && spec.replicas !== null;
  const options: NormalizeOptions = {
    ignoreAnnotations: policy.ignoreAnnotations,
    ignoreLabels: policy.ignoreLabels,
    ignorePaths: [...ignorePathsFor(key, policy), ...notCompared],
    replicasManaged,
  };
  const { object, lenient } = normalize(manifest, options);
  return {
    key,
    origin,
    normalized: object,
    lenient: indexLenient(lenient),
    replicasManaged,
    mode: modeOf(manifest),
    revertAfterGrantExpiry:
      asObject(asObject(manifest.metadata)?.annotations)?.[REVERT_ANNOTATION] === "afterGrantExpiry",
    options,
    optionsKey: optionsKeyOf(options),
  };
}

// The ignore lists come from the one policy of a process; the paths and replicas depend on the object.
function optionsKeyOf(options: NormalizeOptions): string {
  const paths = options.ignorePaths.map((path) => path.join("\u0000")).join("\u0001");
  return `${options.replicasManaged ? "replicas" : "no-replicas"}\u0002${paths}`;
}

function ignorePathsFor(key: ObjectKey, policy: Policy): Path[] {
  const paths: Path[] = policy.ignoreRestartedAt ? [RESTARTED_AT] : [];
  for (const rule of policy.ignoreRules) {
    const namespaceOk =
      rule.namespaces.length === 0 || rule.namespaces.some((p) => globMatches(p, key.namespace));
    const nameOk = rule.names.length === 0 || rule.names.some((p) => globMatches(p, key.name));
    if (namespaceOk && nameOk) paths.push(...rule.paths);
  }
  return paths;
}

function modeOf(manifest: JsonObject): Mode | undefined {
  const value = asObject(asObject(manifest.metadata)?.annotations)?.[MODE_ANNOTATION];
  return MODES.find((mode) => mode === value);
}
