import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "../../src/config/durations.js";

describe("parseDuration", () => {
  it.each([
    ["60s", 60_000],
    ["5m", 300_000],
    ["1h30m", 5_400_000],
    ["1m30s", 90_000],
    ["500ms", 500],
    ["1.5s", 1_500],
    ["0s", 0],
    [90, 90_000],
    [0, 0],
  ] as const)("%j is %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "60", "5x", "1h 30m", "-5s", "s", "5S", 1.5, -1, true, null])("refuses %j", (value) => {
    expect(parseDuration(value)).toBeUndefined();
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [500, "500ms"],
    [5_000, "5s"],
    [90_000, "1m30s"],
    [5_400_000, "1h30m"],
  ])("%d ms is %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
