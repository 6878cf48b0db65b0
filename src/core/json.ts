// Small helpers for walking plain JSON values.
import type { Json, JsonObject } from "./types.js";

export function asObject(value: Json | undefined): JsonObject | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? value : undefined;
}

export function child(parent: JsonObject, key: string): JsonObject {
  const existing = asObject(parent[key]);
  if (existing) return existing;
  const created: JsonObject = {};
  parent[key] = created;
  return created;
}

export function fill(target: JsonObject, key: string, value: Json): void {
  const current = target[key];
  if (current === undefined || current === null || current === "" || current === 0) target[key] = value;
}

/** For pointer fields, where an explicit zero is a value of its own (`revisionHistoryLimit: 0`). */
export function fillNil(target: JsonObject, key: string, value: Json): void {
  if (target[key] === undefined || target[key] === null) target[key] = value;
}

export function objects(value: Json | undefined): JsonObject[] {
  const found: JsonObject[] = [];
  if (!Array.isArray(value)) return found;
  // A loop, not flatMap: defaulting calls this for every list of every object it normalizes.
  for (const item of value) {
    const object = asObject(item);
    if (object) found.push(object);
  }
  return found;
}

export function isObject(value: Json | undefined): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Structural equality of JSON values; object key order does not count. */
export function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]));
}

/**
 * Equality that also counts object key order: two values it calls identical go through any pure
 * function (normalize, diff) to identical results, order of reported paths included. Read-only, and it
 * allocates one key list per object (for-in walks the other side): it runs on every cached lookup.
 */
export function identicalJson(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!identicalJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const keys = Object.keys(a);
  let i = 0;
  // A key inherited by `b` (a polluted prototype) is not in `keys`: the values are then called different.
  for (const key in b) {
    if (key !== keys[i] || !identicalJson(a[key], b[key])) return false;
    i++;
  }
  return i === keys.length;
}

/**
 * The object's own value at `key`, never an inherited one: keys come from requests, and a label named
 * `toString` or `constructor` must read as absent where the object has none, not as Object's method.
 */
export function ownValue(object: JsonObject, key: string): Json | undefined {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/** A constant lookup table that inherits nothing, for keys that come from requests. */
export function lookupTable<T>(entries: Record<string, T>): Readonly<Record<string, T>> {
  return Object.freeze(Object.assign(Object.create(null) as Record<string, T>, entries));
}
