// The JSON Patch (RFC 6902, application/json-patch+json) that puts Git's values back on a live
// Deployment (docs/contract.md §11, "Putting Git back"). Pure. Drift paths are in normalized form
// (`containers[name=web]`, `[order]`); they are resolved against the live object's raw JSON, so that
// every op names array indexes as the API server stores the object.
//
// Why JSON Patch and not server-side apply: apply keeps fields other managers own, and a field added
// by hand is exactly such a field. The first op tests metadata.resourceVersion, so an object changed
// since the plan makes the API server refuse the whole patch (never overwritten).
//
// Ops are built one at a time against a working copy of the live object, each applied to the copy as
// it is made, so that indexes stay right after a removal or an insertion.
import type { Desired } from "./desired.js";
import { valueAt } from "./diff.js";
import { MAP_FIELDS, MERGE_KEYS, ORDERED_LISTS } from "./fields.js";
import { isObject } from "./json.js";
import { normalize } from "./normalize.js";
import { elementSegment, ORDER_SEGMENT } from "./paths.js";
import type { Drift, Json, JsonObject, Path } from "./types.js";

export type PatchOp =
  | { op: "test"; path: string; value: Json }
  | { op: "add" | "replace"; path: string; value: Json }
  | { op: "remove"; path: string }
  | { op: "move"; from: string; path: string };

/** A segment of a raw path: an object key or an array index. */
type RawSegment = string | number;

/**
 * The patch that makes `live` (raw, as read from the API server) hold Git's values at every drifted
 * path: changed → Git's value, added by hand → removed, removed from Git's → added back, a keyed list
 * reordered → moved back. `resourceVersion` is the version the patch may apply to (the plan's).
 */
export function revertPatch(
  live: JsonObject,
  desired: Desired,
  drifts: readonly Drift[],
  resourceVersion: string,
): PatchOp[] {
  const work = structuredClone(live);
  const compared = normalize(live, desired.options).object;
  const ops: PatchOp[] = [{ op: "test", path: "/metadata/resourceVersion", value: resourceVersion }];
  const reordered = new Map<string, Path>();
  // Order last: the elements must all be there (added, removed) before they are put in Git's order.
  for (const drift of drifts) {
    const segments = drift.segments;
    const last = segments[segments.length - 1];
    if (last === ORDER_SEGMENT) {
      const list = segments.slice(0, -1);
      reordered.set(list.join("\u0000"), list);
      continue;
    }
    const gitValue = valueAt(desired.normalized, segments);
    const ownerList = elementOwner(segments);
    if (gitValue === undefined) removeAt(work, segments, valueAt(compared, segments), ops);
    else setAt(work, segments, denormalize(gitValue, fieldOf(segments)), desired.normalized, ops);
    if (ownerList && gitValue !== undefined && ORDERED_LISTS.has(ownerList.field))
      reordered.set(ownerList.path.join("\u0000"), ownerList.path);
  }
  for (const list of reordered.values()) reorder(work, list, desired.normalized, ops);
  return ops;
}

