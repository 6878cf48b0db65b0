// Who is exempt from which field groups: shipped defaults, config exemptions, and (through `grant`)
// RBAC-derived grants supplied by an adapter.
import type { Policy } from "./policy.js";
import { matchesSubjects } from "./subjects.js";
import type { FieldGroup, Requester } from "./types.js";

/** The RBAC binding behind a grant (docs/contract.md §5), for decision records. */
export interface BindingRef {
  kind: "RoleBinding" | "ClusterRoleBinding";
  /** Empty for a ClusterRoleBinding. */
  namespace: string;
  name: string;
}

/** What exempts a requester: the description messages print, and the binding when RBAC grants it. */
export interface Grant {
  description: string;
  binding?: BindingRef | undefined;
  /** The binding's `driftguard.io/expires-at` as written, when it has one (break-glass). */
  expiresAt?: string | undefined;
}

/** Extra grants beyond the config, e.g. from RBAC: the grant that covers the group, or undefined. */
export type GrantResolver = (group: FieldGroup) => Grant | undefined;

/** How the requester is exempt from `group`, or undefined. */
export function exemptionFor(
  requester: Requester,
  group: FieldGroup | undefined,
  policy: Policy,
  grant: GrantResolver | undefined,
): Grant | undefined {
  for (const exemption of policy.exemptions) {
    if (!matchesSubjects(requester, exemption)) continue;
    if (exemption.fields.includes("*") || (group !== undefined && exemption.fields.includes(group))) {
      return { description: exemption.description };
    }
  }
  if (!grant) return undefined;
  return grant("*") ?? (group === undefined ? undefined : grant(group));
}
