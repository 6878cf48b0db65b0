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

interface Context {
  /** Name of the field holding this value. */
  field: string;
  /** Name of the list whose element holds this value's parent object, if any. */
  list: string | undefined;
}

/** Returns the canonical form, or undefined where the server would omit the value. */
export function canonicalize(
  value: Json,
  context: Context = { field: "", list: undefined },
): Json | undefined {
  if (Array.isArray(value)) return canonicalList(value, context.field);
  if (value !== null && typeof value === "object") return canonicalObject(value, context);
  if (QUANTITY_FIELDS.has(context.field)) return quantity(value, false);
  return isZero(value) && !zeroKept(context) ? undefined : value;
}

function isZero(value: Json): boolean {
  return value === "" || value === false || value === 0 || value === null;
}

function zeroKept({ field, list }: Context): boolean {
  return ZERO_KEPT.has(field) || (list !== undefined && (ZERO_KEPT_IN_LIST[list]?.has(field) ?? false));
}

function quantity(value: Json, roundToMilli: boolean): Json {
  if (typeof value !== "string" && typeof value !== "number") return value;
  return canonicalQuantity(value, roundToMilli) ?? value;
}

function canonicalObject(value: JsonObject, context: Context): Json | undefined {
  const out: JsonObject = {};
  const isMap = MAP_FIELDS.has(context.field);
  for (const [key, child] of Object.entries(value)) {
    const kept = isMap
      ? mapValue(child, context.field)
      : canonicalize(child, { field: key, list: context.list });
    if (kept !== undefined) out[key] = kept;
  }
  const collapses = isMap || VALUE_STRUCTS.has(context.field);
  return collapses && Object.keys(out).length === 0 ? undefined : out;
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
  const elements = items.map((item) =>
    item !== null && typeof item === "object" ? (canonicalize(item, { field: "", list: field }) ?? []) : item,
  );
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
  // The last number given to each key: 10,000 copies of one env name cost 10,000 steps, not 50 million.
  const repeats = new Map<string, number>();
  elements.forEach((element, index) => {
    const base = elementSegment(field, raw[index] ?? null) ?? `[#${index}]`;
    let n = repeats.get(base) ?? 1;
    let segment = base;
    // A real key may already read like a numbered copy (a name `a#2`): skip past it.
    while (Object.hasOwn(out, segment)) segment = `${base.slice(0, -1)}#${++n}]`;
    repeats.set(base, n);
    out[segment] = element;
    order.push(segment);
  });
  if (ORDERED_LISTS.has(field)) out[ORDER_SEGMENT] = order;
  return out;
}
