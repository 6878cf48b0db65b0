// RBAC objects from YAML or JSON files (`driftguard check --rbac DIR`): what a CI pipeline has in Git,
// or `kubectl get roles,clusterroles,rolebindings,clusterrolebindings -A -o yaml` saved to a file.
// Files are read as kubectl reads them (recursively, *.yaml/*.yml/*.json, multi-document, Lists
// expanded); other kinds are counted and left out; every problem names file, document and field.
import type { Dirent } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { describeError } from "../errors.js";
import { addRbacText, createCollector, RbacLoadError } from "./rbac-documents.js";
import type { RbacObjects } from "./types.js";

export { RbacLoadError } from "./rbac-documents.js";

const FIX_PATH = "give --rbac a folder (or one file) of Role, ClusterRole and binding manifests";

export interface LoadedRbac {
  objects: RbacObjects;
  /** Files read. */
  files: number;
  /** Documents (or List items) of other kinds, left out. */
  skipped: number;
}

const EXTENSIONS = /\.(ya?ml|json)$/i;
// RBAC files are read whole; a whole cluster's RBAC dumped by kubectl is a few MiB.
const MAX_FILE_BYTES = 32 * 1024 * 1024;

/** Reads every RBAC object under `path` (a folder, or one file). Throws RbacLoadError. */
export async function loadRbacDir(path: string): Promise<LoadedRbac> {
  const files = await listFiles(path);
  const collector = createCollector();
  for (const file of files) {
    const name = relative(path, file) || file;
    addRbacText(collector, await readText(file, name), name);
  }
  return { objects: collector.objects, files: files.length, skipped: collector.skipped };
}

async function listFiles(path: string): Promise<string[]> {
  const info = await stat(path).catch((error: unknown) => {
    throw new RbacLoadError(`${path}: ${reason(error)}`, FIX_PATH);
  });
  if (info.isFile()) return [path];
  if (!info.isDirectory()) throw new RbacLoadError(`${path}: not a file or folder`, FIX_PATH);
  const entries = await readdir(path, { withFileTypes: true, recursive: true }).catch((error: unknown) => {
    throw new RbacLoadError(`${path}: cannot list the folder: ${reason(error)}`, FIX_PATH);
  });
  const files: string[] = [];
  for (const entry of entries) {
    if (EXTENSIONS.test(entry.name) && (await isFile(entry))) files.push(join(entry.parentPath, entry.name));
  }
  return files.sort();
}

/** A file, or a symbolic link to one (as kubectl follows them); linked folders are not walked. */
async function isFile(entry: Dirent): Promise<boolean> {
  if (entry.isFile()) return true;
  if (!entry.isSymbolicLink()) return false;
  const target = await stat(join(entry.parentPath, entry.name)).catch(() => undefined);
  return target?.isFile() ?? false;
}

async function readText(file: string, name: string): Promise<string> {
  try {
    if ((await stat(file)).size > MAX_FILE_BYTES)
      throw new RbacLoadError(`${name}: larger than 32 MiB`, "split it, or keep only RBAC objects in it");
    return await readFile(file, "utf8");
  } catch (error) {
    if (error instanceof RbacLoadError) throw error;
    throw new RbacLoadError(`${name}: cannot read: ${reason(error)}`, FIX_PATH);
  }
}

function reason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ENOENT") return "no such file or folder";
  if (code === "EACCES") return "permission denied";
  return describeError(error);
}
