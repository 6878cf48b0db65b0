// RBAC objects out of one file's text: YAML or JSON read as kubectl reads it (multi-document, Lists
// expanded), RBAC kinds checked as the API server would check them, everything else counted and left
// out, and one object per kind and name. Pure: load-dir.ts reads the files.
import { DriftguardError } from "../errors.js";
import { readYamlDocuments } from "../sources/yaml-reader.js";
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from "./types.js";
import { isObject, type RbacKind, rbacObjectProblem } from "./validate.js";

/** What is wrong and where (file, document, field); `hint` says what to do. */
export class RbacLoadError extends DriftguardError {
  declare readonly hint: string;
  constructor(message: string, hint: string) {
    super("DG_RBAC_LOAD", message, { hint });
    this.name = "RbacLoadError";
  }
}

const FIX_OBJECT = "the files are read as the cluster would hold them: fix the object, or leave the file out";
const RBAC_V1 = "rbac.authorization.k8s.io/v1";
const RBAC_KINDS: readonly string[] = ["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"];

export interface Collector {
  objects: {
    roles: Role[];
    clusterRoles: ClusterRole[];
    roleBindings: RoleBinding[];
    clusterRoleBindings: ClusterRoleBinding[];
  };
  /** Where each object was first seen, and its text, by `Kind namespace/name`. */
  seen: Map<string, { where: string; text: string }>;
  skipped: number;
}

export function createCollector(): Collector {
  return {
    objects: { roles: [], clusterRoles: [], roleBindings: [], clusterRoleBindings: [] },
    seen: new Map(),
    skipped: 0,
  };
}

/** Adds the RBAC objects of one file's text; `name` is how messages call the file. */
export function addRbacText(collector: Collector, text: string, name: string): void {
  const result = readYamlDocuments(text);
  if (!result.ok) {
    const line = result.line ? `:${result.line}` : "";
    throw new RbacLoadError(
      `${name}${line}: not valid YAML: ${result.message}`,
      "kubectl could not read it either: fix the file, or leave it out",
    );
  }
  for (const doc of result.docs) {
    const where = `${name}, document ${doc.index + 1} (line ${doc.line})`;
    for (const { item, at } of expandList(doc.value, where)) addItem(collector, item, at);
  }
}

/** A List's items (a typed list like RoleList gives its items their kind); any other value as is. */
function expandList(value: unknown, where: string): { item: unknown; at: string }[] {
  if (!isObject(value) || typeof value.kind !== "string" || !value.kind.endsWith("List")) {
    return [{ item: value, at: where }];
  }
  const { items, kind, apiVersion } = value;
  if (items === undefined || items === null) return [];
  if (!Array.isArray(items)) throw new RbacLoadError(`${where}: ${kind}.items must be a list`, FIX_OBJECT);
  const itemKind = kind === "List" ? undefined : kind.slice(0, -"List".length);
  return items.map((item, i) => ({
    // `kubectl get --raw` lists leave kind and apiVersion out of their items.
    item: isObject(item) && itemKind !== undefined ? { apiVersion, kind: itemKind, ...item } : item,
    at: `${where}, items[${i}]`,
  }));
}

function addItem(collector: Collector, item: unknown, where: string): void {
  const kind = rbacKindOf(item, where);
  if (kind === undefined || !isObject(item)) {
    collector.skipped++;
    return;
  }
  const id = objectId(kind, item.metadata);
  const problem = rbacObjectProblem(kind, item);
  if (problem !== undefined) throw new RbacLoadError(`${where}: ${id}: ${problem}`, FIX_OBJECT);
  if (!isNew(collector, id, item, where)) return;
  // The shapes were just checked: the object reads as the type the grant index expects.
  if (kind === "Role") collector.objects.roles.push(item as unknown as Role);
  else if (kind === "ClusterRole") collector.objects.clusterRoles.push(item as unknown as ClusterRole);
  else if (kind === "RoleBinding") collector.objects.roleBindings.push(item as unknown as RoleBinding);
  else collector.objects.clusterRoleBindings.push(item as unknown as ClusterRoleBinding);
}

/** `Role shop/name`, `ClusterRole name`: how messages name an object (as far as it has a name). */
function objectId(kind: RbacKind, metadata: unknown): string {
  const { name, namespace } = isObject(metadata) ? metadata : {};
  if (typeof name !== "string" || name === "") return kind;
  const namespaced = kind === "Role" || kind === "RoleBinding";
  return namespaced && typeof namespace === "string" && namespace !== ""
    ? `${kind} ${namespace}/${name}`
    : `${kind} ${name}`;
}

/** The RBAC kind of an object, undefined for other kinds; an RBAC kind in a version not served is an error. */
function rbacKindOf(item: unknown, where: string): RbacKind | undefined {
  if (!isObject(item) || typeof item.kind !== "string" || !RBAC_KINDS.includes(item.kind)) return undefined;
  const { apiVersion, kind } = item;
  if (apiVersion === RBAC_V1) return kind as RbacKind;
  if (apiVersion === undefined)
    throw new RbacLoadError(`${where}: ${kind} has no apiVersion`, `set apiVersion: ${RBAC_V1}`);
  if (typeof apiVersion === "string" && apiVersion.startsWith("rbac.authorization.k8s.io/")) {
    throw new RbacLoadError(
      `${where}: ${kind} is ${apiVersion}, which Kubernetes no longer serves (since 1.22)`,
      `set apiVersion: ${RBAC_V1} (the fields are the same)`,
    );
  }
  return undefined; // same kind name in another API group
}

/**
 * One object per kind and name, as in a cluster. The same object twice with the same content is
 * fine (a dump and a file in Git); with different content it is unclear which one the cluster holds.
 */
function isNew(collector: Collector, id: string, item: Record<string, unknown>, where: string): boolean {
  const text = JSON.stringify(item);
  const first = collector.seen.get(id);
  if (first === undefined) {
    collector.seen.set(id, { where, text });
    return true;
  }
  if (first.text === text) return false;
  throw new RbacLoadError(
    `${where}: ${id} differs from the one in ${first.where}`,
    "the cluster holds one object per name: keep one of them",
  );
}
