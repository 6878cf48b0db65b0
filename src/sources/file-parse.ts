// One Git file's text to its Deployments, as one job: what the parse pool's workers run and what runs
// in-thread when there is no worker. Pure: no I/O, never throws (a throw would be a parser bug, and must
// cost one file only).
import { type ParsedFile, parseManifestFile } from "./manifest-parser.js";

export interface ParseJob {
  file: string;
  text: string;
  /** The namespace for documents without metadata.namespace. */
  namespace: string;
}

export function parseJob(job: ParseJob): ParsedFile {
  try {
    return parseManifestFile(job.file, job.text, job.namespace);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { docs: [], notices: [], error: { file: job.file, message: `could not be read: ${reason}` } };
  }
}

/**
 * Parses on the main thread beside the workers, one file per turn of the event loop: a request that comes
 * meanwhile waits for one file's parse at most, never for a batch's. The results go through JSON as a
 * worker's do, so that every file of a load is held alike (and compactly).
 */
export async function parseJobsSliced(jobs: readonly ParseJob[]): Promise<ParsedFile[]> {
  const results: ParsedFile[] = [];
  for (const job of jobs) {
    await new Promise((resolve) => setImmediate(resolve));
    results.push(JSON.parse(JSON.stringify(parseJob(job))) as ParsedFile);
  }
  return results;
}
