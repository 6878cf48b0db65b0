// The run's figures as a table for the terminal and for docs/reliability.md (Markdown, so it pastes).
import { OPERATORS } from "./operators.js";
import type { RunResult, Tally } from "./run.js";

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const row = (name: string, t: Tally) =>
  `| ${name} | ${t.sent} | ${t["400"]} | ${t.allowed} | ${t.denied} | ${t.failed} |`;

export function report(result: RunResult, seed: number, seedReviews: number): string {
  const sorted = [...result.latenciesMs].sort((a, b) => a - b);
  const lines = [
    `seed ${seed}, ${seedReviews} seed reviews, ${result.total.sent} reviews sent in ${(result.durationMs / 1000).toFixed(1)} s`,
    `latency p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${(sorted.at(-1) ?? 0).toFixed(1)} ms`,
    "",
    "| operator | reviews | 400 | 200 allowed | 200 denied | failures |",
    "|---|---:|---:|---:|---:|---:|",
    // A case with several operators counts once under each of them, and once in the total.
    ...OPERATORS.map((op) => result.byOperator.get(op.name))
      .map((t, i) => (t ? row(OPERATORS[i]!.name, t) : undefined))
      .filter((line): line is string => line !== undefined),
    row("**all reviews**", result.total),
  ];
  for (const op of OPERATORS.filter((o) => o.heldOut && !result.byOperator.has(o.name)))
    lines.push(`held out of this run: ${op.name}, ${op.heldOut}`);
  if (result.failures.length > 0) {
    lines.push("", `failures (${result.failures.length}; replay one with --replay SEED):`);
    for (const f of result.failures.slice(0, 50))
      lines.push(`  seed ${f.seed} [${f.operators.join("+")}] on ${f.from} (${f.bytes} bytes): ${f.reason}`);
  }
  if (result.stopped) lines.push("", `RUN CUT SHORT: ${result.stopped}`);
  return lines.join("\n");
}
