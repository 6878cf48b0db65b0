// Every row of docs/kubernetes-facts.md §3.2: what Git may write and what the API server stores compare equal.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalQuantity, formatQuantity, parseQuantity } from "../../src/core/quantity.js";

// [Git's spelling, what the webhook sees for container resources]
const SERVER_ROWS: [string | number, string][] = [
  ["0.5", "500m"],
  [".5", "500m"],
  ["1.0", "1"],
  ["1000m", "1"],
  ["1.5", "1500m"],
  ["0.1", "100m"],
  ["1.2", "1200m"],
  ["3.5", "3500m"],
  ["1100m", "1100m"],
  ["2000m", "2"],
  ["0.0001", "1m"],
  ["0.0005", "1m"],
  ["1.0001m", "2m"],
  ["1.5e-3", "2e-3"],
  ["1024Mi", "1Gi"],
  ["4096Mi", "4Gi"],
  ["2048Ki", "2Mi"],
  ["1024Ki", "1Mi"],
  ["1536Mi", "1536Mi"],
  ["1.5Gi", "1536Mi"],
  ["1.5Mi", "1536Ki"],
  ["2.5Gi", "2560Mi"],
  ["0.5Gi", "512Mi"],
  ["0.25Gi", "256Mi"],
  ["0.1Gi", "107374182400m"],
  ["1000Mi", "1000Mi"],
  ["1000Ki", "1000Ki"],
  ["123Mi", "123Mi"],
  ["64Mi", "64Mi"],
  ["512Mi", "512Mi"],
  ["1024Gi", "1Ti"],
  ["0.5Ki", "512"],
  ["1.5Ki", "1536"],
  ["1000", "1k"],
  ["1000000", "1M"],
  ["1000k", "1M"],
  ["10000M", "10G"],
  ["0.5M", "500k"],
  ["1024", "1024"],
  ["1048576", "1048576"],
  ["128974848", "128974848"],
  ["123456789", "123456789"],
  ["1024k", "1024k"],
  ["256M", "256M"],
  ["250M", "250M"],
  ["129M", "129M"],
  ["1e3", "1e3"],
  ["1e6", "1e6"],
  ["1e9", "1e9"],
  ["12e6", "12e6"],
  ["129e6", "129e6"],
  ["1e-3", "1e-3"],
  ["1e2", "100"],
  ["1.5e3", "1500"],
  ["5e-1", "500e-3"],
  ["0", "0"],
  ["0m", "0"],
  ["0Mi", "0"],
  ["00", "0"],
  ["-1", "-1"],
  ["+1", "+1"],
  ["01", "01"],
  ["1.", "1."],
  ["1E3", "1E3"],
  [1, "1"],
  [0.5, "500m"],
  [2.5, "2500m"],
  [1000, "1k"],
  [1024, "1024"],
];

describe("quantities compare by value (docs/kubernetes-facts.md §3.2)", () => {
  it.each(SERVER_ROWS)("Git %s = server %s", (git, server) => {
    expect(canonicalQuantity(git, true)).toBe(canonicalQuantity(server, true));
    expect(canonicalQuantity(git, true)).toBeDefined();
  });

  it.each([
    ["1", "2"],
    ["500m", "0.6"],
    ["1Gi", "1G"],
    ["64Mi", "65Mi"],
    ["1m", "2m"],
  ])("%s differs from %s", (a, b) => {
    expect(canonicalQuantity(a, true)).not.toBe(canonicalQuantity(b, true));
  });

  it.each(["", "1K", "1KB", "gi", "1 Mi", "abc", "1e999", "--1", "1.2.3"])("rejects %j", (text) => {
    expect(parseQuantity(text)).toBeUndefined();
  });

  it("prints readable canonical forms", () => {
    expect(
      ["1Gi", "1536Mi", "500m", "1G", "100u", "1", "1k"].map((q) => canonicalQuantity(q, false)),
    ).toEqual(["1Gi", "1536Mi", "500m", "1G", "100u", "1", "1k"]);
  });

  it("format and parse round-trip for any value (property)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n }), (nanos) => {
        expect(parseQuantity(formatQuantity(nanos))).toBe(nanos);
      }),
    );
  });
});
