// Reads ahead, in one `git cat-file --batch`, the blobs that the next steps of a history walk will
// parse: one git process per window of commits instead of one per commit. Small blobs only, and a few
// hundred at a time, so that reading ahead never holds much memory; anything else is read when needed.
import { type BlobContent, type BlobReaderOptions, readBlobs } from "./blob-reader.js";
import type { HistoryStep } from "./history-log.js";
import { hasManifestExtension } from "./path-filter.js";
import type { BuildInput } from "./revision-builder.js";

const WINDOW_BLOBS = 256;
const WINDOW_MAX_BYTES = 256 * 1024;
const SYMLINK_MODE = "120000";

export class BlobPrefetch {
  private readonly read = new Map<string, BlobContent>();
  /** Blobs asked for in the current window (too large ones are asked for and not kept). */
  private readonly asked = new Set<string>();

  constructor(private readonly options: BlobReaderOptions) {}

  /** Makes sure the blobs of `steps[from]` were read ahead, reading a new window when they were not. */
  async ahead(steps: readonly HistoryStep[], from: number): Promise<void> {
    if (blobsOf(steps[from]).every((blob) => this.asked.has(blob))) return;
    this.read.clear();
    this.asked.clear();
    for (let i = from; i < steps.length && this.asked.size < WINDOW_BLOBS; i += 1) {
      for (const blob of blobsOf(steps[i])) this.asked.add(blob);
    }
    const options = { ...this.options, maxBytes: WINDOW_MAX_BYTES };
    await readBlobs(options, [...this.asked], (blob, content) => {
      if (content.kind !== "too-large") this.read.set(blob, content);
    });
  }

  /** A readBlobs for buildRevision: what was read ahead, and git for the rest. */
  readonly reader: BuildInput["readBlobs"] = (blobs, onBlob) => {
    const missing: string[] = [];
    for (const blob of blobs) {
      const content = this.read.get(blob);
      if (content === undefined) missing.push(blob);
      else onBlob(blob, content);
    }
    return readBlobs(this.options, missing, onBlob);
  };
}

function blobsOf(step: HistoryStep | undefined): string[] {
  const blobs: string[] = [];
  for (const [path, entry] of step?.before ?? []) {
    if (entry !== undefined && entry.mode !== SYMLINK_MODE && hasManifestExtension(path))
      blobs.push(entry.blob);
  }
  return blobs;
}
