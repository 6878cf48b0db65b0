// Operators that change a review's tree: types, presence, text of fields and keys, key order. Each one is
// aimed either at any node (structure-aware: the review's own shape decides where) or at the fields that
// identify the request (uid, kind, resource, operation, names), where a confused webhook does harm.
import type { Rng } from "./prng.js";
import { isObject, Raw, type Tree } from "./raw-json.js";
import { oddString } from "./strings.js";
import {
  objects,
  otherType,
  pickSlot,
  remove,
  requestOf,
  type Slot,
  set,
  slots,
  under,
} from "./tree-walk.js";

export type TreeOperator = (doc: Tree, r: Rng) => Tree;

const inRequest = (r: Rng) => (r.chance(0.5) ? under("request") : () => true);
const isString = (s: Slot) => typeof s.value === "string";

const REQUIRED = [
  ["apiVersion"],
  ["kind"],
  ["request"],
  ...["uid", "kind", "resource", "operation", "userInfo", "object", "oldObject", "name", "namespace"].map(
    (key) => ["request", key],
  ),
];

export const dropField: TreeOperator = (doc, r) => {
  const slot = pickSlot(doc, r, inRequest(r));
  if (slot) remove(slot);
  return doc;
};

export const dropRequired: TreeOperator = (doc, r) => {
  const path = r.pick(REQUIRED);
  const slot = pickSlot(
    doc,
    r,
    (s) => s.path.length === path.length && path.every((p, i) => s.path[i] === p),
  );
  if (slot) remove(slot);
  return doc;
};

export const wrongType: TreeOperator = (doc, r) => {
  const slot = pickSlot(doc, r, r.chance(0.5) ? (s) => s.path.length <= 3 : () => true);
  if (slot) set(slot, otherType(slot.value, r));
  return doc;
};

export const numbersAsStrings: TreeOperator = (doc, r) => {
  for (const slot of slots(doc)) {
    if (!r.chance(0.5)) continue;
    if (typeof slot.value === "number") set(slot, String(slot.value));
    else if (typeof slot.value === "string" && /^-?\d+(\.\d+)?$/.test(slot.value))
      set(slot, Number(slot.value));
    else if (typeof slot.value === "boolean") set(slot, String(slot.value));
  }
  return doc;
};

const EDGE_NUMBERS = [
  "1e400",
  "-1e400",
  "-0",
  "1e-400",
  "9007199254740993",
  "0.1e1",
  "-1",
  "2147483648",
  "1E2",
];

export const edgeNumbers: TreeOperator = (doc, r) => {
  const slot = pickSlot(doc, r, (s) => typeof s.value === "number") ?? pickSlot(doc, r);
  if (slot) set(slot, new Raw(r.pick(EDGE_NUMBERS)));
  return doc;
};

const EXTRA_KEYS = [
  "status",
  "$patch",
  "allowed",
  "response",
  "patch",
  "x",
  "",
  " ",
  "a.b/c",
  "\u0000",
  "😀",
];

export const extraField: TreeOperator = (doc, r) => {
  const target = r.pick(objects(doc));
  target[r.chance(0.5) ? r.pick(EXTRA_KEYS) : oddString(r)] = r.chance(0.5)
    ? oddString(r)
    : otherType(null, r);
  return doc;
};

export const unicodeText: TreeOperator = (doc, r) => {
  for (let i = 1 + r.int(3); i > 0; i--) {
    const slot = pickSlot(doc, r, isString);
    if (slot) set(slot, r.chance(0.5) ? oddString(r) : `${String(slot.value)}${oddString(r)}`);
  }
  return doc;
};

/** Keys of maps the webhook reads (labels, annotations, extra) and of any object, renamed to odd text. */
export const oddKeys: TreeOperator = (doc, r) => {
  const target = r.pick(objects(doc));
  const key = Object.keys(target)[0];
  if (key !== undefined) {
    const value = target[key] as Tree;
    delete target[key];
    target[r.chance(0.5) ? `${key}${oddString(r)}` : oddString(r)] = value;
  }
  return doc;
};

const IDENTITY = [
  ["request", "name"],
  ["request", "namespace"],
  ["request", "userInfo", "username"],
  ["request", "object", "metadata", "name"],
  ["request", "object", "metadata", "namespace"],
  ["request", "oldObject", "metadata", "name"],
  ["request", "object", "spec", "template", "spec", "containers", 0, "image"],
];

export const controlChars: TreeOperator = (doc, r) => {
  const path = r.pick(IDENTITY);
  const slot = pickSlot(
    doc,
    r,
    (s) => s.path.length === path.length && path.every((p, i) => s.path[i] === p),
  );
  const odd = `${String(slot?.value ?? "")}${String.fromCharCode(r.int(32))}${oddString(r)}`;
  if (slot) set(slot, odd);
  const request = requestOf(doc);
  if (request && isObject(request.userInfo) && r.chance(0.3))
    request.userInfo.groups = [odd, "system:masters"];
  return doc;
};

export const emptyContainers: TreeOperator = (doc, r) => {
  const slot = pickSlot(doc, r, (s) => s.value !== null && typeof s.value === "object");
  if (slot) set(slot, Array.isArray(slot.value) ? [] : {});
  return doc;
};

/** Every object's keys in a new order: JSON objects are unordered, the verdict must not care. */
export const shuffleKeys: TreeOperator = (doc, r) => {
  for (const target of objects(doc)) {
    const entries = Object.entries(target);
    for (const [key] of entries) delete target[key];
    for (let i = entries.length - 1; i > 0; i--) {
      const j = r.int(i + 1);
      [entries[i], entries[j]] = [entries[j]!, entries[i]!];
    }
    for (const [key, value] of entries) target[key] = value;
  }
  return doc;
};
