// The soak's verdicts, from its samples alone (pure: no I/O, so the unit test checks them on made-up
// series). Trends are least-squares slopes over the samples after warm-up, so that one noisy sample (a
// GC just before it, a Git fetch's pipes open) cannot make or break a figure; the raw change beside it
// shows what a slope smooths.

export interface Sample {
  /** Seconds since traffic started. */
  t: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** Heap in use just after the last major GC: the sawtooth's floor, where a leak shows. */
  heapAfterGcBytes: number;
  /** V8's heap as reserved (the sawtooth's ceiling moves it), and memory outside it held by JS objects. */
  heapTotalBytes: number;
  externalBytes: number;
  /** Major GCs since driftguard started: the heap's floor is only known again after one. */
  majorGcs: number;
  openFds: number;
  /** driftguard's event-loop delay over the window since the previous sample (ms). */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** Requests answered in the window, and their latency as the client measured it. */
  requests: number;
  failures: number;
  p99Ms: number;
  commits: number;
  bindingChanges: number;
  /** Commits, pushes or RoleBinding changes of the soak itself that failed: the run did less than it says. */
  harnessFailures: number;
}

export interface Fit {
  /** Units per second. */
  slope: number;
  intercept: number;
}

/** Least-squares line through (x, y); a single point or none has slope 0. */
export function leastSquares(xs: readonly number[], ys: readonly number[]): Fit {
  const n = Math.min(xs.length, ys.length);
  if (n === 0) return { slope: 0, intercept: Number.NaN };
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += xs[i] as number;
    sy += ys[i] as number;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] as number) - mx;
    sxy += dx * ((ys[i] as number) - my);
    sxx += dx * dx;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

export interface Targets {
  /** RSS may grow at most this much over the judged window (the issue: 5 MB over the last 20 minutes). */
  rssGrowthBytes: number;
  heapGrowthBytes: number;
  fdGrowth: number;
  /** Late p99 over early p99 (medians of the first and last quarter of the judged windows). */
  p99Ratio: number;
  loopDelayRatio: number;
}

export const TARGETS: Targets = {
  rssGrowthBytes: 5 * 1024 * 1024,
  heapGrowthBytes: 5 * 1024 * 1024,
  fdGrowth: 1,
  p99Ratio: 1.5,
  loopDelayRatio: 1.5,
};

export interface Row {
  figure: string;
  value: string;
  target: string;
  /** Undefined: a figure shown for information, with no target of its own. */
  met: boolean | undefined;
}

export interface Summary {
  /** Samples judged: those at or after `warmupS`. */
  judged: number;
  windowS: number;
  rows: Row[];
  /** Every row with a target met, and there were at least two samples to judge. */
  ok: boolean;
}

const MB = 1024 * 1024;

/**
 * Judges the samples taken after `warmupS`. Memory and descriptors: the fitted growth over the judged
 * window. Latency and event-loop delay: stable if the last quarter's median p99 is within the ratio of
 * the first quarter's. Failures: none.
 */
export function summarize(samples: readonly Sample[], warmupS: number, targets: Targets = TARGETS): Summary {
  const judged = samples.filter((sample) => sample.t >= warmupS);
  const ts = judged.map((sample) => sample.t);
  const windowS = judged.length > 1 ? (ts.at(-1) as number) - (ts[0] as number) : 0;
  const enough = judged.length >= 2;
  const growth = (values: number[]) => leastSquares(ts, values).slope * windowS;
  const change = (values: number[]) =>
    values.length > 0 ? (values.at(-1) as number) - (values[0] as number) : 0;
  const rss = judged.map((s) => s.rssBytes);
  const heap = judged.map((s) => s.heapAfterGcBytes);
  const fds = judged.map((s) => s.openFds);
  const minutes = (windowS / 60).toFixed(1);
  const rows: Row[] = [
    memoryRow(
      `RSS growth over the last ${minutes} min (fit)`,
      growth(rss),
      change(rss),
      targets.rssGrowthBytes,
      enough,
    ),
    {
      figure: "RSS slope after warm-up",
      value: `${((leastSquares(ts, rss).slope * 3600) / MB).toFixed(2)} MB/h`,
      target: "",
      met: undefined,
    },
    heapRow(
      judged,
      `heap after major GC growth over the last ${minutes} min (fit)`,
      growth(heap),
      change(heap),
      targets,
    ),
    infoRow(`heap total (V8's reserved heap) growth (fit)`, growth(judged.map((s) => s.heapTotalBytes))),
    infoRow(`external and array buffers growth (fit)`, growth(judged.map((s) => s.externalBytes))),
    infoRow(
      `RSS outside the V8 heap (RSS − heap total) growth (fit)`,
      growth(judged.map((s) => s.rssBytes - s.heapTotalBytes)),
    ),
    {
      figure: `open descriptors growth over the last ${minutes} min (fit)`,
      value: `${signed(growth(fds), 2)} (raw ${signed(change(fds), 0)}, ${Math.min(...fds)}–${Math.max(...fds)})`,
      target: `< ${targets.fdGrowth}`,
      met: enough && growth(fds) < targets.fdGrowth,
    },
    ratioRow(
      "request p99 late / early",
      judged.map((s) => s.p99Ms),
      targets.p99Ratio,
    ),
    ratioRow(
      "event-loop delay p99 late / early",
      judged.map((s) => s.loopDelayP99Ms),
      targets.loopDelayRatio,
    ),
    failuresRow(samples),
    {
      figure: "commits, pushes or RoleBinding changes that failed",
      value: String(sum(samples, "harnessFailures")),
      target: "0",
      met: sum(samples, "harnessFailures") === 0,
    },
    {
      figure: "requests, Git commits, RBAC binding changes (whole run)",
      value: `${sum(samples, "requests")}, ${sum(samples, "commits")}, ${sum(samples, "bindingChanges")}`,
      target: "",
      met: undefined,
    },
  ];
  return { judged: judged.length, windowS, rows, ok: enough && rows.every((row) => row.met !== false) };
}

