// The break-glass expiry (driftguard.io/expires-at) reads RFC 3339 date-times only; anything else,
// including dates JavaScript would quietly roll over, is unparsable (and so counts as expired).
import { describe, expect, it } from "vitest";
import { parseExpiry } from "../../src/rbac/expiry.js";

describe("parseExpiry", () => {
  it.each([
    ["2026-11-24T12:00:00Z", "2026-11-24T12:00:00.000Z"],
    ["2026-11-24t12:00:00z", "2026-11-24T12:00:00.000Z"],
    ["2026-11-24T12:00:00.5Z", "2026-11-24T12:00:00.500Z"],
    ["2026-11-24T12:00:00.123456789Z", "2026-11-24T12:00:00.123Z"],
    ["2026-11-24T13:30:00+01:30", "2026-11-24T12:00:00.000Z"],
    ["2026-11-24T04:00:00-08:00", "2026-11-24T12:00:00.000Z"],
    ["2026-11-24T12:00:00-00:00", "2026-11-24T12:00:00.000Z"],
    ["2028-02-29T00:00:00Z", "2028-02-29T00:00:00.000Z"],
    ["2000-02-29T00:00:00Z", "2000-02-29T00:00:00.000Z"],
    ["  2026-11-24T12:00:00Z\n", "2026-11-24T12:00:00.000Z"],
  ])("%j is %s", (text, iso) => {
    expect(new Date(parseExpiry(text)).toISOString()).toBe(iso);
  });

  it.each([
    "2026-02-30T00:00:00Z", // Date.parse: March 2
    "2026-02-29T00:00:00Z", // not a leap year
    "2100-02-29T00:00:00Z", // nor is 2100
    "2026-04-31T00:00:00Z",
    "2026-11-24T24:00:00Z", // Date.parse: the next midnight
    "2026-11-24T23:60:00Z",
    "2026-11-24T23:59:60Z",
    "2026-13-01T00:00:00Z",
    "2026-00-10T00:00:00Z",
    "2026-11-00T00:00:00Z",
    "2026-11-24T12:00:00+24:00",
    "2026-11-24T12:00:00+01:60",
    "2026-11-24T12:00:00", // no offset: whose local time?
    "2026-11-24 12:00:00Z",
    "2026-11-24",
    "1764000000",
    "tomorrow",
    "",
  ])("%j is unparsable", (text) => {
    expect(parseExpiry(text)).toBeNaN();
  });
});
