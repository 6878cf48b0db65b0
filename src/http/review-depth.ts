// The nesting bound of a review (review-schema.ts applies it after the schema has accepted the body).
import type { AdmissionRequest } from "../core/admission.js";
import { normalizeInput } from "../core/normalize.js";

/**
 * A real Deployment review nests about 25 levels (managedFields included). JSON.parse accepts any depth,
 * but the comparison walks objects recursively: bound the work before it starts. The recursion here is
 * itself bounded by the limit, and allocates next to nothing (it runs on every request).
 */
export const MAX_DEPTH = 100;
/** Levels above what normalize reads: body → request → object (or oldObject). */
const INPUT_LEVEL = 2;

/**
 * The bound applies where recursion happens: the only recursive walks of request content (normalize,
 * the form cache's checks, diff on the normalized form) read the kept metadata and spec of object and
 * oldObject (`normalizeInput`), depth counted from the body as before. managedFields and status, a
 * third of a review or more, are never walked, so checking them cost time and protected nothing.
 */
export function comparedDeeperThan(request: AdmissionRequest): boolean {
  for (const object of [request.object, request.oldObject]) {
    if (object && deeperThan(normalizeInput(object), MAX_DEPTH - INPUT_LEVEL)) return true;
  }
  return false;
}

function deeperThan(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== "object") return false;
  if (limit === 0) return true;
  if (Array.isArray(value)) {
    for (const child of value) if (deeperThan(child, limit - 1)) return true;
    return false;
  }
  for (const key in value) if (deeperThan((value as Record<string, unknown>)[key], limit - 1)) return true;
  return false;
}
