// Normalized live objects kept across requests: the same stored object comes back again and again (the
// oldObject of every retry of a denied write, of a controller's repeated no-op updates, the object of
// each retry), and normalizing it, then comparing it with Git, is most of what a decision costs.
//
// Why it can never serve a wrong form: (uid, resourceVersion, role, options) only says where to look.
// An entry is used only when the request's object holds input identical to the entry's (the kept
// metadata and the spec, key order included: `matchesNormalizeInput`), so the cached form is exactly what
// normalizing this object would give; a forged review naming another object's uid and version finds a
// different input and misses. The drift kept with a form is a pure function of that form and one
// Desired object, held by identity (a new Git revision is a new Desired). The options are in the key
// (`Desired.optionsKey`) and the ignore lists are the one policy this cache is made for. Nothing
// mutates request objects or normalized forms: normalize copies before it edits, and the desired
// objects are shared the same way.

import { driftsOf } from "../core/compare.js";
import type { Desired } from "../core/desired.js";
import { isObject } from "../core/json.js";
import type { JsonTokens } from "../core/json-tokens.js";
import type { LiveObject, LiveObjects } from "../core/live-object.js";
import { matchesNormalizeInput, normalize, normalizeInputTokens } from "../core/normalize.js";
import type { Drift, JsonObject } from "../core/types.js";

/** A Map while the entry lives for one request; a WeakMap once kept (Desired objects come and go). */
type DriftMemo = Pick<WeakMap<Desired, readonly Drift[]>, "get" | "set">;

interface Entry {
  /** The input it was normalized from, as tokens: matched against each request without allocating. */
  input: JsonTokens;
  normalized: JsonObject;
  /** Input tokens (about one per JSON value): the normalized form is smaller, so twice this bounds what it holds. */
  size: number;
  /**
   * Drift of `normalized` from each desired object it was compared with. A pure function of the two,
   * both never mutated; a new Git revision brings new Desired objects, so a new key. Frozen: a
   * consumer that tried to edit a shared list would fail loudly instead of changing later answers.
   */
  drifts: DriftMemo;
}

/**
 * What the cache may hold in all, in input tokens (about one per JSON value; about as many values again
 * in normalized forms): tens of MB at most. A real Deployment has a few hundred to a few thousand values.
 */
const BUDGET = 400_000;
/** An object of more input tokens than this is not kept: it would push out many ordinary ones. */
const MAX_VALUES = 20_000;
/**
 * Contents kept per stored version and role: a denied write and a no-op retried on the same stored
 * object bring different new objects with the same uid and resourceVersion.
 */
const VARIANTS = 4;

/**
 * Stored versions seen once, remembered by locator only. A form is kept from the second sight on: most
 * versions are seen once (each write makes a new one), and keeping every first sight would promote its
 * form to the old generation for nothing (measured: first sights cost 60 % more CPU that way).
 */
const SIGHTED = 4_096;

export function createNormalizedCache(budget = BUDGET): LiveObjects {
  const entries = new Map<string, Entry[]>();
  const sighted = new Set<string>();
  let held = 0;
  const keep = (key: string, entry: Entry): void => {
    const variants = entries.get(key) ?? [];
    variants.unshift(entry);
    held += entry.size;
    for (const dropped of variants.splice(VARIANTS)) held -= dropped.size;
    entries.delete(key);
    entries.set(key, variants);
    held = evict(entries, held, budget);
  };
  const entryFor = (raw: JsonObject, role: string, desired: Desired): Entry => {
    const key = locator(raw, role, desired.optionsKey);
    const variants = key === undefined ? undefined : entries.get(key);
    const hit = variants?.findIndex((entry) => matchesNormalizeInput(entry.input, raw)) ?? -1;
    if (key !== undefined && variants !== undefined && hit >= 0) {
      // Most recently used first, and the key moves to the end of the map's order (least recent first).
      const [entry] = variants.splice(hit, 1) as [Entry];
      variants.unshift(entry);
      entries.delete(key);
      entries.set(key, variants);
      return entry;
    }
    const entry = transient(normalize(raw, desired.options).object);
    if (key === undefined || !sightedBefore(sighted, key)) return entry;
    const input = normalizeInputTokens(raw);
    // Tokens: about one per value, two per object or list, one per key.
    const size = input.length;
    if (size > MAX_VALUES) return entry;
    const kept = { ...entry, input, size, drifts: new WeakMap() };
    keep(key, kept);
    return kept;
  };
  return (raw, role) => liveFrom(raw, (desired) => entryFor(raw, role, desired));
}

/** True when `key` was seen before; remembers it otherwise (the oldest forgotten past SIGHTED). */
function sightedBefore(sighted: Set<string>, key: string): boolean {
  if (sighted.has(key)) return true;
  sighted.add(key);
  if (sighted.size > SIGHTED) sighted.delete(sighted.values().next().value as string);
  return false;
}

function transient(normalized: JsonObject): Entry {
  return { input: [], normalized, size: 0, drifts: new Map() };
}

/** As the core's liveObject, with forms and drift from entries: within a request, one lookup each. */
function liveFrom(raw: JsonObject, entryFor: (desired: Desired) => Entry): LiveObject {
  const seen = new Map<string, Entry>();
  const entry = (desired: Desired): Entry => {
    let found = seen.get(desired.optionsKey);
    if (found === undefined) {
      found = entryFor(desired);
      seen.set(desired.optionsKey, found);
    }
    return found;
  };
  return {
    raw,
    normalizedFor: (desired) => entry(desired).normalized,
    driftFrom(desired) {
      const { normalized, drifts } = entry(desired);
      let found = drifts.get(desired);
      if (found === undefined) {
        found = Object.freeze(driftsOf(desired, normalized).map((drift) => Object.freeze(drift)));
        drifts.set(desired, found);
      }
      return found;
    },
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
