// diff: the paths where two normalized objects differ. Objects (and keyed lists, which normalize turned
// into objects) are walked; anything else is compared whole. A subtree present on one side only is one
// path, so an added sidecar is `containers[name=sidecar]`, not forty leaf paths.
import type { Lenient } from "./defaults.js";
import { VALUE_STRUCTS } from "./fields.js";
import { isObject, jsonEqual, ownValue } from "./json.js";
import { ORDER_SEGMENT, pathKey } from "./paths.js";
import type { Json, JsonObject, Path } from "./types.js";

export interface Difference {
  path: Path;
  /** Value on the first (desired) side; undefined = absent. */
  left: Json | undefined;
  /** Value on the second side; undefined = absent. */
  right: Json | undefined;
}

export type LenientIndex = ReadonlyMap<string, readonly Json[]>;

export function indexLenient(lenient: readonly Lenient[]): LenientIndex {
  return new Map(lenient.map((entry) => [pathKey(entry.path), entry.values]));
}

const NO_LENIENCY: LenientIndex = new Map();

export function diff(left: JsonObject, right: JsonObject, lenient: LenientIndex = NO_LENIENCY): Difference[] {
  const out: Difference[] = [];
  walk(left, right, [], lenient, out);
  return out;
}

function walk(
  left: Json | undefined,
  right: Json | undefined,
  path: string[],
  lenient: LenientIndex,
  out: Difference[],
) {
  // An absent non-pointer struct (`metadata`, `resources`) is the same as `{}`: look inside, so that a
  // label added to an object without labels is `metadata.labels`, not all of `metadata`.
  if (VALUE_STRUCTS.has(path[path.length - 1] ?? "")) {
    if (left === undefined && isObject(right)) left = {};
    if (right === undefined && isObject(left)) right = {};
  }
  if (isObject(left) && isObject(right)) {
    for (const key of unionKeys(left, right)) {
      path.push(key);
      if (key === ORDER_SEGMENT) compareOrder(left[key], right[key], path, out);
      else walk(ownValue(left, key), ownValue(right, key), path, lenient, out);
      path.pop();
    }
    return;
  }
  if (jsonEqual(left, right)) return;
  const accepted = lenient.size > 0 ? lenient.get(pathKey(path)) : undefined;
  if (accepted && right !== undefined && accepted.some((value) => jsonEqual(value, right))) return;
  out.push({ path: [...path], left, right });
}

function unionKeys(left: JsonObject, right: JsonObject): string[] {
  const keys = Object.keys(left);
  for (const key of Object.keys(right)) if (!Object.hasOwn(left, key)) keys.push(key);
  return keys;
}

/**
 * A keyed list is reordered when the elements both sides have come in another order. Added or removed
 * elements are drift of their own and do not make an order change by themselves.
 */
function compareOrder(left: Json | undefined, right: Json | undefined, path: string[], out: Difference[]) {
  const leftOrder = Array.isArray(left) ? left : [];
  const rightOrder = Array.isArray(right) ? right : [];
  // Sets, not includes(): a list of 10,000 elements must cost 10,000 steps, not 100 million.
  const inRight = new Set(rightOrder);
  const common = new Set(leftOrder.filter((segment) => inRight.has(segment)));
  const leftCommon = leftOrder.filter((segment) => common.has(segment));
  const rightCommon = rightOrder.filter((segment) => common.has(segment));
  if (!jsonEqual(leftCommon, rightCommon))
    out.push({ path: [...path], left: leftCommon, right: rightCommon });
}

/** The value at a path, or undefined when absent. */
export function valueAt(root: JsonObject, path: Path): Json | undefined {
  let node: Json | undefined = root;
  for (const segment of path) {
    if (!isObject(node)) return undefined;
    node = ownValue(node, segment);
  }
  return node;
}

/** Equality at one path, with the same order rule as diff for `[order]` paths. */
export function sameAt(a: JsonObject, b: JsonObject, path: Path): boolean {
  if (path[path.length - 1] !== ORDER_SEGMENT) return jsonEqual(valueAt(a, path), valueAt(b, path));
  const found: Difference[] = [];
  compareOrder(valueAt(a, path), valueAt(b, path), [...path], found);
  return found.length === 0;
}
