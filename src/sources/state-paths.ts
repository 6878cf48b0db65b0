// Where a source keeps its state under the state directory. Source names come from configuration;
// they still must never climb out of the state directory or collide after cleaning.
import { createHash } from "node:crypto";
import { join, resolve } from "node:path";

export function repoDir(stateDir: string, source: string): string {
  return join(resolve(stateDir), "repos", safeName(source));
}

export function snapshotPath(stateDir: string, source: string): string {
  return join(resolve(stateDir), "snapshots", `${safeName(source)}.json`);
}

/** The name itself when it is a plain file name, else a cleaned name plus a hash of the original. */
export function safeName(name: string): string {
  if (/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name)) return name;
  const cleaned = name
    .replace(/[^A-Za-z0-9._-]/g, "_")
    .replace(/^[._-]+/, "")
    .slice(0, 60);
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 12);
  return `${cleaned || "source"}-${hash}`;
}
