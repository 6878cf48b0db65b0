// Kubernetes resource quantities compared by value (docs/kubernetes-facts.md §3.2, docs/contract.md §3).
// The API server keeps the spelling it was given in some cases (`1000Mi`, `1e3`) and rewrites it in
// others (`0.5` → `500m`), so strings are useless for comparison. We parse to an exact count of
// nano-units (the server's own precision: parsing rounds up to 1e-9) and print one canonical string per
// value, so equal values compare equal as strings and messages stay readable.

const NANO = 1_000_000_000n;
const MILLI_IN_NANO = 1_000_000n;

const BINARY: Record<string, bigint> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};
const DECIMAL_EXP: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  "": 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

const QUANTITY = /^([+-]?)(\d+\.?\d*|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;

/** Exact value in nano-units, or undefined when the input is not a quantity the API server accepts. */
export function parseQuantity(input: string | number): bigint | undefined {
  const text = typeof input === "number" ? numberText(input) : input.trim();
  const match = QUANTITY.exec(text);
  if (!match) return undefined;
  const [, sign = "", digits = "", suffix, exponent] = match;
  const [whole = "", fraction = ""] = digits.split(".");
  let numerator = BigInt(`${whole}${fraction}` || "0");
  let power = -fraction.length; // value = numerator * 10^power * binaryFactor
  let binaryFactor = 1n;
  if (exponent !== undefined) {
    const e = Number(exponent);
    if (Math.abs(e) > 60) return undefined; // far outside any real quantity; refuse the work
    power += e;
  } else if (suffix !== undefined && suffix in BINARY) {
    binaryFactor = BINARY[suffix] ?? 1n;
  } else {
    power += DECIMAL_EXP[suffix ?? ""] ?? 0;
  }
  numerator *= binaryFactor;
  const nanos = scaleUp(numerator, power + 9);
  return sign === "-" ? -nanos : nanos;
}

/** numerator * 10^power, rounded up (away from zero) to an integer, as the server rounds to nano. */
function scaleUp(numerator: bigint, power: number): bigint {
  if (power >= 0) return numerator * 10n ** BigInt(power);
  const divisor = 10n ** BigInt(-power);
  const quotient = numerator / divisor;
  return numerator % divisor === 0n ? quotient : quotient + 1n;
}

function numberText(value: number): string {
  // JSON numbers are accepted on input (`cpu: 0.5`); String() may give `1e+21`, which the grammar takes.
  return String(value);
}

/** Container resources are rounded up to milli-units by defaulting (SetDefaults_ResourceList). */
export function roundUpToMilli(nanos: bigint): bigint {
  const negative = nanos < 0n;
  const abs = negative ? -nanos : nanos;
  const rounded = ((abs + MILLI_IN_NANO - 1n) / MILLI_IN_NANO) * MILLI_IN_NANO;
  return negative ? -rounded : rounded;
}

/** One spelling per value: the largest binary suffix for whole multiples of 1024, else decimal. */
export function formatQuantity(nanos: bigint): string {
  if (nanos === 0n) return "0";
  if (nanos < 0n) return `-${formatQuantity(-nanos)}`;
  if (nanos % NANO === 0n) return formatWhole(nanos / NANO);
  if (nanos % MILLI_IN_NANO === 0n) return `${nanos / MILLI_IN_NANO}m`;
  if (nanos % 1000n === 0n) return `${nanos / 1000n}u`;
  return `${nanos}n`;
}

function formatWhole(value: bigint): string {
  const binary = largestSuffix(value, ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"], 1024n);
  if (binary) return binary;
  return largestSuffix(value, ["k", "M", "G", "T", "P", "E"], 1000n) ?? `${value}`;
}

function largestSuffix(value: bigint, suffixes: readonly string[], base: bigint): string | undefined {
  let found: string | undefined;
  let factor = 1n;
  for (const suffix of suffixes) {
    factor *= base;
    if (value % factor !== 0n) break;
    found = `${value / factor}${suffix}`;
  }
  return found;
}

/**
 * Results of canonicalQuantity: a cluster's quantities are a few hundred strings ("100m", "128Mi")
 * written again in every object, and parsing one (BigInt arithmetic) cost a tenth of normalizing a
 * Deployment. A pure function of its input, so a memo cannot change an answer; cleared when full, so a
 * request inventing quantities costs memory only up to the bound.
 */
const MEMO_LIMIT = 4_096;
const memo = new Map<string, string | null>();

/** Canonical string of a quantity, or undefined when it does not parse (the caller keeps the raw value). */
export function canonicalQuantity(input: string | number, roundToMilli: boolean): string | undefined {
  const key = `${roundToMilli ? "m" : "="}${typeof input}:${input}`;
  const known = memo.get(key);
  if (known !== undefined) return known ?? undefined;
  const nanos = parseQuantity(input);
  const canonical =
    nanos === undefined ? undefined : formatQuantity(roundToMilli ? roundUpToMilli(nanos) : nanos);
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(key, canonical ?? null);
  return canonical;
}
