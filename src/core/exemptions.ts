// Who is exempt from which field groups: shipped defaults, config exemptions, and (through `grant`)
// RBAC-derived grants supplied by an adapter.
import type { Policy } from "./policy.js";
import { matchesSubjects } from "./subjects.js";
import type { FieldGroup, Requester } from "./types.js";

/** Extra grants beyond the config, e.g. from RBAC: a description of the grant, or undefined. */
export type GrantResolver = (group: FieldGroup) => string | undefined;

/** How the requester is exempt from `group` (a description for messages), or undefined. */
export function exemptionFor(
  requester: Requester,
  group: FieldGroup | undefined,
  policy: Policy,
  grant: GrantResolver | undefined,
): string | undefined {
  for (const exemption of policy.exemptions) {
    if (!matchesSubjects(requester, exemption)) continue;
    if (exemption.fields.includes("*") || (group !== undefined && exemption.fields.includes(group))) {
      return exemption.description;
    }
  }
  if (!grant) return undefined;
  return grant("*") ?? (group === undefined ? undefined : grant(group));
}
