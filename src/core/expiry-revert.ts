// Which drift the in-cluster revert puts back when a break-glass grant expires (docs/contract.md §11).
// Pure. A Deployment opted in (`driftguard.io/revert: afterGrantExpiry` on Git's manifest, or the
// namespace's `revert: afterGrantExpiry`) whose drift lies in an expired grant's scope (namespace,
// resourceNames, field groups) and was last written while the grant was valid gets those fields back.
// Drift written after the expiry is someone else's (an exempt identity, say): never touched here.
import type { Desired } from "./desired.js";
import type { LastWrite } from "./drift-events.js";
import type { LiveDrift } from "./live-drift.js";
import type { Policy } from "./policy.js";
import type { Drift, FieldGroup } from "./types.js";

/** An expired grant as the RBAC index reports it (rbac/grant-index.ts expiredGrants). */
export interface ExpiredScope {
  description: string;
  namespace: string | undefined;
  expiresAt: number;
  covers(group: FieldGroup, name: string): boolean;
}

export interface ExpiryRevert {
  /** The drifted fields the grant covered: the ones put back. */
  drifts: readonly Drift[];
  grant: ExpiredScope;
}

export function optedIn(desired: Desired, policy: Policy, namespace: string): boolean {
  return desired.revertAfterGrantExpiry || (policy.revertAfterGrantExpiry?.has(namespace) ?? false);
}

/** What to put back on one drifted object, or undefined: not opted in, not covered, or written later. */
export function expiryRevertOf(
  drift: LiveDrift,
  desired: Desired,
  policy: Policy,
  lastWrite: LastWrite | undefined,
  grants: readonly ExpiredScope[],
): ExpiryRevert | undefined {
  if (drift.state !== "drifted" || !optedIn(desired, policy, drift.key.namespace)) return undefined;
  const written = lastWrite?.time === undefined ? Number.NaN : Date.parse(lastWrite.time);
  // No time to tell when the drift was written: not reverted (never a guess that overwrites).
  if (Number.isNaN(written)) return undefined;
  for (const grant of grants) {
    if (grant.namespace !== undefined && grant.namespace !== drift.key.namespace) continue;
    if (!(written < grant.expiresAt)) continue;
    const covered = drift.drifts.filter((field) => grant.covers(field.group ?? "*", drift.key.name));
    if (covered.length > 0) return { drifts: covered, grant };
  }
  return undefined;
}
