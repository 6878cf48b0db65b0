// One commit's tree as the renderers see it (src/render/repo-tree.ts): its files with mode and blob, read
// from the clone through one `git cat-file --batch` kept open while the tree is in use (blob-session.ts),
// nothing checked out. `close` ends that process: call it once the render step is done with the tree.
import type { BlobTree, TreeFile } from "../render/repo-tree.js";
import { decodeText } from "./blob-reader.js";
import { openBlobSession } from "./blob-session.js";
import type { TreeEntry } from "./git-repo.js";

/** A chart's vendored dependencies are archives; a render input larger than this is refused unread. */
export const MAX_RENDER_INPUT_BYTES = 16 * 1024 * 1024;

export interface CommitTree extends BlobTree {
  close(): void;
}

export function commitTree(
  dir: string,
  env: Readonly<Record<string, string>>,
  entries: readonly TreeEntry[],
): CommitTree {
  const files = new Map<string, TreeFile>(entries.map((entry) => [entry.path, entry]));
  const session = openBlobSession({ dir, env, maxBytes: MAX_RENDER_INPUT_BYTES });
  const decoder = new TextDecoder("utf-8", { fatal: true });
  return {
    files,
    async read(path) {
      const entry = files.get(path);
      if (entry === undefined) return undefined;
      let text: string | undefined;
      await session.read([entry.blob], (_blob, body) => {
        const content = decodeText(decoder, body);
        if (content.kind === "text") text = content.text;
      });
      return text;
    },
    readBlobs: (blobs, onBlob) =>
      session.read(blobs, (blob, body) => onBlob(blob, "bytes" in body ? body.bytes : undefined)),
    close: () => session.close(),
  };
}
