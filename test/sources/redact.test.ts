import { describe, expect, test } from "vitest";
import { describeError, redactText, redactUrl } from "../../src/sources/redact.js";

describe("redactUrl", () => {
  test.each([
    ["https://user:tok@h/x", "https://***@h/x"],
    ["https://tok@github.example/org/repo.git", "https://***@github.example/org/repo.git"],
    ["ssh://git@h:2222/repo.git", "ssh://***@h:2222/repo.git"],
    ["https://u:p%40ss@h/x", "https://***@h/x"],
    ["https://u:to/ken@h/x", "https://***@h/x"],
    // An unencoded `@` in the password: hidden to the last `@`, never a tail of it left shown.
    ["https://u:p@ss@h/x", "https://***@h/x"],
    ["https://h/x", "https://h/x"],
    ["git@h:org/repo.git", "git@h:org/repo.git"],
    ["/srv/git/repo", "/srv/git/repo"],
    ["file:///srv/git/repo", "file:///srv/git/repo"],
  ])("%s → %s", (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});

describe("redactText", () => {
  test("hides every URL's userinfo in a message, as git quotes it", () => {
    const message =
      "fatal: unable to access 'https://bot:s3cret@h/a.git/': 401; mirror http://x:y@m/b failed";
    expect(redactText(message)).toBe(
      "fatal: unable to access 'https://***@h/a.git/': 401; mirror http://***@m/b failed",
    );
  });

  test("leaves e-mail addresses and plain text alone", () => {
    expect(redactText("committer: a@b.example, see https://h/x")).toBe(
      "committer: a@b.example, see https://h/x",
    );
  });
});

describe("describeError", () => {
  test("keeps git's fatal lines, on one line, redacted", () => {
    const error = new Error("Cloning...\nhint: something\nfatal: could not read from 'https://u:tok@h/x'\n");
    expect(describeError(error)).toBe("fatal: could not read from 'https://***@h/x'");
  });

  test("redacts before cutting a long message", () => {
    const long = `fatal: ${"x".repeat(480)} https://user:${"t".repeat(40)}@h/x`;
    const described = describeError(new Error(long));
    expect(described).not.toContain("tttt");
    expect(described.length).toBeLessThanOrEqual(500);
  });
});

test("describeError keeps the transport's reason that precedes git's fatal line", () => {
  const stderr =
    "Host key verification failed.\r\nfatal: Could not read from remote repository.\n\nPlease make sure...";
  expect(describeError(new Error(stderr))).toBe(
    "Host key verification failed.; fatal: Could not read from remote repository.",
  );
});
