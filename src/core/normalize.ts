// normalize: one pipeline for every side (Git's manifest, the old and the new object), so that two
// objects the API server would store alike come out equal (docs/contract.md §3):
//   prune (server-owned fields, tool-written keys, nulls) → API server defaults → canonical forms
//   (quantities, omitempty collapse, keyed lists) → ignored paths removed.
import { canonicalize } from "./canonical.js";
import { applyDeploymentDefaults, type Lenient } from "./defaults.js";
import { MAP_FIELDS, VALUE_STRUCTS } from "./fields.js";
import { asObject, isObject } from "./json.js";
import { type JsonTokens, matchesTokens, tokensOf } from "./json-tokens.js";
import { isUnder } from "./paths.js";
import type { Json, JsonObject, Path } from "./types.js";

export interface NormalizeOptions {
  /** Annotation and label keys on the Deployment itself that tools write at apply time. */
  ignoreAnnotations: ReadonlySet<string>;
  ignoreLabels: ReadonlySet<string>;
  /** Paths (patterns) removed from every side: restartedAt by default, plus the config's ignore rules. */
  ignorePaths: readonly Path[];
  /** False when Git leaves out spec.replicas: replicas are then not managed (HPA style). */
  replicasManaged: boolean;
}

export interface Normalized {
  object: JsonObject;
  /** Fields where Git accepts more than one value (only meaningful for Git's side). */
  lenient: readonly Lenient[];
}

const KEPT_METADATA = ["labels", "annotations", "ownerReferences", "finalizers"] as const;

// Template annotations the server drops in conversion (docs/kubernetes-facts.md §2.2).
const DROPPED_TEMPLATE_ANNOTATIONS = [
  "pod.beta.kubernetes.io/init-containers",
  "pod.alpha.kubernetes.io/init-containers",
  "pod.beta.kubernetes.io/init-container-statuses",
  "pod.alpha.kubernetes.io/init-container-statuses",
];

export function normalize(raw: JsonObject, options: NormalizeOptions): Normalized {
  const pruned = prune(raw, options);
  const lenient = applyDeploymentDefaults(pruned);
  const object = asObject(canonicalize(pruned)) ?? {};
  for (const pattern of options.ignorePaths) removeMatching(object, pattern, 0);
  return {
    object,
    lenient: lenient.filter((entry) => !options.ignorePaths.some((p) => isUnder(entry.path, p))),
  };
}

/**
 * What normalize reads of `raw`, by reference (nothing is copied): the kept metadata and the spec.
 * Holding it keeps no more of a request alive than what is compared (managedFields, status go).
 */
export function normalizeInput(raw: JsonObject): JsonObject {
  const metadata: JsonObject = {};
  const rawMetadata = asObject(raw.metadata);
  for (const key of KEPT_METADATA) if (rawMetadata?.[key] !== undefined) metadata[key] = rawMetadata[key];
  return raw.spec === undefined ? { metadata } : { metadata, spec: raw.spec };
}

/**
 * What normalize reads of `raw` as tokens (json-tokens.ts): the spec and the kept metadata, in order. Two
 * objects whose input matches (key order included) normalize to identical results for any options.
 * Kept beside prune, which decides what that input is.
 */
export function normalizeInputTokens(raw: JsonObject): JsonTokens {
  return tokensOf(inputValues(raw));
}

/** True when `raw` holds exactly the input `tokens` were made of (see normalizeInputTokens). */
export function matchesNormalizeInput(tokens: JsonTokens, raw: JsonObject): boolean {
  return matchesTokens(tokens, inputValues(raw));
}

function inputValues(raw: JsonObject): (Json | undefined)[] {
  const metadata = asObject(raw.metadata);
  return [raw.spec, ...KEPT_METADATA.map((key) => metadata?.[key])];
}

/** A fresh copy holding only what is compared; nulls are gone (the server decodes them as unset). */
function prune(raw: JsonObject, options: NormalizeOptions): JsonObject {
  const metadata: JsonObject = {};
  const rawMetadata = asObject(raw.metadata) ?? {};
  for (const key of KEPT_METADATA) {
    const value = withoutNulls(rawMetadata[key]);
    if (value !== undefined) metadata[key] = value;
  }
  dropKeys(asObject(metadata.annotations), options.ignoreAnnotations);
  dropKeys(asObject(metadata.labels), options.ignoreLabels);
  const spec = asObject(withoutNulls(raw.spec)) ?? {};
  if (!options.replicasManaged) delete spec.replicas;
  const template = asObject(spec.template);
  const templateMetadata = asObject(template?.metadata);
  if (templateMetadata) {
    delete templateMetadata.creationTimestamp;
    dropKeys(asObject(templateMetadata.annotations), new Set(DROPPED_TEMPLATE_ANNOTATIONS));
  }
  mirrorServiceAccount(asObject(template?.spec));
  return { metadata, spec };
}

/** The server keeps one service account field and writes it to both names (docs/kubernetes-facts.md §2.2). */
function mirrorServiceAccount(pod: JsonObject | undefined): void {
  if (!pod) return;
  const name = pod.serviceAccountName || pod.serviceAccount;
  delete pod.serviceAccount;
  if (name) pod.serviceAccountName = name;
  else delete pod.serviceAccountName;
}

function dropKeys(map: JsonObject | undefined, keys: ReadonlySet<string>): void {
  if (!map) return;
  for (const key of Object.keys(map)) if (keys.has(key)) delete map[key];
}

// Loops rather than flatMap and Object.entries: this copies every object a request brings that is not
// cached, and those allocated an array per element and per key.
function withoutNulls(value: Json | undefined): Json | undefined {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) {
    const out: Json[] = [];
    for (const item of value) if (item !== null) out.push(withoutNulls(item) ?? null);
    return out;
  }
  if (typeof value !== "object") return value;
  const out: JsonObject = {};
  for (const key of Object.keys(value)) {
    const kept = withoutNulls(value[key]);
    if (kept !== undefined) out[key] = kept;
  }
  return out;
}

function removeMatching(node: JsonObject, pattern: Path, depth: number): void {
  const segment = pattern[depth];
  if (segment === undefined) return;
  const last = depth === pattern.length - 1;
  for (const key of Object.keys(node)) {
    if (!segmentMatches(segment, key)) continue;
    const child = node[key];
    if (last) delete node[key];
    else if (isObject(child)) {
      removeMatching(child, pattern, depth + 1);
      // `annotations: {restartedAt}` minus restartedAt is `{}`, which the server would not serialize.
      if (Object.keys(child).length === 0 && (MAP_FIELDS.has(key) || VALUE_STRUCTS.has(key)))
        delete node[key];
    }
  }
}

function segmentMatches(pattern: string, key: string): boolean {
  return isUnder([key], [pattern]);
}
