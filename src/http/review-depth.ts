// The bounds on what a review makes driftguard walk: nesting depth and number of values (review-schema.ts
// applies them after the schema has accepted the body).
import type { AdmissionRequest } from "../core/admission.js";
import { normalizeInput } from "../core/normalize.js";

/**
 * A real Deployment review nests about 25 levels (managedFields included). JSON.parse accepts any depth,
 * but the comparison walks objects recursively: bound the work before it starts. The recursion here is
 * itself bounded by the limit, and allocates next to nothing (it runs on every request).
 */
export const MAX_DEPTH = 100;
/**
 * Values in the compared part of one object. A large real Deployment holds a few thousand; the API
 * server refuses request bodies over 3 MiB. Normalizing and comparing cost time per value, and the 8 MiB
 * body limit alone lets a hand-made review carry millions of them (a fuzzed list of 1.9 million zeros
 * held the webhook's one thread for 35 s): bound the work before it starts.
 */
export const MAX_VALUES = 250_000;
/** Levels above what normalize reads: body → request → object (or oldObject). */
const INPUT_LEVEL = 2;

/**
 * The bound applies where recursion happens: the only recursive walks of request content (normalize,
 * the form cache's checks, diff on the normalized form) read the kept metadata and spec of object and
 * oldObject (`normalizeInput`), depth counted from the body as before. managedFields and status, a
 * third of a review or more, are never walked, so checking them cost time and protected nothing.
 */
export function comparedBeyondBounds(request: AdmissionRequest): string | undefined {
  for (const object of [request.object, request.oldObject]) {
    if (!object) continue;
    const budget = { values: MAX_VALUES };
    if (deeperThan(normalizeInput(object), MAX_DEPTH - INPUT_LEVEL, budget))
      return `request: nested deeper than ${MAX_DEPTH} levels`;
    if (budget.values < 0) return `request: an object holds more than ${MAX_VALUES} values`;
  }
  return undefined;
}

/** True past the depth limit; stops early (false) once `budget.values` is spent, left below zero. */
function deeperThan(value: unknown, limit: number, budget: { values: number }): boolean {
  if (--budget.values < 0 || value === null || typeof value !== "object") return false;
  if (limit === 0) return true;
  if (Array.isArray(value)) {
    for (const child of value) if (deeperThan(child, limit - 1, budget)) return true;
    return false;
  }
  for (const key in value)
    if (deeperThan((value as Record<string, unknown>)[key], limit - 1, budget)) return true;
  return false;
}
