// RBAC objects from YAML or JSON files (`driftguard check --rbac DIR`): what a CI pipeline has in Git,
// or `kubectl get roles,clusterroles,rolebindings,clusterrolebindings -A -o yaml` saved to a file.
// Files are read as kubectl reads them; other kinds are skipped; a problem names file and document.
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { readYamlDocuments } from "../sources/yaml-reader.js";
import type { ClusterRole, ClusterRoleBinding, RbacObjects, Role, RoleBinding } from "./types.js";

export class RbacLoadError extends Error {}

export interface LoadedRbac {
  objects: RbacObjects;
  files: number;
  /** Documents of other kinds, left out. */
  skipped: number;
}

const EXTENSIONS = /\.(ya?ml|json)$/i;
const MAX_FILE_BYTES = 8 * 1024 * 1024;

export async function loadRbacDir(dir: string): Promise<LoadedRbac> {
  const files = await listFiles(dir);
  const objects = {
    roles: [] as Role[],
    clusterRoles: [] as ClusterRole[],
    roleBindings: [] as RoleBinding[],
    clusterRoleBindings: [] as ClusterRoleBinding[],
  };
  let skipped = 0;
  for (const file of files) {
    const name = relative(dir, file) || file;
    const size = (await stat(file)).size;
    if (size > MAX_FILE_BYTES) throw new RbacLoadError(`${name}: larger than 8 MiB; split it`);
    const result = readYamlDocuments(await readFile(file, "utf8"));
    if (!result.ok) {
      throw new RbacLoadError(`${name}${result.line ? `:${result.line}` : ""}: ${result.message}`);
    }
    for (const doc of result.docs) {
      for (const item of expandList(doc.value)) {
        const where = `${name}, document ${doc.index + 1} (line ${doc.line})`;
        if (!addObject(objects, item, where)) skipped++;
      }
    }
  }
  return { objects, files: files.length, skipped };
}

async function listFiles(dir: string): Promise<string[]> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(dir);
  } catch {
    throw new RbacLoadError(`${dir}: no such file or folder`);
  }
  if (info.isFile()) return [dir];
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && EXTENSIONS.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

function expandList(value: unknown): unknown[] {
  const object = value as { kind?: unknown; items?: unknown } | null;
  if (
    object &&
    typeof object === "object" &&
    typeof object.kind === "string" &&
    object.kind.endsWith("List")
  ) {
    return Array.isArray(object.items) ? object.items : [];
  }
  return [value];
}

/** Adds an RBAC object after checking the fields the grant index relies on; false when not RBAC. */
function addObject(objects: { [K in keyof RbacObjects]: unknown[] }, item: unknown, where: string): boolean {
  const object = item as {
    apiVersion?: unknown;
    kind?: unknown;
    metadata?: { name?: unknown; namespace?: unknown };
  } | null;
  if (!object || typeof object !== "object" || object.apiVersion !== "rbac.authorization.k8s.io/v1")
    return false;
  const kind = object.kind;
  const target =
    kind === "Role"
      ? objects.roles
      : kind === "ClusterRole"
        ? objects.clusterRoles
        : kind === "RoleBinding"
          ? objects.roleBindings
          : kind === "ClusterRoleBinding"
            ? objects.clusterRoleBindings
            : undefined;
  if (!target) return false;
  if (typeof object.metadata?.name !== "string" || object.metadata.name === "") {
    throw new RbacLoadError(`${where}: ${String(kind)} without metadata.name`);
  }
  const namespaced = kind === "Role" || kind === "RoleBinding";
  if (namespaced && (typeof object.metadata.namespace !== "string" || object.metadata.namespace === "")) {
    throw new RbacLoadError(
      `${where}: ${String(kind)} ${object.metadata.name} has no metadata.namespace; set it (the API server would use the namespace of the apply)`,
    );
  }
  if (kind === "RoleBinding" || kind === "ClusterRoleBinding") {
    const ref = (object as { roleRef?: { kind?: unknown; name?: unknown } }).roleRef;
    if (typeof ref?.kind !== "string" || typeof ref.name !== "string") {
      throw new RbacLoadError(
        `${where}: ${String(kind)} ${object.metadata.name} has no roleRef.kind and roleRef.name`,
      );
    }
  }
  target.push(object);
  return true;
}
