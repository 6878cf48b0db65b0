// The soak's flags: defaults as the issue asks (30 minutes, a sample every 10 s), and a clear error for
// anything that is not a positive number or would not give two samples.
import { describe, expect, it } from "vitest";
import { parseSoakArgs, UsageError } from "./args.js";

describe("parseSoakArgs", () => {
  it("defaults to 30 minutes, a sample every 10 s, the real control plane, the built CLI", () => {
    expect(parseSoakArgs([])).toEqual({
      minutes: 30,
      sampleSeconds: 10,
      rate: 40,
      connections: 4,
      commitSeconds: 10,
      rbacSeconds: 10,
      cluster: "on",
      fromSource: false,
      keep: false,
    });
  });

  it("takes a shorter run and the smoke's flags", () => {
    const options = parseSoakArgs([
      "--minutes",
      "0.75",
      "--sample-seconds",
      "5",
      "--cluster",
      "cached",
      "--from-source",
    ]);
    expect(options).toMatchObject({ minutes: 0.75, sampleSeconds: 5, cluster: "cached", fromSource: true });
  });

  it.each([
    [["--minutes", "0"], "--minutes must be a positive number"],
    [["--minutes", "ten"], "--minutes must be a positive number"],
    [["--rate=-3"], "--rate must be a positive number"],
    [["--rate", "-3"], "argument is ambiguous"],
    [["--cluster", "kind"], "--cluster must be on, cached or off"],
    [["--minutes", "0.1", "--sample-seconds", "5"], "at least two samples"],
  ])("refuses %j", (argv, message) => {
    expect(() => parseSoakArgs(argv)).toThrow(UsageError);
    expect(() => parseSoakArgs(argv)).toThrow(message);
  });

  it("refuses an unknown flag", () => {
    expect(() => parseSoakArgs(["--hours", "1"])).toThrow(/Unknown option '--hours'/);
  });
});
