// The parse pool's worker thread (parse-pool.ts): parses batches of files and posts the results back.
// It holds nothing between batches, so a batch's YAML trees are garbage of this thread, not the main one.
import { parentPort } from "node:worker_threads";
import { type ParseJob, parseJob } from "./file-parse.js";

export interface BatchRequest {
  id: number;
  jobs: readonly ParseJob[];
}

/** `results`: the batch's ParsedFile[] as JSON text (see parse-pool.ts for why text). */
export interface BatchAnswer {
  id: number;
  results: string;
}

// The yaml library reads process.env.LOG_TOKENS once per token, and process.env is an accessor that asks
// the C library each time: a tenth of the parse. A worker's process.env is its own copy anyway (changes
// never reach the process or its children), so a plain object here changes nothing but the speed.
process.env = { ...process.env };

parentPort?.on("message", ({ id, jobs }: BatchRequest) => {
  const answer: BatchAnswer = { id, results: JSON.stringify(jobs.map(parseJob)) };
  parentPort?.postMessage(answer);
});
