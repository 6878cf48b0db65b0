// A live object (old or new) as a request brings it, normalized at most once for each way desired
// objects ask for it. A GitOps identity's request is compared with up to `gitops.revisions` desired
// states of one object; they share the policy's ignore lists and differ at most in whether replicas
// are managed, so the object is normalized once or twice per request, never once per revision.

import { driftsOf } from "./compare.js";
import type { Desired } from "./desired.js";
import { normalize } from "./normalize.js";
import type { Drift, JsonObject } from "./types.js";

export interface LiveObject {
  readonly raw: JsonObject;
  /** The object normalized with the options `desired` was normalized with. */
  normalizedFor(desired: Desired): JsonObject;
  /** What compare(desired, this) returns, computed once per desired object. Never to be mutated. */
  driftFrom(desired: Desired): readonly Drift[];
}

/**
 * Makes the LiveObject of a request's object or oldObject. decide uses `liveObject` unless its caller
 * brings one that may reuse normalized forms across requests (the service layer's cache): the core
 * itself keeps nothing between calls.
 */
export type LiveObjects = (raw: JsonObject, role: "object" | "oldObject") => LiveObject;

export function liveObject(raw: JsonObject): LiveObject {
  const byOptions = new Map<string, JsonObject>();
  const normalizedFor = (desired: Desired): JsonObject => {
    let normalized = byOptions.get(desired.optionsKey);
    if (normalized === undefined) {
      normalized = normalize(raw, desired.options).object;
      byOptions.set(desired.optionsKey, normalized);
    }
    return normalized;
  };
  return memoizedLiveObject(raw, normalizedFor);
}

/**
 * A LiveObject whose drift is computed once per desired form; `normalizedFor` decides what else is kept.
 * By the desired object's normalized form, not the Desired: a new Git revision wraps unchanged
 * manifests in new Desired objects (a new commit in the origin) around the same normalized form and
 * lenient list, and the drift depends on those alone, so the live scan compares again only what
 * changed. Weak: forms of past revisions go when nothing else holds them.
 */
export function memoizedLiveObject(
  raw: JsonObject,
  normalizedFor: (desired: Desired) => JsonObject,
): LiveObject {
  const drifts = new WeakMap<JsonObject, readonly Drift[]>();
  return {
    raw,
    normalizedFor,
    driftFrom(desired) {
      let found = drifts.get(desired.normalized);
      if (found === undefined) {
        found = driftsOf(desired, normalizedFor(desired));
        drifts.set(desired.normalized, found);
      }
      return found;
    },
  };
}
