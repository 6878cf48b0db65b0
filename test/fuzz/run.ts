// A fuzz run: `count` cases from `seed`, `concurrency` at a time over keep-alive HTTPS, each answer
// checked. The server is probed after every failure; if it stops answering the run ends there.
import { checkAnswer, type Outcome } from "./check.js";
import type { Client } from "./client.js";
import { type FuzzCase, mutate } from "./mutate.js";
import type { Operator } from "./operators.js";
import { caseSeed } from "./prng.js";
import type { SeedReview } from "./seeds.js";

/** The webhook's timeout (timeoutSeconds: 10): an answer later than this is a hang. */
export const REQUEST_TIMEOUT_MS = 10_000;

export interface Failure {
  seed: number;
  from: string;
  operators: string[];
  reason: string;
  bytes: number;
}

export interface Tally {
  sent: number;
  "400": number;
  allowed: number;
  denied: number;
  failed: number;
}

export interface RunResult {
  total: Tally;
  byOperator: Map<string, Tally>;
  failures: Failure[];
  latenciesMs: number[];
  durationMs: number;
  /** Set when the server stopped answering its health probe and the run was cut short. */
  stopped?: string;
}

export interface RunOptions {
  seeds: readonly SeedReview[];
  client: Client;
  count: number;
  seed: number;
  concurrency: number;
  /** Only these operators, one per case (to aim a run at one of them); default, drawn by weight. */
  only?: readonly Operator[];
  /** Called with each case and its check, for a progress line or a test's own bookkeeping. */
  onCase?: (fuzzCase: FuzzCase, index: number) => void;
}

const emptyTally = (): Tally => ({ sent: 0, "400": 0, allowed: 0, denied: 0, failed: 0 });

export async function runFuzz(options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const result: RunResult = {
    total: emptyTally(),
    byOperator: new Map(),
    failures: [],
    latenciesMs: [],
    durationMs: 0,
  };
  const count = (tallies: Tally[], outcome: Outcome | "failed") => {
    for (const t of tallies) {
      t.sent++;
      t[outcome]++;
    }
  };
  let next = 0;
  const worker = async () => {
    while (next < options.count && result.stopped === undefined) {
      const index = next++;
      const fuzzCase = mutate(options.seeds, caseSeed(options.seed, index), options.only);
      options.onCase?.(fuzzCase, index);
      const sent = await options.client.post("/validate", fuzzCase.body, REQUEST_TIMEOUT_MS);
      result.latenciesMs.push(sent.ok ? sent.answer.ms : sent.ms);
      const verdict = checkAnswer(sent, fuzzCase.uid);
      const tallies = [result.total, ...new Set(fuzzCase.operators)].map((t) =>
        typeof t === "string" ? tallyOf(result.byOperator, t) : t,
      );
      if (verdict.ok) {
        count(tallies, verdict.outcome);
        continue;
      }
      count(tallies, "failed");
      const { seed, from, operators } = fuzzCase;
      result.failures.push({
        seed,
        from,
        operators,
        reason: verdict.reason,
        bytes: Buffer.byteLength(fuzzCase.body),
      });
      const probe = await options.client.get("/healthz", REQUEST_TIMEOUT_MS);
      if (!probe.ok || probe.answer.status !== 200)
        result.stopped = `the server stopped answering /healthz after case ${seed}: ${probe.ok ? probe.answer.status : probe.error}`;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  result.durationMs = performance.now() - started;
  return result;
}

function tallyOf(map: Map<string, Tally>, name: string): Tally {
  let tally = map.get(name);
  if (!tally) map.set(name, (tally = emptyTally()));
  return tally;
}
