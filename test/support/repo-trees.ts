// RepoTrees for the render tests, as the sync builds them from Git: from a map in memory, or from a
// folder on disk (symlinks kept as links, the executable bit as mode 100755, blob ids as Git's).
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join, relative } from "node:path";
import type { BlobTree, TreeFile } from "../../src/render/repo-tree.js";

/** One entry of an in-memory tree: text (mode 100644), or what the object says. */
export type MemoryEntry =
  | string
  | { link: string }
  | { submodule: true }
  | { executable: string }
  | { bytes: Buffer };

interface Stored {
  file: TreeFile;
  bytes: Buffer | undefined;
}

/** Git's blob id of some content: sha1 of `blob <size>\0<content>`. */
export function gitBlobId(bytes: Buffer): string {
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

export function memoryTree(entries: Record<string, MemoryEntry>): BlobTree & { reads: string[] } {
  const stored = new Map<string, Stored>();
  for (const [path, entry] of Object.entries(entries)) stored.set(path, storedEntry(entry));
  return treeOf(stored, (path) => stored.get(path)?.bytes);
}

function storedEntry(entry: MemoryEntry): Stored {
  if (typeof entry === "string") return blobEntry("100644", Buffer.from(entry));
  if ("link" in entry) return blobEntry("120000", Buffer.from(entry.link));
  if ("executable" in entry) return blobEntry("100755", Buffer.from(entry.executable));
  if ("bytes" in entry) return blobEntry("100644", entry.bytes);
  return { file: { mode: "160000", blob: "0".repeat(40) }, bytes: undefined };
}

function blobEntry(mode: string, bytes: Buffer): Stored {
  return { file: { mode, blob: gitBlobId(bytes) }, bytes };
}

/** The files of a folder on disk as Git would hold them (`.git` left out); content read when asked. */
export function diskTree(dir: string): BlobTree & { reads: string[] } {
  const stored = new Map<string, Stored>();
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      if (name === ".git") continue;
      const path = join(folder, name);
      const stat = lstatSync(path);
      if (stat.isDirectory()) walk(path);
      else if (stat.isSymbolicLink())
        stored.set(relative(dir, path), blobEntry("120000", Buffer.from(readlinkSync(path))));
      else if (stat.isFile())
        stored.set(
          relative(dir, path),
          blobEntry(stat.mode & 0o111 ? "100755" : "100644", readFileSync(path)),
        );
    }
  };
  walk(dir);
  return treeOf(stored, (path) => stored.get(path)?.bytes);
}

function treeOf(stored: Map<string, Stored>, bytesOf: (path: string) => Buffer | undefined) {
  const files = new Map([...stored].map(([path, entry]) => [path, entry.file]));
  const byBlob = new Map([...stored].map(([path, entry]) => [entry.file.blob, path]));
  const reads: string[] = [];
  return {
    files,
    reads,
    async read(path: string) {
      reads.push(path);
      return bytesOf(path)?.toString("utf8");
    },
    async readBlobs(blobs: readonly string[], onBlob: (blob: string, bytes: Buffer | undefined) => void) {
      for (const blob of blobs) {
        const path = byBlob.get(blob);
        onBlob(blob, path === undefined ? undefined : bytesOf(path));
      }
    },
  };
}
