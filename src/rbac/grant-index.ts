// RBAC grants of verb `override` on `deployments[/<field group>]` in API group driftguard.io (docs/contract.md §5),
// compiled once per change of the RBAC objects so that a request checks only the few bindings that
// can matter. Pure: the informers (src/kube) and the offline loader (load-dir.ts) feed it.
//
// Matching follows the API server's RBAC authorizer: a RoleBinding counts in its own namespace, a
// ClusterRoleBinding everywhere; subjects match by user name, group, or service-account user name
// (a RoleBinding's service account without a namespace is in the binding's namespace); resourceNames
// empty or naming the Deployment. Unlike the authorizer, a rule with `*` anywhere in apiGroups,
// resources or verbs grants nothing: only explicit grants exempt, so cluster-admin is not silently exempt.
import type { BindingRef, Grant, GrantResolver } from "../core/exemptions.js";
import { FIELD_GROUPS, type FieldGroup, type ObjectKey, type Requester } from "../core/types.js";
import { parseExpiry } from "./expiry.js";
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

/** A binding reduced to what decides a grant. */
interface CompiledGrant {
  /** Position among the bindings (RoleBindings first): the first grant that covers is the one named. */
  order: number;
  /** What the resolver answers: the description messages print, the binding and its expiry. */
  grant: Grant;
  rules: readonly CompiledRule[];
  /** Epoch ms; NaN for an unparsable time (counts as expired). */
  expiresAt: number | undefined;
}

/**
 * Grants by subject, as the RBAC authorizer's appliesToUser matches them: a request looks up its user
 * name in `users` (service accounts are there under the user name their tokens authenticate as) and
 * each of its groups in `groups`.
 */
interface BySubject {
  readonly users: ReadonlyMap<string, readonly CompiledGrant[]>;
  readonly groups: ReadonlyMap<string, readonly CompiledGrant[]>;
}
interface MutableBySubject {
  users: Map<string, CompiledGrant[]>;
  groups: Map<string, CompiledGrant[]>;
}

export interface GrantIndex {
  /** RoleBindings' grants, by the binding's namespace. */
  readonly namespaced: ReadonlyMap<string, BySubject>;
  /** ClusterRoleBindings' grants. */
  readonly cluster: BySubject;
  /** Bindings that grant something (for status, tests and the benchmark). */
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
  const namespaced = new Map<string, MutableBySubject>();
  const cluster = bySubject();
  let order = 0;
  let size = 0;
  for (const binding of objects.roleBindings) {
    const namespace = binding.metadata?.namespace ?? "";
    const { role, described } = roleOfRoleBinding(binding, namespace, roles, clusterRoles);
    const ref: BindingRef = { kind: "RoleBinding", namespace, name: binding.metadata?.name ?? "" };
    const grant = compile(binding, ref, role, described, order++);
    if (grant && file(inNamespace(namespaced, namespace), binding.subjects, namespace, grant)) size++;
  }
  for (const binding of objects.clusterRoleBindings) {
    // A ClusterRoleBinding can only refer to a ClusterRole (the API server rejects anything else).
    const { kind, name } = binding.roleRef;
    const role = kind === "ClusterRole" ? clusterRoles.get(name) : undefined;
    const described = `ClusterRoleBinding ${binding.metadata?.name} (ClusterRole ${name}`;
    const ref: BindingRef = { kind: "ClusterRoleBinding", namespace: "", name: binding.metadata?.name ?? "" };
    const grant = compile(binding, ref, role, described, order++);
    if (grant && file(cluster, binding.subjects, "", grant)) size++;
  }
  return { namespaced, cluster, size };
}

const bySubject = (): MutableBySubject => ({ users: new Map(), groups: new Map() });

function inNamespace(namespaced: Map<string, MutableBySubject>, namespace: string) {
  const found = namespaced.get(namespace);
  if (found) return found;
  const created = bySubject();
  namespaced.set(namespace, created);
  return created;
}

/** A RoleBinding refers to a Role in its own namespace, or to a ClusterRole. */
function roleOfRoleBinding(
  binding: RoleBinding,
  namespace: string,
  roles: ReadonlyMap<string, Role>,
  clusterRoles: ReadonlyMap<string, ClusterRole>,
): { role: Role | undefined; described: string } {
  const { kind, name } = binding.roleRef;
  const prefix = `RoleBinding ${namespace}/${binding.metadata?.name}`;
  if (kind === "Role")
    return { role: roles.get(`${namespace}/${name}`), described: `${prefix} (Role ${namespace}/${name}` };
  if (kind === "ClusterRole")
    return { role: clusterRoles.get(name), described: `${prefix} (ClusterRole ${name}` };
  return { role: undefined, described: prefix };
}

