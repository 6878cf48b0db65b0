// Operators on what identifies the request: a uid, kind, resource, operation or name that disagrees with
// the object or with itself, and the raw-text members JSON.parse keeps but no object literal can write:
// repeated keys (the last one wins), an own `__proto__`, `constructor.prototype`.
import type { TreeOperator } from "./operators-structure.js";
import type { Rng } from "./prng.js";
import { addMember, isObject, stringify, type Tree, type TreeObject } from "./raw-json.js";
import { oddString } from "./strings.js";
import { objects, otherType, requestOf } from "./tree-walk.js";

const onRequest =
  (change: (request: TreeObject, r: Rng) => void): TreeOperator =>
  (doc, r) => {
    const request = requestOf(doc);
    if (request) change(request, r);
    return doc;
  };

const UIDS: Tree[] = ["", " ", "x".repeat(10_000), 42, null, ["a"], "00000000-0000-0000-0000-000000000000"];

export const uidMismatch = onRequest((request, r) => {
  if (r.chance(0.5)) request.uid = r.chance(0.5) ? r.pick(UIDS) : oddString(r);
  const object = isObject(request.object) ? request.object : undefined;
  if (object && isObject(object.metadata)) object.metadata.uid = oddString(r);
  // Two uids in one body: the server must echo the one JSON.parse keeps (the last).
  if (r.chance(0.5)) addMember(request, "uid", JSON.stringify(`dup-${r.int(1000)}`));
});

const KINDS: Tree[] = [
  { group: "", version: "v1", kind: "Pod" },
  { group: "autoscaling", version: "v1", kind: "Scale" },
  { group: "apps", version: "v1beta1", kind: "Deployment" },
  { group: "apps", version: "v1", kind: "ReplicaSet" },
  { group: "apps", version: "v1", kind: "" },
];
const RESOURCES: Tree[] = [
  { group: "", version: "v1", resource: "pods" },
  { group: "apps", version: "v1", resource: "deployments" },
  { group: "apps", version: "v1", resource: "replicasets" },
  { group: "extensions", version: "v1beta1", resource: "deployments" },
];
const SUBRESOURCES = ["scale", "status", "", "rollback", "scale/x"];

export const kindMismatch = onRequest((request, r) => {
  const field = r.pick([
    "kind",
    "resource",
    "requestKind",
    "requestResource",
    "subResource",
    "requestSubResource",
  ]);
  if (field.endsWith("Kind") || field === "kind") request[field] = structuredClone(r.pick(KINDS));
  else if (field.toLowerCase().endsWith("resource") && !field.includes("Sub"))
    request[field] = structuredClone(r.pick(RESOURCES));
  else request[field] = r.pick(SUBRESOURCES);
  if (isObject(request.object) && r.chance(0.3))
    request.object.kind = r.pick(["Scale", "Pod", "", "Deployment"]);
});

const OPERATIONS: Tree[] = ["CONNECT", "create", "PATCH", "", "DELETE", "UPDATE", "CREATE"];

export const operationMismatch = onRequest((request, r) => {
  request.operation = r.pick(OPERATIONS);
  if (r.chance(0.3)) request.object = null;
  if (r.chance(0.3)) request.oldObject = null;
  if (r.chance(0.2)) request.dryRun = otherType(false, r);
});

export const nameMismatch = onRequest((request, r) => {
  const pick = r.int(4);
  if (pick === 0) request.name = r.chance(0.5) ? "other" : oddString(r);
  if (pick === 1) request.namespace = r.chance(0.5) ? "kube-system" : oddString(r);
  const object = isObject(request.object) ? request.object : undefined;
  if (pick === 2 && object && isObject(object.metadata)) object.metadata.name = "not-the-request-name";
  if (pick === 3) [request.object, request.oldObject] = [request.oldObject ?? null, request.object ?? null];
});

const DUP_KEYS = [
  "uid",
  "operation",
  "object",
  "oldObject",
  "kind",
  "name",
  "namespace",
  "userInfo",
  "request",
];

/** One key twice in one object, the second with another value: JSON.parse keeps the last one. */
export const duplicateKey: TreeOperator = (doc, r) => {
  const all = objects(doc);
  const request = requestOf(doc);
  const target = request && r.chance(0.6) ? (r.chance(0.8) ? request : (doc as TreeObject)) : r.pick(all);
  const keys = Object.keys(target);
  const key = r.chance(0.5) ? r.pick(DUP_KEYS) : keys.length > 0 ? r.pick(keys) : "x";
  const existing = target[key];
  const other = existing !== undefined && r.chance(0.4) ? existing : otherType(existing ?? null, r);
  addMember(target, key, stringify(r.chance(0.3) ? oddString(r) : other));
  return doc;
};

const PROTO_VALUES = ['{"allowed":true}', '{"isAdmin":true}', "null", "{}", '{"__proto__":{"x":1}}'];

/** `__proto__` as an own member (prototype poisoning): the parser must refuse, not merge or pollute. */
export const protoKey: TreeOperator = (doc, r) => {
  addMember(r.pick(objects(doc)), "__proto__", r.pick(PROTO_VALUES));
  return doc;
};

export const constructorKey: TreeOperator = (doc, r) => {
  const value = r.pick(['{"prototype":{"allowed":true}}', '{"prototype":null}', '"x"', "{}", '{"name":1}']);
  addMember(r.pick(objects(doc)), "constructor", value);
  return doc;
};

const INHERITED = [
  "toString",
  "valueOf",
  "hasOwnProperty",
  "isPrototypeOf",
  "__defineGetter__",
  "constructor",
];
const MAPS = [
  ["metadata", "labels"],
  ["metadata", "annotations"],
  ["spec", "selector", "matchLabels"],
  ["spec"],
  [],
];

/**
 * Names every plain object inherits (`toString`, `hasOwnProperty`, …) as keys of the maps the webhook
 * compares: code that reads `map[key]` or `key in map` sees a function where the JSON had nothing.
 */
export const inheritedNames: TreeOperator = (doc, r) => {
  const request = requestOf(doc);
  const side = request && r.chance(0.5) ? request.object : request?.oldObject;
  let target: Tree | undefined = isObject(side) ? side : undefined;
  for (const key of r.pick(MAPS)) target = isObject(target) ? (target[key] ?? (target[key] = {})) : undefined;
  if (isObject(target)) target[r.pick(INHERITED)] = r.pick<Tree>(["x", "", {}, 1]);
  else r.pick(objects(doc))[r.pick(INHERITED)] = "x";
  return doc;
};
