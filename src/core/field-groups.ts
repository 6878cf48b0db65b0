// Which field group a drifted path belongs to (docs/contract.md §5), and which values must never be echoed.
import { isUnder, parsePathPattern } from "./paths.js";
import type { FieldGroup, Json, Path } from "./types.js";

function pattern(text: string): Path {
  const parsed = parsePathPattern(text);
  if (typeof parsed === "string") throw new Error(`bad built-in path ${text}: ${parsed}`);
  return parsed;
}

const POD = "spec.template.spec";
const ALL_CONTAINERS = ["containers", "initContainers", "ephemeralContainers"];
const CONTAINERS = ["containers", "initContainers"];

const GROUP_PATTERNS: readonly [FieldGroup, Path][] = [
  ["replicas", pattern("spec.replicas")],
  ["paused", pattern("spec.paused")],
  ["restart", pattern('spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]')],
  ...ALL_CONTAINERS.map((list): [FieldGroup, Path] => ["image", pattern(`${POD}.${list}[*].image`)]),
  ...CONTAINERS.map((list): [FieldGroup, Path] => ["resources", pattern(`${POD}.${list}[*].resources`)]),
  ["resources", pattern(`${POD}.resources`)],
  ...CONTAINERS.flatMap((list): [FieldGroup, Path][] => [
    ["env", pattern(`${POD}.${list}[*].env`)],
    ["env", pattern(`${POD}.${list}[*].envFrom`)],
  ]),
  ["metadata", pattern("metadata.labels")],
  ["metadata", pattern("metadata.annotations")],
  ["metadata", pattern("metadata.ownerReferences")],
  ["metadata", pattern("metadata.finalizers")],
];

export const DELETED_PATH = "deleted";

/** The group of a path, or undefined when only `*` covers it. */
export function groupOf(path: Path): FieldGroup | undefined {
  if (path.length === 1 && path[0] === DELETED_PATH) return "delete";
  for (const [group, prefix] of GROUP_PATTERNS) if (isUnder(path, prefix)) return group;
  return undefined;
}

const SECRET_LIKE = /(secret|passw|token|credential|private|api[-_]?key|access[-_]?key|auth)/i;

/**
 * True when values at this path must be shown as `<changed>`: every env value (they often hold
 * credentials), and anything whose path or value looks like a secret.
 */
export function isSensitive(path: Path, values: readonly (Json | undefined)[]): boolean {
  if (path.some((segment) => segment === "env" || segment === "envFrom")) return true;
  if (path.some((segment) => SECRET_LIKE.test(segment))) return true;
  return values.some((value) => {
    if (value === undefined) return false;
    const text = JSON.stringify(value);
    // A whole container or pod spec carries its env values inside.
    return SECRET_LIKE.test(text) || text.includes('"env"') || text.includes('"envFrom"');
  });
}
