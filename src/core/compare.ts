// compare: the one comparison of a live object with Git, as a list of Drift. The admission rule
// (judge), GitOps revision matching, `driftguard diff` and every later report use it, so that all of
// them agree on what drifts and none of them can show a secret.
import type { Desired } from "./desired.js";
import { diff } from "./diff.js";
import { groupOf, isSensitive } from "./field-groups.js";
import type { LiveObject } from "./live-object.js";
import { formatPath } from "./paths.js";
import { type Drift, type DriftChange, type Json, type JsonObject, MASKED, type Path } from "./types.js";

/** Every field where `live` differs from Git's desired object, in the order of the desired object. */
export function compare(desired: Desired, live: LiveObject): Drift[] {
  return [...live.driftFrom(desired)];
}

/** What compare returns, from the live object's normalized form (LiveObject.driftFrom memoizes it). */
export function driftsOf(desired: Desired, normalized: JsonObject): Drift[] {
  return diff(desired.normalized, normalized, desired.lenient).map(({ path, left, right }) =>
    driftAt(path, left, right),
  );
}

/**
 * True when `live` holds exactly what Git says. Reads the live object's memo: a GitOps request matched
 * against the current revision is then judged against it without a second diff.
 */
export function inSync(desired: Desired, live: LiveObject): boolean {
  return live.driftFrom(desired).length === 0;
}

/** One Drift, masked when the path or a value looks sensitive. */
export function driftAt(path: Path, desired: Json | undefined, actual: Json | undefined): Drift {
  const sensitive = isSensitive(path, [desired, actual]);
  const drift: Drift = {
    path: formatPath(path),
    segments: path,
    group: groupOf(path),
    change: changeOf(desired, actual),
    desired,
    actual,
    sensitive,
  };
  return sensitive ? mask(drift) : drift;
}

/** The drift with the value the object had before the request; masked if that value is sensitive. */
export function withPrevious(drift: Drift, previous: Json | undefined): Drift {
  const sensitive = drift.sensitive || isSensitive(drift.segments, [previous]);
  const next: Drift = { ...drift, previous, sensitive };
  return sensitive ? mask(next) : next;
}

function changeOf(desired: Json | undefined, actual: Json | undefined): DriftChange {
  if (desired === undefined) return "added";
  if (actual === undefined) return "removed";
  return "changed";
}

function mask(drift: Drift): Drift {
  const hide = (value: Json | undefined) => (value === undefined ? undefined : MASKED);
  const masked: Drift = { ...drift, desired: hide(drift.desired), actual: hide(drift.actual) };
  if ("previous" in drift) masked.previous = hide(drift.previous);
  return masked;
}
