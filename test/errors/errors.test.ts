// The error vocabulary: stable codes, the subclasses keep them, and describeError's text.

import { describe, expect, it } from "vitest";
import { CliError } from "../../src/cli/errors.js";
import { ConfigError } from "../../src/config/errors.js";
import {
  DriftguardError,
  describeError,
  describeFileError,
  ERROR_CODES,
  type ErrorCode,
  internalError,
} from "../../src/errors.js";
import { KubeConfigError } from "../../src/kube/kubeconfig.js";
import { describeApiError } from "../../src/kube/self-managed/api-status.js";
import { RbacLoadError } from "../../src/rbac/load-dir.js";
import { SourceError } from "../../src/sources/source-error.js";

describe("the code catalogue", () => {
  it("holds DG_ codes in upper snake case, each with a description", () => {
    for (const [code, meaning] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^DG_[A-Z]+(_[A-Z]+)*$/);
      expect(meaning.length).toBeGreaterThan(10);
    }
  });

  it("every existing error class is a DriftguardError with its catalogue code", () => {
    const cases: [DriftguardError, ErrorCode][] = [
      [new ConfigError("c.yaml", ["mode: must be one of audit, enforce"]), "DG_CONFIG_INVALID"],
      [new CliError("--out DIR is required"), "DG_CLI_USAGE"],
      [new CliError("no input", undefined, { code: "DG_INPUT_UNREADABLE" }), "DG_INPUT_UNREADABLE"],
      [new RbacLoadError("a.yaml: not valid YAML", "fix it"), "DG_RBAC_LOAD"],
      [new KubeConfigError("cannot load", "fix it"), "DG_KUBECONFIG_INVALID"],
      [new SourceError("FETCH_FAILED", "git fetch failed"), "DG_SOURCE_FETCH_FAILED"],
      [new SourceError("FETCH_TIMEOUT", "git fetch timed out"), "DG_SOURCE_FETCH_TIMEOUT"],
      [new SourceError("SNAPSHOT_INVALID", "snapshot ignored"), "DG_SOURCE_SNAPSHOT_INVALID"],
      [internalError("unvalidated duration"), "DG_INTERNAL"],
    ];
    for (const [error, code] of cases) {
      expect(error).toBeInstanceOf(DriftguardError);
      expect(error.code).toBe(code);
      expect(Object.keys(ERROR_CODES)).toContain(error.code);
    }
  });

  it("ConfigError keeps its problems and says what to do", () => {
    const error = new ConfigError("c.yaml", ["mode: bad", "sources: missing"]);
    expect(error.problems).toEqual(["mode: bad", "sources: missing"]);
    expect(error.hint).toContain("fix the file");
    const unreadable = new ConfigError("c.yaml", ["cannot read the file: no such file"], {
      unreadable: true,
    });
    expect(unreadable.hint).toContain("--config");
  });

  it("SourceError stays redacted, keeps no raw cause, and has a hint per code", () => {
    const raw = new Error("fatal: unable to access 'https://bot:s3cret@git.example/x.git/': 403");
    const error = new SourceError("FETCH_FAILED", "git fetch failed", { cause: raw });
    expect(error.message).toContain("https://***@git.example/x.git/");
    expect(error.message).not.toContain("s3cret");
    expect(error.cause).toBeUndefined();
    expect(error.hint).toMatch(/url and auth/);
  });

  it("a broken invariant says it is a bug, not the user's doing", () => {
    expect(internalError("x").hint).toMatch(/bug/);
  });
});

describe("describeError", () => {
  it("renders what (where), then the hint indented on a second line", () => {
    const error = new DriftguardError("DG_TLS_UNUSABLE", "cannot serve TLS: no such file or folder", {
      where: "server.tlsCertFile /etc/tls.crt",
      hint: "point server.tlsCertFile at a PEM certificate",
    });
    expect(describeError(error)).toBe(
      "cannot serve TLS: no such file or folder (server.tlsCertFile /etc/tls.crt)\n  point server.tlsCertFile at a PEM certificate",
    );
    expect(describeError(new DriftguardError("DG_CLI_USAGE", "bad"))).toBe("bad");
  });

  it("never shows a stack, and keeps one line of an uncoded error", () => {
    const error = new TypeError("x is not a function\n    at f (file.js:1:1)\n    at g (file.js:2:2)");
    expect(describeError(error)).toBe("x is not a function");
    expect(describeError(new Error("boom"))).toBe("boom");
  });

  it("hides the credentials of URLs in any error", () => {
    const text = describeError(new Error("cannot reach https://user:tok3n@host.example/repo"));
    expect(text).toBe("cannot reach https://***@host.example/repo");
    const coded = new DriftguardError("DG_CLI_USAGE", "see ssh://git:pw@host/x", { where: "http://a:b@c/" });
    expect(describeError(coded)).toBe("see ssh://***@host/x (http://***@c/)");
  });

  it.each([
    ["Bearer not-a-real-token", "Bearer ***"],
    ["request failed: Authorization: Bearer eyJhbGciOi.x-y_z", "request failed: Authorization: Bearer ***"],
    ['{"authorization":"Basic Ym90OnMzY3JldA=="}', '{"authorization":"Basic ***"}'],
    ["bearer abc, then more", "bearer ***, then more"],
  ])("hides an Authorization value quoted in an error: %s", (message, shown) => {
    expect(describeError(new Error(message))).toBe(shown);
    expect(describeError(message)).toBe(shown);
  });

  it("hides a token quoted in the API server's Status message too", () => {
    const error = Object.assign(new Error("HTTP-Code: 401"), {
      code: 401,
      body: JSON.stringify({ kind: "Status", message: "Unauthorized: Bearer s3cr3t-token" }),
    });
    expect(describeApiError(error, describeError)).toBe("401: Unauthorized: Bearer ***");
  });

  it("describes anything thrown, and cuts what is too long", () => {
    expect(describeError("plain text")).toBe("plain text");
    expect(describeError(42)).toBe("42");
    expect(describeError(undefined)).toBe("unknown error");
    expect(describeError(null)).toBe("unknown error");
    expect(describeError(new Error(""))).toBe("Error without a message");
    const long = describeError(new Error("x".repeat(2000)));
    expect(long).toHaveLength(500);
    expect(long.endsWith("...")).toBe(true);
  });
});

describe("describeFileError", () => {
  it("words the file system's codes, and falls back to describeError", () => {
    const enoent = Object.assign(new Error("ENOENT: no such file or directory, open '/x'"), {
      code: "ENOENT",
    });
    expect(describeFileError(enoent)).toBe("no such file or folder");
    expect(describeFileError(Object.assign(new Error("EACCES: ..."), { code: "EACCES" }))).toBe(
      "permission denied",
    );
    expect(describeFileError(Object.assign(new Error("EIO: i/o error"), { code: "EIO" }))).toBe(
      "EIO: i/o error",
    );
    expect(describeFileError("gone")).toBe("gone");
  });
});

describe("credentials in error text", () => {
  it.each([
    ["cannot fetch https://bot:tok@git.example/r.git", "cannot fetch https://***@git.example/r.git"],
    // An unencoded `@` in the password: hidden to the last `@`, no tail of it left.
    ["cannot fetch https://bot:p@ss@git.example/r.git", "cannot fetch https://***@git.example/r.git"],
    ["401: Authorization: Bearer eyJhbGciOi.abc", "401: Authorization: Bearer ***"],
  ])("%s", (message, shown) => {
    expect(describeError(new DriftguardError("DG_INTERNAL", message))).toBe(shown);
  });
});
