// Durations as admins write them in the config: `"60s"`, `"5m"`, `"1h30m"`, `"500ms"`, or a bare integer
// number of seconds. Go's time.ParseDuration spelling, because that is what Kubernetes users know;
// units are required in strings so that a quoted `"60"` is not silently read as seconds or milliseconds.

const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };

/** One or more `<number><unit>` parts; `ms` is listed before `m` so that `500ms` is not read as `500m` + `s`. */
export const DURATION_PATTERN = /^(?:\d+(?:\.\d+)?(?:ms|h|m|s))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;

/** Milliseconds, or undefined when `value` is not a duration. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) && value >= 0 ? value * 1_000 : undefined;
  if (typeof value !== "string" || !DURATION_PATTERN.test(value)) return undefined;
  let total = 0;
  for (const [, amount, unit] of value.matchAll(PART)) {
    total += Number(amount) * (UNIT_MS[unit ?? ""] ?? Number.NaN);
  }
  // Sub-millisecond remainders (`1.0001s`) mean nothing to a timer.
  return Number.isFinite(total) ? Math.round(total) : undefined;
}

/** The shortest spelling of `ms` in the same notation, for messages: 90_000 → `1m30s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  let rest = ms;
  let out = "";
  for (const [unit, size] of Object.entries(UNIT_MS)) {
    const amount = Math.floor(rest / size);
    if (amount > 0) out += `${amount}${unit}`;
    rest -= amount * size;
  }
  return out;
}
