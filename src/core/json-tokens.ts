// A JSON value flattened into one array, depth first, to be compared later with a fresh value without
// allocating: the form cache (src/admission/normalized-cache.ts) checks every request's object against
// the contents it keeps, and walking two trees cost an Object.keys array per object, about 10 KB of
// garbage a request. Same rule as identicalJson: equal values and key order, nothing inherited.
import type { Json } from "./types.js";

/** Markers that no JSON value can be equal to (=== on a unique object). */
const OBJECT = Object.freeze({ marker: "object" });
const ARRAY = Object.freeze({ marker: "array" });
const ABSENT = Object.freeze({ marker: "absent" });

export type JsonTokens = readonly unknown[];

/** The tokens of each value in turn (an absent one included), for matchesTokens. */
export function tokensOf(values: readonly (Json | undefined)[]): JsonTokens {
  const tokens: unknown[] = [];
  for (const value of values) push(tokens, value);
  return tokens;
}

function push(tokens: unknown[], value: Json | undefined): void {
  if (value === undefined) tokens.push(ABSENT);
  else if (value === null || typeof value !== "object") tokens.push(value);
  else if (Array.isArray(value)) {
    tokens.push(ARRAY, value.length);
    for (const item of value) push(tokens, item);
  } else {
    const keys = Object.keys(value);
    tokens.push(OBJECT, keys.length);
    for (const key of keys) {
      tokens.push(key);
      push(tokens, value[key]);
    }
  }
}

/**
 * True when `values` are, one by one, identical (identicalJson) to the values `tokens` were made of.
 * A key a value inherits (a polluted prototype) is walked by for-in and never matches: a miss.
 */
export function matchesTokens(tokens: JsonTokens, values: readonly (Json | undefined)[]): boolean {
  let at = 0;
  for (const value of values) {
    at = match(tokens, at, value);
    if (at < 0) return false;
  }
  return at === tokens.length;
}

/** The index after `value`'s tokens when they match from `at`, else -1. */
function match(tokens: JsonTokens, at: number, value: Json | undefined): number {
  if (value === undefined) return tokens[at] === ABSENT ? at + 1 : -1;
  if (value === null || typeof value !== "object") return tokens[at] === value ? at + 1 : -1;
  if (Array.isArray(value)) {
    if (tokens[at] !== ARRAY || tokens[at + 1] !== value.length) return -1;
    let next = at + 2;
    for (let i = 0; i < value.length && next >= 0; i++) next = match(tokens, next, value[i]);
    return next;
  }
  if (tokens[at] !== OBJECT) return -1;
  const count = tokens[at + 1] as number;
  let next = at + 2;
  let seen = 0;
  for (const key in value) {
    if (seen === count || tokens[next] !== key) return -1;
    next = match(tokens, next + 1, value[key]);
    if (next < 0) return -1;
    seen++;
  }
  return seen === count ? next : -1;
}
