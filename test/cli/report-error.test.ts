// How the command line ends on an error: the exit status table and the text on stderr.
import { describe, expect, it } from "vitest";
import { exitStatusFor, formatError } from "../../src/cli/report-error.js";
import { ConfigError } from "../../src/config/errors.js";
import { DriftguardError, ERROR_CODES, type ErrorCode } from "../../src/errors.js";

describe("exitStatusFor", () => {
  it("maps every code to 2: never 0 or 1, which are a command's answers", () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[])
      expect(exitStatusFor(new DriftguardError(code, "x"))).toBe(2);
  });

  it("maps errors without a code, and things that are not errors, to 2 as well", () => {
    expect(exitStatusFor(new TypeError("x"))).toBe(2);
    expect(exitStatusFor("x")).toBe(2);
    expect(exitStatusFor(undefined)).toBe(2);
  });
});

describe("formatError", () => {
  it("prints `driftguard: what (where)`, then what to do", () => {
    const error = new DriftguardError("DG_LISTEN_FAILED", "cannot listen: the address is already in use", {
      where: "server.host 0.0.0.0, server.port 8443",
      hint: "set server.port to a free port",
    });
    expect(formatError(error)).toBe(
      "driftguard: cannot listen: the address is already in use (server.host 0.0.0.0, server.port 8443)\n  set server.port to a free port\n",
    );
  });

  it("lists every problem of a config, with the file, then the fix", () => {
    const lines = formatError(new ConfigError("c.yaml", ["mode: bad", "bogus: unknown key"])).split("\n");
    expect(lines).toEqual([
      "driftguard: config c.yaml has 2 problems:",
      "  - mode: bad",
      "  - bogus: unknown key",
      "  fix the file and run again; README.md lists every config key",
      "",
    ]);
  });

  it("an uncoded error: its first line, no stack, and a note that it was not foreseen", () => {
    const error = new TypeError("cannot read properties of undefined\n    at main (main.js:1:1)");
    expect(formatError(error)).toBe(
      "driftguard: cannot read properties of undefined\n  driftguard did not expect this error: if the message does not say what to change, please report it\n",
    );
  });
});
