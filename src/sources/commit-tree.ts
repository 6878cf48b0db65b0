// One commit's tree as the renderers see it (src/render/repo-tree.ts): its files with mode and blob, read
// from the clone with `git cat-file --batch`, nothing checked out.
import type { BlobTree, TreeFile } from "../render/repo-tree.js";
import { readBlobBytes, readBlobs } from "./blob-reader.js";
import type { TreeEntry } from "./git-repo.js";

/** A chart's vendored dependencies are archives; a render input larger than this is refused unread. */
export const MAX_RENDER_INPUT_BYTES = 16 * 1024 * 1024;

export function commitTree(
  dir: string,
  env: Readonly<Record<string, string>>,
  entries: readonly TreeEntry[],
): BlobTree {
  const files = new Map<string, TreeFile>(entries.map((entry) => [entry.path, entry]));
  const options = { dir, env, maxBytes: MAX_RENDER_INPUT_BYTES };
  return {
    files,
    async read(path) {
      const entry = files.get(path);
      if (entry === undefined) return undefined;
      let text: string | undefined;
      await readBlobs(options, [entry.blob], (_blob, content) => {
        if (content.kind === "text") text = content.text;
      });
      return text;
    },
    readBlobs: (blobs, onBlob) => readBlobBytes(options, blobs, onBlob),
  };
}
