// Normalized live objects kept across requests: the same stored object comes back again and again (the
// oldObject of every retry of a denied write, of a controller's repeated no-op updates, the object of
// each retry), and normalizing it is most of what a decision costs.
//
// Why it can never serve a wrong form: (uid, resourceVersion, role, options) only says where to look.
// An entry is used only when the request's object holds input identical to the entry's (the kept
// metadata and the spec, key order included: `sameNormalizeInput`), so the cached form is exactly what
// normalizing this object would give; a forged review naming another object's uid and version finds a
// different input and misses. The options are in the key (`Desired.optionsKey`) and the ignore lists
// are the one policy this cache is made for. Nothing mutates request objects or normalized forms:
// normalize copies before it edits, and the desired objects are shared the same way.
import type { Desired } from "../core/desired.js";
import { isObject } from "../core/json.js";
import type { LiveObject, LiveObjects } from "../core/live-object.js";
import { normalize, normalizeInput, sameNormalizeInput } from "../core/normalize.js";
import type { Json, JsonObject } from "../core/types.js";

interface Entry {
  input: JsonObject;
  normalized: JsonObject;
  /** JSON values in `input`: the normalized form is smaller, so twice this bounds what the entry holds. */
  size: number;
}

/**
 * What the cache may hold in all, in JSON values of input (about as many again in normalized forms):
 * tens of MB at most. A real Deployment has a few hundred to a few thousand values.
 */
const BUDGET = 400_000;
/** An object larger than this is not kept: it would push out many ordinary ones. */
const MAX_VALUES = 20_000;
/**
 * Contents kept per stored version and role: a denied write and a no-op retried on the same stored
 * object bring different new objects with the same uid and resourceVersion.
 */
const VARIANTS = 4;

export function createNormalizedCache(budget = BUDGET): LiveObjects {
  const entries = new Map<string, Entry[]>();
  let held = 0;
  const normalizedFor = (raw: JsonObject, role: string, desired: Desired, make: () => JsonObject) => {
    const key = locator(raw, role, desired.optionsKey);
    if (key === undefined) return make();
    const variants = entries.get(key) ?? [];
    // Most recently used first, and the key moves to the end of the map's order (least recent first).
    entries.delete(key);
    entries.set(key, variants);
    const hit = variants.findIndex((entry) => sameNormalizeInput(entry.input, raw));
    if (hit >= 0) {
      const [entry] = variants.splice(hit, 1) as [Entry];
      variants.unshift(entry);
      return entry.normalized;
    }
    const normalized = make();
    const input = normalizeInput(raw);
    const size = countValues(input, MAX_VALUES);
    if (size <= MAX_VALUES) {
      variants.unshift({ input, normalized, size });
      held += size;
      for (const dropped of variants.splice(VARIANTS)) held -= dropped.size;
      held = evict(entries, held, budget);
    }
    return normalized;
  };
  return (raw, role): LiveObject => {
    // As the core's liveObject: within one request, once per options key.
    const seen = new Map<string, JsonObject>();
    return {
      raw,
      normalizedFor(desired) {
        let normalized = seen.get(desired.optionsKey);
        if (normalized === undefined) {
          normalized = normalizedFor(raw, role, desired, () => normalize(raw, desired.options).object);
          seen.set(desired.optionsKey, normalized);
        }
        return normalized;
      },
    };
  };
}

/** Drops least recently used stored versions until the cache is within its budget. */
function evict(entries: Map<string, Entry[]>, held: number, budget: number): number {
  let left = held;
  for (const [key, variants] of entries) {
    if (left <= budget) break;
    for (const entry of variants) left -= entry.size;
    entries.delete(key);
  }
  return left;
}

/** Where a stored object's form would be; undefined for an object not stored yet (no version). */
function locator(raw: JsonObject, role: string, optionsKey: string): string | undefined {
  const metadata = isObject(raw.metadata) ? raw.metadata : undefined;
  const uid = metadata?.uid;
  const version = metadata?.resourceVersion;
  if (typeof uid !== "string" || typeof version !== "string" || uid === "" || version === "") return;
  return `${uid}\u0000${version}\u0000${role}\u0000${optionsKey}`;
}

/** The JSON values in `value`, counting stops just past `limit`. */
function countValues(value: Json | undefined, limit: number): number {
  let count = 0;
  const visit = (node: Json | undefined): void => {
    if (++count > limit || node === null || typeof node !== "object") return;
    const children = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) if (count <= limit) visit(child);
  };
  visit(value);
  return count;
}
