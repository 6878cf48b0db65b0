// RBAC grants of verb `override` on `deployments[/<field group>]` in API group driftguard.io (SPEC §5),
// compiled once per change of the RBAC objects so that a request checks only the few bindings that
// can matter. Pure: the informers (src/kube) and the offline loader (load-dir.ts) feed it.
//
// Matching follows the API server's RBAC authorizer: a RoleBinding counts in its own namespace, a
// ClusterRoleBinding everywhere; subjects match by user name, group, or service-account user name
// (a RoleBinding's service account without a namespace is in the binding's namespace); resourceNames
// empty or naming the Deployment. Unlike the authorizer, a rule with `*` anywhere in apiGroups,
// resources or verbs grants nothing: only explicit grants exempt, so cluster-admin is not silently exempt.
import type { GrantResolver } from "../core/exemptions.js";
import { FIELD_GROUPS, type FieldGroup, type ObjectKey, type Requester } from "../core/types.js";
import {
  type ClusterRole,
  EXPIRES_AT_ANNOTATION,
  OVERRIDE_GROUP,
  OVERRIDE_RESOURCE,
  OVERRIDE_VERB,
  type PolicyRule,
  type RbacObjects,
  type Role,
  type RoleBinding,
  type Subject,
} from "./types.js";

/** One rule that grants override: on every group (`all`) or on some, for some names or all. */
interface CompiledRule {
  all: boolean;
  groups: ReadonlySet<FieldGroup>;
  names: ReadonlySet<string> | undefined;
}

interface CompiledGrant {
  description: string;
  subjects: readonly Subject[];
  /** The namespace that a service account without one defaults to ("" for cluster bindings). */
  namespace: string;
  rules: readonly CompiledRule[];
  /** Epoch ms; NaN for an unparsable time (counts as expired). */
  expiresAt: number | undefined;
}

export interface GrantIndex {
  readonly namespaced: ReadonlyMap<string, readonly CompiledGrant[]>;
  readonly cluster: readonly CompiledGrant[];
  /** Bindings that grant something (for status and tests). */
  readonly size: number;
}

const SUBRESOURCES = new Map<string, FieldGroup>(
  FIELD_GROUPS.filter((group) => group !== "*").map((group) => [`${OVERRIDE_RESOURCE}/${group}`, group]),
);
const SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:";

export function buildGrantIndex(objects: RbacObjects): GrantIndex {
  const roles = new Map(
    objects.roles.map((role) => [`${role.metadata?.namespace}/${role.metadata?.name}`, role]),
  );
  const clusterRoles = new Map(objects.clusterRoles.map((role) => [role.metadata?.name ?? "", role]));
  const namespaced = new Map<string, CompiledGrant[]>();
  const cluster: CompiledGrant[] = [];
  for (const binding of objects.roleBindings) {
    const namespace = binding.metadata?.namespace ?? "";
    const { kind, name } = binding.roleRef;
    const role =
      kind === "Role"
        ? roles.get(`${namespace}/${name}`)
        : kind === "ClusterRole"
          ? clusterRoles.get(name)
          : undefined;
    const roleName = kind === "Role" ? `Role ${namespace}/${name}` : `ClusterRole ${name}`;
    const grant = compile(
      binding,
      role,
      `RoleBinding ${namespace}/${binding.metadata?.name} (${roleName}`,
      namespace,
    );
    if (grant) namespaced.set(namespace, [...(namespaced.get(namespace) ?? []), grant]);
  }
  for (const binding of objects.clusterRoleBindings) {
    const { kind, name } = binding.roleRef;
    const role: ClusterRole | undefined = kind === "ClusterRole" ? clusterRoles.get(name) : undefined;
    const grant = compile(
      binding,
      role,
      `ClusterRoleBinding ${binding.metadata?.name} (ClusterRole ${name}`,
      "",
    );
    if (grant) cluster.push(grant);
  }
  let size = cluster.length;
  for (const grants of namespaced.values()) size += grants.length;
  return { namespaced, cluster, size };
}

function compile(binding: RoleBinding, role: Role | undefined, described: string, namespace: string) {
  const rules = (role?.rules ?? []).map(compileRule).filter((rule) => rule !== undefined);
  if (rules.length === 0 || (binding.subjects ?? []).length === 0) return undefined;
  const expiry = binding.metadata?.annotations?.[EXPIRES_AT_ANNOTATION];
  const expiresAt = expiry === undefined ? undefined : parseRfc3339(expiry);
  const until = expiry === undefined ? "" : `, expires ${expiry}`;
  return {
    description: `${described}${until})`,
    subjects: binding.subjects ?? [],
    namespace,
    rules,
    expiresAt,
  } satisfies CompiledGrant;
}

function compileRule(rule: PolicyRule): CompiledRule | undefined {
  const apiGroups = rule.apiGroups ?? [];
  const resources = rule.resources ?? [];
  const verbs = rule.verbs ?? [];
  if ([...apiGroups, ...resources, ...verbs].some((item) => item.includes("*"))) return undefined;
  if (!apiGroups.includes(OVERRIDE_GROUP) || !verbs.includes(OVERRIDE_VERB)) return undefined;
  const all = resources.includes(OVERRIDE_RESOURCE);
  const groups = new Set(
    resources.map((resource) => SUBRESOURCES.get(resource)).filter((g) => g !== undefined),
  );
  if (!all && groups.size === 0) return undefined;
  const names = rule.resourceNames ?? [];
  return { all, groups, names: names.length === 0 ? undefined : new Set(names) };
}

// RFC 3339 only (what `date -u +%Y-%m-%dT%H:%M:%SZ` prints); anything else is unparsable, hence expired.
const RFC_3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function parseRfc3339(text: string): number {
  return RFC_3339.test(text.trim()) ? Date.parse(text.trim()) : Number.NaN;
}

/** The grants that `requester` holds on the Deployment `key` at time `now`, as a resolver for decide. */
export function grantResolverFor(
  index: GrantIndex,
  requester: Requester,
  key: ObjectKey,
  now: number,
): GrantResolver | undefined {
  const held = [...(index.namespaced.get(key.namespace) ?? []), ...index.cluster].filter(
    (grant) =>
      !expired(grant, now) &&
      grant.subjects.some((subject) => appliesTo(subject, requester, grant.namespace)),
  );
  if (held.length === 0) return undefined;
  return (group) =>
    held.find((grant) => grant.rules.some((rule) => covers(rule, group, key.name)))?.description;
}

function expired(grant: CompiledGrant, now: number): boolean {
  return grant.expiresAt !== undefined && !(now < grant.expiresAt);
}

function covers(rule: CompiledRule, group: FieldGroup, name: string): boolean {
  if (rule.names && !rule.names.has(name)) return false;
  return rule.all || (group !== "*" && rule.groups.has(group));
}

function appliesTo(subject: Subject, requester: Requester, bindingNamespace: string): boolean {
  switch (subject.kind) {
    case "User":
      return subject.name === requester.username;
    case "Group":
      return requester.groups.includes(subject.name);
    case "ServiceAccount": {
      const namespace = subject.namespace || bindingNamespace;
      return (
        namespace !== "" && requester.username === `${SERVICE_ACCOUNT_PREFIX}${namespace}:${subject.name}`
      );
    }
    default:
      return false;
  }
}