function compile(
  binding: RoleBinding,
  ref: BindingRef,
  role: Role | undefined,
  described: string,
  order: number,
) {
  const rules = (role?.rules ?? []).map(compileRule).filter((rule) => rule !== undefined);
  if (rules.length === 0 || (binding.subjects ?? []).length === 0) return undefined;
  const expiry = binding.metadata?.annotations?.[EXPIRES_AT_ANNOTATION];
  const expiresAt = expiry === undefined ? undefined : parseExpiry(expiry);
  const until = expiry === undefined ? "" : `, expires ${expiry}`;
  const grant: Grant = {
    description: `${described}${until})`,
    binding: ref,
    ...(expiry === undefined ? {} : { expiresAt: expiry }),
  };
  return { order, grant, rules, expiresAt } satisfies CompiledGrant;
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

/** Files a grant under each of the binding's subjects; false when no subject can ever match. */
function file(
  into: MutableBySubject,
  subjects: readonly Subject[] | null | undefined,
  bindingNamespace: string,
  grant: CompiledGrant,
): boolean {
  let filed = false;
  for (const subject of subjects ?? []) {
    const found = subjectEntry(subject, bindingNamespace);
    if (found === undefined) continue;
    const map = found.kind === "user" ? into.users : into.groups;
    const grants = map.get(found.name);
    if (!grants) map.set(found.name, [grant]);
    else if (grants.at(-1) !== grant) grants.push(grant); // a subject listed twice files once
    filed = true;
  }
  return filed;
}

/**
 * Where a subject is filed: a user by name, a group by name, a service account by the user name its
 * tokens authenticate as. A service account without a namespace takes the RoleBinding's; in a
 * ClusterRoleBinding it matches nobody (the API server would have refused it).
 */
function subjectEntry(
  subject: Subject,
  bindingNamespace: string,
): { kind: "user" | "group"; name: string } | undefined {
  switch (subject.kind) {
    case "User":
      return { kind: "user", name: subject.name };
    case "Group":
      return { kind: "group", name: subject.name };
    case "ServiceAccount": {
      const namespace = subject.namespace || bindingNamespace;
      if (namespace === "") return undefined;
      return { kind: "user", name: `${SERVICE_ACCOUNT_PREFIX}${namespace}:${subject.name}` };
    }
    default:
      return undefined;
  }
}

/** The grants that `requester` holds on the Deployment `key` at time `now`, as a resolver for decide. */
export function grantResolverFor(
  index: GrantIndex,
  requester: Requester,
  key: ObjectKey,
  now: number,
): GrantResolver | undefined {
  const held = heldGrants(index, requester, key.namespace, now);
  if (held.length === 0) return undefined;
  return (group) => held.find((grant) => grant.rules.some((rule) => covers(rule, group, key.name)))?.grant;
}

/** A handful of map lookups: the user name and each group, in the namespace and cluster-wide. */
function heldGrants(index: GrantIndex, requester: Requester, namespace: string, now: number) {
  const held: CompiledGrant[] = [];
  collect(index.namespaced.get(namespace), requester, now, held);
  collect(index.cluster, requester, now, held);
  return held.length > 1 ? held.sort((a, b) => a.order - b.order) : held;
}

function collect(filed: BySubject | undefined, requester: Requester, now: number, held: CompiledGrant[]) {
  if (!filed) return;
  add(filed.users.get(requester.username), now, held);
  if (filed.groups.size === 0) return;
  for (const group of requester.groups) add(filed.groups.get(group), now, held);
}

function add(grants: readonly CompiledGrant[] | undefined, now: number, held: CompiledGrant[]) {
  for (const grant of grants ?? []) {
    // The same binding can name the user and one of its groups; the lists are short.
    if (!expired(grant, now) && !held.includes(grant)) held.push(grant);
  }
}

// "Stops counting at that time": at the instant itself the grant is gone; NaN (unparsable) never counts.
function expired(grant: CompiledGrant, now: number): boolean {
  return grant.expiresAt !== undefined && !(now < grant.expiresAt);
}

function covers(rule: CompiledRule, group: FieldGroup, name: string): boolean {
  if (rule.names && !rule.names.has(name)) return false;
  return rule.all || (group !== "*" && rule.groups.has(group));
}

/** A break-glass grant whose `driftguard.io/expires-at` has passed: what the in-cluster revert reads (§11). */
export interface ExpiredGrant {
  /** How Events name it: the binding, its role and expiry. */
  description: string;
  /** The RoleBinding's namespace; undefined for a ClusterRoleBinding (every namespace). */
  namespace: string | undefined;
  /** Epoch ms of the expiry (a valid time: an unparsable one never granted anything). */
  expiresAt: number;
  /** Whether the grant covered `group` of the Deployment `name` while it was valid. */
  covers(group: FieldGroup, name: string): boolean;
}

/** Every grant with a valid expiry at or before `now`, each once. */
export function expiredGrants(index: GrantIndex, now: number): ExpiredGrant[] {
  const out: ExpiredGrant[] = [];
  const seen = new Set<CompiledGrant>();
  const visit = (filed: BySubject, namespace: string | undefined) => {
    for (const grants of [...filed.users.values(), ...filed.groups.values()])
      for (const grant of grants) {
        if (seen.has(grant) || grant.expiresAt === undefined || Number.isNaN(grant.expiresAt)) continue;
        if (!expired(grant, now)) continue;
        seen.add(grant);
        out.push({
          description: grant.grant.description,
          namespace,
          expiresAt: grant.expiresAt,
          covers: (group, name) => grant.rules.some((rule) => covers(rule, group, name)),
        });
      }
  };
  for (const [namespace, filed] of index.namespaced) visit(filed, namespace);
  visit(index.cluster, undefined);
  return out;
}
