// The soak's verdicts on made-up series: a leak is called a MISS, a flat run passes, warm-up is left out,
// and too few samples never pass.
import { describe, expect, it } from "vitest";
import { formatSummary, leastSquares, type Sample, summarize } from "./figures.js";

const MB = 1024 * 1024;

function series(n: number, step: number, at: (t: number) => Partial<Sample>): Sample[] {
  return Array.from({ length: n }, (_, i) => {
    const t = (i + 1) * step;
    return {
      t,
      rssBytes: 100 * MB,
      heapUsedBytes: 60 * MB,
      heapAfterGcBytes: 40 * MB,
      majorGcs: Math.floor(t / 60),
      heapTotalBytes: 80 * MB,
      externalBytes: 10 * MB,
      openFds: 25,
      loopDelayP99Ms: 11,
      loopDelayMaxMs: 20,
      requests: 400,
      failures: 0,
      p99Ms: 5,
      commits: 1,
      bindingChanges: 1,
      harnessFailures: 0,
      ...at(t),
    };
  });
}

const row = (summary: ReturnType<typeof summarize>, start: string) => {
  const found = summary.rows.find((r) => r.figure.startsWith(start));
  if (!found) throw new Error(`no row ${start}`);
  return found;
};

describe("leastSquares", () => {
  it("finds the line through exact points, and slope 0 for one point or a vertical set", () => {
    const fit = leastSquares([0, 1, 2, 3], [1, 3, 5, 7]);
    expect(fit.slope).toBeCloseTo(2);
    expect(fit.intercept).toBeCloseTo(1);
    expect(leastSquares([5], [9]).slope).toBe(0);
    expect(leastSquares([2, 2], [1, 9]).slope).toBe(0);
  });
});

describe("summarize", () => {
  it("passes a flat run with noise, and leaves warm-up growth out", () => {
    // 30 minutes at 10 s: the first 10 minutes grow by 60 MB, then flat with ±1 MB of noise.
    const samples = series(180, 10, (t) => ({
      rssBytes: (t < 600 ? 100 + (60 * t) / 600 : 160 + (t % 20 === 0 ? 1 : -1)) * MB,
      heapAfterGcBytes: (t < 600 ? 40 + t / 60 : 50) * MB,
    }));
    const summary = summarize(samples, 600);
    expect(summary.judged).toBe(121);
    expect(summary.windowS).toBe(1200);
    expect(row(summary, "RSS growth over the last 20.0 min").met).toBe(true);
    expect(summary.ok).toBe(true);
    expect(formatSummary(summary)).not.toContain("MISS");
  });

  it("calls a slow leak a MISS: 6 MB over the judged 20 minutes", () => {
    const samples = series(180, 10, (t) => ({ rssBytes: (100 + (6 * t) / 1200) * MB }));
    const summary = summarize(samples, 600);
    const rss = row(summary, "RSS growth");
    expect(rss.met).toBe(false);
    expect(rss.value).toMatch(/^\+6\.00 MB/);
    expect(summary.ok).toBe(false);
    expect(formatSummary(summary)).toMatch(/RSS growth over the last 20\.0 min \(fit\)\s+\+6\.00 MB.*MISS/);
  });

  it("misses a descriptor leak, a p99 that doubles, and any failure", () => {
    const samples = series(60, 10, (t) => ({
      openFds: 25 + Math.floor(t / 100),
      p99Ms: t > 450 ? 10 : 5,
      failures: t === 300 ? 1 : 0,
    }));
    const summary = summarize(samples, 200);
    expect(row(summary, "open descriptors").met).toBe(false);
    expect(row(summary, "request p99").met).toBe(false);
    expect(row(summary, "request p99").value).toBe("2.00 (5.00 → 10.00 ms)");
    expect(row(summary, "failed or wrong answers").value).toBe("1");
    expect(row(summary, "failed or wrong answers").met).toBe(false);
    expect(row(summary, "event-loop delay").met).toBe(true);
  });

  it("never passes with fewer than two samples after warm-up", () => {
    const summary = summarize(
      series(3, 10, () => ({})),
      25,
    );
    expect(summary.judged).toBe(1);
    expect(summary.ok).toBe(false);
    expect(row(summary, "RSS growth").met).toBe(false);
  });

  it("does not judge the heap without two major GCs after warm-up: a flat floor is no evidence", () => {
    const summary = summarize(
      series(12, 10, () => ({ majorGcs: 1 })),
      30,
    );
    const heap = row(summary, "heap after major GC");
    expect(heap.value).toBe("not judged: 0 major GC(s) after warm-up");
    expect(heap.met).toBe(false);
    expect(summary.ok).toBe(false);
  });

  it("counts a failed commit or RoleBinding change of the soak itself", () => {
    const summary = summarize(
      series(10, 10, (t) => ({ harnessFailures: t === 50 ? 1 : 0 })),
      30,
    );
    expect(row(summary, "commits, pushes or RoleBinding changes that failed").met).toBe(false);
  });
});