/** An RFC 6901 pointer. */
export function pointer(segments: readonly RawSegment[]): string {
  return segments.map((s) => `/${String(s).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}

/** The field a path's value sits in: its last segment, or "" for a list element (`env[name=A]`). */
function fieldOf(path: Path): string {
  const last = path[path.length - 1] ?? "";
  return last.startsWith("[") ? "" : last;
}

/** When the path names one element of a keyed list: the list's path and field. */
function elementOwner(path: Path): { path: Path; field: string } | undefined {
  const last = path[path.length - 1];
  if (last === undefined || !last.startsWith("[") || path.length < 2) return undefined;
  return { path: path.slice(0, -1), field: path[path.length - 2] ?? "" };
}

/**
 * Git's normalized value as raw JSON: keyed lists (objects of `[key=…]` members) back to arrays in
 * Git's order. Defaults and canonical forms stay: the API server reads them as it stores them.
 */
export function denormalize(value: Json, field: string): Json {
  if (Array.isArray(value)) return value.map((item) => denormalize(item, ""));
  if (!isObject(value)) return value;
  if (MERGE_KEYS[field] !== undefined) return keyedToArray(value);
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(value)) out[key] = denormalize(child, key);
  return out;
}

function keyedToArray(value: JsonObject): Json[] {
  const order = Array.isArray(value[ORDER_SEGMENT]) ? (value[ORDER_SEGMENT] as string[]) : [];
  const keys = Object.keys(value).filter((key) => key !== ORDER_SEGMENT);
  const ordered = [...order.filter((key) => keys.includes(key)), ...keys.filter((k) => !order.includes(k))];
  return ordered.map((key) => denormalize(value[key] ?? null, ""));
}

/**
 * Walks `path` (normalized segments) through the raw object. Returns the raw segments of the longest
 * prefix that exists, and how many normalized segments it covers.
 */
function resolve(root: JsonObject, path: Path): { raw: RawSegment[]; covered: number; node: Json } {
  const raw: RawSegment[] = [];
  let node: Json = root;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i] ?? "";
    const next = step(node, segment, path[i - 1] ?? "");
    if (next === undefined) return { raw, covered: i, node };
    raw.push(next.key);
    node = next.value;
  }
  return { raw, covered: path.length, node };
}

function step(node: Json, segment: string, field: string): { key: RawSegment; value: Json } | undefined {
  if (Array.isArray(node)) {
    const index = elementIndex(node, segment, field);
    return index === undefined ? undefined : { key: index, value: node[index] ?? null };
  }
  if (isObject(node) && Object.hasOwn(node, segment)) {
    const value = node[segment];
    // A null member is absent to the API server: treat it as a place to add at.
    return value === null || value === undefined ? undefined : { key: segment, value };
  }
  return undefined;
}

/** The index of the element a segment names (`[name=a]`, a repeat `[name=a#2]`, a keyless `[#3]`). */
function elementIndex(list: readonly Json[], segment: string, field: string): number | undefined {
  const keyless = /^\[#(\d+)\]$/.exec(segment);
  if (keyless) {
    const index = Number(keyless[1]);
    return index < list.length ? index : undefined;
  }
  const repeat = /^(\[.*)#(\d+)\]$/.exec(segment);
  const base = repeat ? `${repeat[1]}]` : segment;
  let wanted = repeat ? Number(repeat[2]) : 1;
  for (let index = 0; index < list.length; index++) {
    if (elementSegment(field, list[index] ?? null) !== base) continue;
    if (--wanted === 0) return index;
  }
  return undefined;
}

/**
 * Removes what was added by hand at `path`. `compared` is the live value there as compared: a label or
 * annotation map Git lacks loses only the keys compared, so the ones never compared (the controller's
 * revision, a GitOps tool's marks) stay.
 */
function removeAt(work: JsonObject, path: Path, compared: Json | undefined, ops: PatchOp[]): void {
  const found = resolve(work, path);
  // Already gone (a parent removed before): nothing to do.
  if (found.covered < path.length) return;
  if (MAP_FIELDS.has(fieldOf(path)) && isObject(found.node) && isObject(compared)) {
    const keys = Object.keys(found.node);
    if (keys.some((key) => !Object.hasOwn(compared, key))) {
      for (const key of keys.filter((k) => Object.hasOwn(compared, k))) {
        ops.push({ op: "remove", path: pointer([...found.raw, key]) });
        applyRemove(work, [...found.raw, key]);
      }
      return;
    }
  }
  ops.push({ op: "remove", path: pointer(found.raw) });
  applyRemove(work, found.raw);
  // The server keeps one service account field under two names: both go (docs/kubernetes-facts.md §2.2).
  if (path[path.length - 1] === "serviceAccountName") {
    const sibling = [...found.raw.slice(0, -1), "serviceAccount"];
    if (valueAtRaw(work, sibling) !== undefined) {
      ops.push({ op: "remove", path: pointer(sibling) });
      applyRemove(work, sibling);
    }
  }
}

/**
 * Sets Git's value at `path`. Where the live object lacks a parent (a `resources` it never had), the
 * add is made at the first missing level with Git's whole subtree there.
 */
function setAt(work: JsonObject, path: Path, value: Json, gitRoot: JsonObject, ops: PatchOp[]): void {
  const found = resolve(work, path);
  if (found.covered === path.length) {
    ops.push({ op: "replace", path: pointer(found.raw), value });
    applySet(work, found.raw, value);
    return;
  }
  const missing = path.slice(0, found.covered + 1);
  const segment = missing[missing.length - 1] ?? "";
  const subtree =
    found.covered + 1 === path.length
      ? value
      : denormalize(valueAt(gitRoot, missing) ?? null, fieldOf(missing));
  if (Array.isArray(found.node)) {
    const index = insertionIndex(found.node, missing, gitRoot);
    const target = [...found.raw, index === found.node.length ? "-" : index];
    ops.push({ op: "add", path: pointer(target), value: subtree });
    found.node.splice(index, 0, subtree);
    return;
  }
  if (!isObject(found.node)) {
    // A scalar where Git has an object: Git's object replaces it whole.
    const reached = path.slice(0, found.covered);
    const whole = denormalize(valueAt(gitRoot, reached) ?? null, fieldOf(reached));
    ops.push({ op: "replace", path: pointer(found.raw), value: whole });
    applySet(work, found.raw, whole);
    return;
  }
  ops.push({ op: "add", path: pointer([...found.raw, segment]), value: subtree });
  found.node[segment] = subtree;
}

/** Where an element Git has goes back: right after the last element that comes before it in Git's order. */
function insertionIndex(list: readonly Json[], elementPath: Path, gitRoot: JsonObject): number {
  const listPath = elementPath.slice(0, -1);
  const field = listPath[listPath.length - 1] ?? "";
  const segment = elementPath[elementPath.length - 1] ?? "";
  const gitList = valueAt(gitRoot, listPath);
  const order =
    isObject(gitList) && Array.isArray(gitList[ORDER_SEGMENT]) ? (gitList[ORDER_SEGMENT] as string[]) : [];
  const before = new Set(order.slice(0, Math.max(0, order.indexOf(segment))));
  let index = list.length;
  if (order.length === 0) return index;
  index = 0;
  list.forEach((element, i) => {
    const name = elementSegment(field, element);
    if (name !== undefined && before.has(name)) index = i + 1;
  });
  return index;
}

/** Moves the elements of a keyed list into Git's order (those Git lacks keep their place at the end). */
function reorder(work: JsonObject, listPath: Path, gitRoot: JsonObject, ops: PatchOp[]): void {
  const found = resolve(work, listPath);
  if (found.covered < listPath.length || !Array.isArray(found.node)) return;
  const list = found.node;
  const field = listPath[listPath.length - 1] ?? "";
  const gitList = valueAt(gitRoot, listPath);
  const order =
    isObject(gitList) && Array.isArray(gitList[ORDER_SEGMENT]) ? (gitList[ORDER_SEGMENT] as string[]) : [];
  const rank = (element: Json) => {
    const at = order.indexOf(elementSegment(field, element) ?? "");
    return at === -1 ? order.length : at;
  };
  for (let target = 0; target < list.length; target++) {
    // The element that belongs at `target`: the lowest rank among the rest (stable for ties).
    let best = target;
    for (let i = target + 1; i < list.length; i++)
      if (rank(list[i] ?? null) < rank(list[best] ?? null)) best = i;
    if (best === target) continue;
    ops.push({ op: "move", from: pointer([...found.raw, best]), path: pointer([...found.raw, target]) });
    const [moved] = list.splice(best, 1);
    list.splice(target, 0, moved ?? null);
  }
}

// Array members by number, object members by name (a pointer's `0` may be a label key "0").
function valueAtRaw(root: JsonObject, raw: readonly RawSegment[]): Json | undefined {
  let node: Json | undefined = root;
  for (const segment of raw) {
    if (Array.isArray(node)) node = node[Number(segment)];
    else if (isObject(node)) node = node[String(segment)];
    else return undefined;
  }
  return node;
}

function applyRemove(root: JsonObject, raw: readonly RawSegment[]): void {
  const parent = valueAtRaw(root, raw.slice(0, -1));
  const last = raw[raw.length - 1];
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (isObject(parent)) delete parent[String(last)];
}

function applySet(root: JsonObject, raw: readonly RawSegment[], value: Json): void {
  const parent = valueAtRaw(root, raw.slice(0, -1));
  const last = raw[raw.length - 1];
  if (Array.isArray(parent)) parent[Number(last)] = value;
  else if (isObject(parent)) parent[String(last)] = value;
}

/** Applies a patch this module made to a copy of `object` (tests, and the plan's preview). */
export function applyPatch(object: JsonObject, ops: readonly PatchOp[]): JsonObject {
  const work = structuredClone(object);
  for (const op of ops) {
    if (op.op === "test") continue;
    const raw = parsePointer(op.path);
    if (op.op === "remove") applyRemove(work, raw);
    else if (op.op === "replace") applySet(work, raw, op.value);
    else if (op.op === "move") {
      const from = parsePointer(op.from);
      const value = valueAtRaw(work, from) ?? null;
      applyRemove(work, from);
      insert(work, raw, value);
    } else insert(work, raw, op.value);
  }
  return work;
}

function insert(root: JsonObject, raw: readonly RawSegment[], value: Json): void {
  const parent = valueAtRaw(root, raw.slice(0, -1));
  const last = raw[raw.length - 1];
  if (Array.isArray(parent)) parent.splice(last === "-" ? parent.length : Number(last), 0, value);
  else if (isObject(parent) && last !== undefined) parent[String(last)] = value;
}

function parsePointer(text: string): RawSegment[] {
  return text
    .split("/")
    .slice(1)
    .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}