function memoryRow(figure: string, fitted: number, raw: number, limit: number, enough: boolean): Row {
  return {
    figure,
    value: `${signed(fitted / MB, 2)} MB (raw ${signed(raw / MB, 2)} MB)`,
    target: `< ${(limit / MB).toFixed(0)} MB`,
    met: enough && fitted < limit,
  };
}

/** A figure that explains another (where RSS grows), with no target of its own. */
function infoRow(figure: string, fitted: number): Row {
  return { figure, value: `${signed(fitted / MB, 2)} MB`, target: "", met: undefined };
}

/**
 * The floor only moves at a major GC: with fewer than two after warm-up (a short run) there is no trend
 * to judge, and a flat line of one value must not read as a pass.
 */
function heapRow(
  judged: readonly Sample[],
  figure: string,
  fitted: number,
  raw: number,
  targets: Targets,
): Row {
  const gcs = judged.length > 0 ? (judged.at(-1) as Sample).majorGcs - (judged[0] as Sample).majorGcs : 0;
  if (gcs < 2)
    return {
      figure,
      value: `not judged: ${gcs} major GC(s) after warm-up`,
      target: `< ${(targets.heapGrowthBytes / MB).toFixed(0)} MB`,
      met: false,
    };
  const row = memoryRow(figure, fitted, raw, targets.heapGrowthBytes, true);
  return { ...row, value: `${row.value}, ${gcs} major GCs` };
}

/** Medians of the first and last quarter (at least one sample each) of the judged windows. */
function ratioRow(figure: string, values: readonly number[], limit: number): Row {
  const quarter = Math.max(1, Math.floor(values.length / 4));
  const early = medianOf(values.slice(0, quarter));
  const late = medianOf(values.slice(-quarter));
  const ratio = late / early;
  const enough = values.length >= 2 && Number.isFinite(ratio);
  return {
    figure,
    value: enough ? `${ratio.toFixed(2)} (${early.toFixed(2)} → ${late.toFixed(2)} ms)` : "no samples",
    target: `≤ ${limit.toFixed(1)}`,
    met: enough && ratio <= limit,
  };
}

function failuresRow(samples: readonly Sample[]): Row {
  const failures = sum(samples, "failures");
  return {
    figure: "failed or wrong answers (whole run)",
    value: String(failures),
    target: "0",
    met: failures === 0,
  };
}

type Counted = "requests" | "failures" | "commits" | "bindingChanges" | "harnessFailures";

function sum(samples: readonly Sample[], key: Counted): number {
  return samples.reduce((total, sample) => total + sample[key], 0);
}

function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const mid = Math.floor(n / 2);
  return n % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function signed(value: number, digits: number): string {
  const text = value.toFixed(digits);
  return value >= 0 && !text.startsWith("-") ? `+${text}` : text;
}

/** The final table: each figure beside its target, MISS where missed, `-` where there is no target. */
export function formatSummary(summary: Summary): string {
  const header = ["figure", "value", "target", "result"];
  const lines = summary.rows.map((row) => [
    row.figure,
    row.value,
    row.target || "-",
    row.met === undefined ? "-" : row.met ? "ok" : "MISS",
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...lines.map((line) => (line[i] as string).length)),
  );
  const format = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] as number))
      .join("  ")
      .trimEnd();
  return [format(header), format(widths.map((w) => "-".repeat(w))), ...lines.map(format)].join("\n");
}
