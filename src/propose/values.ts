// Between normalized values (keyed lists as objects by merge key) and what a manifest file holds.
import { isObject } from "../core/json.js";
import { ORDER_SEGMENT } from "../core/paths.js";
import type { Json, JsonObject, Path } from "../core/types.js";

/** The value at a path of a normalized object (keyed list elements are keys there). */
export function valueAt(object: JsonObject, segments: Path): Json | undefined {
  let node: Json | undefined = object;
  for (const segment of segments) {
    if (!isObject(node) || !Object.hasOwn(node, segment)) return undefined;
    node = node[segment];
  }
  return node;
}

/** The value at a path of a raw object as written (keyed list elements found by their merge keys). */
export function writtenAt(
  raw: JsonObject,
  segments: Path,
  segmentOf: (field: string, item: Json) => string | undefined,
): Json | undefined {
  let node: Json | undefined = raw;
  let field = "";
  for (const segment of segments) {
    if (segment.startsWith("[")) {
      if (!Array.isArray(node)) return undefined;
      node = node.find((item) => segmentOf(field, item) === segment);
    } else {
      if (!isObject(node) || !Object.hasOwn(node, segment)) return undefined;
      node = node[segment];
    }
    field = segment;
  }
  return node;
}

/** A normalized value as a manifest writes it: keyed lists back to lists, in their recorded order. */
export function denormalize(value: Json): Json {
  if (Array.isArray(value)) return value.map(denormalize);
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  const elements = keys.filter((key) => key !== ORDER_SEGMENT);
  if (elements.length > 0 && elements.every((key) => key.startsWith("["))) {
    const order = value[ORDER_SEGMENT];
    const names = Array.isArray(order)
      ? order.filter((name): name is string => typeof name === "string")
      : [];
    const sorted = [
      ...names.filter((name) => elements.includes(name)),
      ...elements.filter((e) => !names.includes(e)),
    ];
    return sorted.map((name) => denormalize(value[name] ?? null));
  }
  const out: JsonObject = {};
  for (const key of keys) out[key] = denormalize(value[key] ?? null);
  return out;
}
