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
