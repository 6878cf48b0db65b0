// Canonical forms, as the API server serializes a Deployment (docs/kubernetes-facts.md §3): quantities by value,
// empty values collapsed exactly where Go's omitempty collapses them, keyed lists turned into objects
// addressed by merge key, with their order kept apart where order matters.
import {
  MAP_FIELDS,
  MERGE_KEYS,
  NON_OMITEMPTY_LISTS,
  ORDERED_LISTS,
  QUANTITY_FIELDS,
  QUANTITY_MAPS,
  VALUE_STRUCTS,
  ZERO_KEPT,
  ZERO_KEPT_IN_LIST,
} from "./fields.js";
import { elementSegment, ORDER_SEGMENT } from "./paths.js";
import { canonicalQuantity } from "./quantity.js";
import type { Json, JsonObject } from "./types.js";

// The walk runs on every object a request brings that is not cached (docs/design.md, Performance): it
// passes its context as two strings rather than an object per value, and reads keys with one
// Object.keys per object (Object.entries would allocate a pair per key).

/** Returns the canonical form, or undefined where the server would omit the value. */
export function canonicalize(value: Json): Json | undefined {
  return canonicalValue(value, "", undefined);
}

/**
 * `field`: the name of the field holding this value; `list`: the name of the list whose element holds
 * this value's parent object, if any.
 */
function canonicalValue(value: Json, field: string, list: string | undefined): Json | undefined {
  if (Array.isArray(value)) return canonicalList(value, field);
  if (value !== null && typeof value === "object") return canonicalObject(value, field, list);
  if (QUANTITY_FIELDS.has(field)) return quantity(value, false);
  return isZero(value) && !zeroKept(field, list) ? undefined : value;
}

function isZero(value: Json): boolean {
  return value === "" || value === false || value === 0 || value === null;
}

function zeroKept(field: string, list: string | undefined): boolean {
  return ZERO_KEPT.has(field) || (list !== undefined && (ZERO_KEPT_IN_LIST[list]?.has(field) ?? false));
}

function quantity(value: Json, roundToMilli: boolean): Json {
  if (typeof value !== "string" && typeof value !== "number") return value;
  return canonicalQuantity(value, roundToMilli) ?? value;
}

function canonicalObject(value: JsonObject, field: string, list: string | undefined): Json | undefined {
  const out: JsonObject = {};
  const isMap = MAP_FIELDS.has(field);
  let kept = 0;
  for (const key of Object.keys(value)) {
    const child = value[key] as Json;
    const canonical = isMap ? mapValue(child, field) : canonicalValue(child, key, list);
    if (canonical === undefined) continue;
    out[key] = canonical;
    kept++;
  }
  const collapses = isMap || VALUE_STRUCTS.has(field);
  return collapses && kept === 0 ? undefined : out;
}

/** Map values are data: an empty label value is a value. Resource maps hold quantities. */
function mapValue(value: Json, field: string): Json | undefined {
  if (value === null) return undefined;
  // Container resources are rounded up to milli-units by defaulting (SetDefaults_ResourceList).
  return QUANTITY_MAPS.has(field) ? quantity(value, true) : value;
}

function canonicalList(items: Json[], field: string): Json | undefined {
  if (items.length === 0) return NON_OMITEMPTY_LISTS.has(field) ? [] : undefined;
  // Scalars in lists are data (`args: [""]`, `supplementalGroups: [0]`): only nested objects collapse.
  const elements: Json[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as Json;
    elements[i] = item !== null && typeof item === "object" ? (canonicalValue(item, "", field) ?? []) : item;
  }
  return MERGE_KEYS[field] ? keyedList(elements, items, field) : elements;
}

/**
 * `[{name: a, …}, {name: b, …}]` becomes `{"[name=a]": {…}, "[name=b]": {…}, "[order]": [...]}`.
 * Keys come from the raw element (defaults already applied), so canonical collapse cannot lose them.
 * A repeated key gets `#2`, `#3`… so that a duplicate shows as drift of its own.
 */
function keyedList(elements: Json[], raw: Json[], field: string): JsonObject {
  const out: JsonObject = {};
  const order: string[] = [];
  // The last number given to each repeated key: 10,000 copies of one env name cost 10,000 steps, not 50
  // million. Made on the first repeat: most lists have none.
  let repeats: Map<string, number> | undefined;
  for (let index = 0; index < elements.length; index++) {
    const base = elementSegment(field, raw[index] ?? null) ?? `[#${index}]`;
    let segment = base;
    if (Object.hasOwn(out, segment)) {
      repeats ??= new Map();
      let n = repeats.get(base) ?? 1;
      // A real key may already read like a numbered copy (a name `a#2`): skip past it.
      while (Object.hasOwn(out, segment)) segment = `${base.slice(0, -1)}#${++n}]`;
      repeats.set(base, n);
    }
    out[segment] = elements[index] as Json;
    order.push(segment);
  }
  if (ORDERED_LISTS.has(field)) out[ORDER_SEGMENT] = order;
  return out;
}
