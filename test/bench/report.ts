// The final table: every figure next to its target. A MISS is reported, never turned into a failing
// exit code: benchmark figures depend on the machine, and CI must not flap on a busy runner. Each part
// also shows the machine's load average when it starts and ends: a figure taken on a busy machine
// says so beside it.
import { cpus, loadavg } from "node:os";

export type Status = "PASS" | "MISS" | "SKIP" | "ERROR" | "";

export interface Row {
  part: string;
  metric: string;
  value: string;
  target: string;
  status: Status;
}

export function info(part: string, metric: string, value: string): Row {
  return { part, metric, value, target: "", status: "" };
}

export function atMost(part: string, metric: string, value: number, limit: number, unit: string): Row {
  return judged(part, metric, value, `≤ ${fmt(limit)}${unit}`, value <= limit, unit);
}

export function below(part: string, metric: string, value: number, limit: number, unit: string): Row {
  return judged(part, metric, value, `< ${fmt(limit)}${unit}`, value < limit, unit);
}

export function atLeast(part: string, metric: string, value: number, limit: number, unit: string): Row {
  return judged(part, metric, value, `≥ ${fmt(limit)}${unit}`, value >= limit, unit);
}

/** A count that must be exactly `expected` (renders of a commit): anything else is a MISS. */
export function exactly(part: string, metric: string, value: number, expected: number): Row {
  const status = value === expected ? "PASS" : "MISS";
  return { part, metric, value: String(value), target: `= ${expected}`, status };
}

export function skipped(part: string, metric: string, reason: string): Row {
  return { part, metric, value: reason, target: "", status: "SKIP" };
}

function judged(
  part: string,
  metric: string,
  value: number,
  target: string,
  pass: boolean,
  unit: string,
): Row {
  const ok = Number.isFinite(value) && pass;
  return { part, metric, value: `${fmt(value)}${unit}`, target, status: ok ? "PASS" : "MISS" };
}

/** `1.23 / 0.98 / 0.50 (1, 5, 15 min; 2 cores)`: how busy the machine was, next to the figures. */
export function loadAverage(): string {
  const [one, five, fifteen] = loadavg().map((value) => value.toFixed(2));
  return `${one} / ${five} / ${fifteen} (1, 5, 15 min; ${cpus().length} cores)`;
}

/** One line for a figure and its target, as the log prints it while a part runs. */
export function rowLine(row: Row): string {
  const target = row.target ? `  target ${row.target}` : "";
  const status = row.status === "MISS" || row.status === "ERROR" ? `  ${row.status}` : "";
  return `${row.metric}: ${row.value}${target}${status}`;
}

/** Three significant figures at most, no exponent: 0.0123, 1.23, 123, 12345. */
export function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 100) return String(Math.round(value));
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => (row[i] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export function printRows(title: string, rows: readonly Row[]): void {
  const cells = rows.map((row) => [row.part, row.metric, row.value, row.target, row.status]);
  process.stdout.write(
    `\n${title}\n${formatTable(["part", "metric", "value", "target", "result"], cells)}\n`,
  );
}
