// Matching a requester against users, groups and service accounts as the API server names them.
import type { SubjectSet } from "./policy.js";
import type { Requester } from "./types.js";

const SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:";

export function matchesSubjects(requester: Requester, subjects: SubjectSet): boolean {
  if (subjects.users.includes(requester.username)) return true;
  if (subjects.groups.some((group) => requester.groups.includes(group))) return true;
  return subjects.serviceAccounts.some((account) => matchesServiceAccount(requester, account));
}

function matchesServiceAccount(requester: Requester, account: string): boolean {
  const [namespace, name] = account.split("/");
  if (!namespace || !name) return false;
  // Service account tokens authenticate as system:serviceaccount:<ns>:<name>, in group system:serviceaccounts:<ns>.
  if (name === "*") return requester.groups.includes(`system:serviceaccounts:${namespace}`);
  return requester.username === `${SERVICE_ACCOUNT_PREFIX}${namespace}:${name}`;
}

/** A glob with `*` as the only wildcard, as used for namespaces and names in ignore rules. */
export function globMatches(pattern: string, value: string): boolean {
  const parts = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join(".*")}$`).test(value);
}
