// The scanner the e2e secrets test relies on (test/support/secret-scan.ts): it must find a secret in every
// form a leak takes, and nothing where there is none.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Artefact,
  base64Cores,
  countsOf,
  describeHit,
  findLeak,
  linesOf,
  type Secret,
  summaryOf,
} from "../support/secret-scan.js";

const TOKEN: Secret = { name: "gitToken", value: "gittok-7a8b9c0d1e2f" };
const PASSWORD: Secret = { name: "dbPassword", value: 'pa"ss\\word/9z8y+7x' };
const KEY: Secret = {
  name: "sshKey",
  value: "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB",
  fragments: ["QyNTUxOQAAACBr3hXq", "AAAEbm9uZQAAAAAAAAAB"],
};
const art = (text: string): Artefact => ({ kind: "log line", name: "driftguard.log:1", text });
const b64 = (text: string) => Buffer.from(text).toString("base64");

describe("findLeak", () => {
  it.each([
    [
      "a JSON string",
      JSON.stringify({ msg: "fetch", url: `http://bot:${TOKEN.value}@h/r` }),
      TOKEN,
      "as written",
    ],
    ["an escaped JSON string", JSON.stringify({ value: PASSWORD.value }), PASSWORD, "JSON-escaped"],
    [
      "JSON inside JSON",
      JSON.stringify({ note: JSON.stringify({ value: PASSWORD.value }) }),
      PASSWORD,
      "JSON-escaped twice",
    ],
    ["a URL", `https://h/r?token=${encodeURIComponent(PASSWORD.value)}`, PASSWORD, "URL-encoded"],
    ["a Basic auth header", `authorization: Basic ${b64(`bot:${TOKEN.value}`)}`, TOKEN, "base64"],
    ["base64 at offset 0", b64(TOKEN.value), TOKEN, "base64"],
    ["base64 at offset 2", b64(`xy${TOKEN.value}zz`), TOKEN, "base64"],
    [
      "base64url",
      Buffer.from(`?${PASSWORD.value}`).toString("base64url"),
      PASSWORD,
      expect.stringMatching(/^base64/),
    ],
    ["a key line", "key: QyNTUxOQAAACBr3hXq", KEY, "as written (fragment 1)"],
  ])("finds the secret in %s", (_what, text, secret, form) => {
    const hit = findLeak([art("nothing here"), art(text)], [secret]);
    expect(hit).toMatchObject({ secret: secret.name, form, artefact: "driftguard.log:1" });
  });

  it.each([
    ["no secret", '{"msg":"decision record","value":"<masked>"}'],
    ["a masked URL", "http://***@127.0.0.1:4000/remote"],
    ["part of the token only", "gittok-7a8b9c0d"],
    ["base64 of something else", b64("bot:another-token-1234")],
  ])("finds nothing in %s", (_what, text) => {
    expect(findLeak([art(text)], [TOKEN, PASSWORD, KEY])).toBeUndefined();
  });

  it("reports the first hit, and its context masks every secret", () => {
    const text = `a ${TOKEN.value} b ${PASSWORD.value} c`;
    const hit = findLeak([art(text)], [TOKEN, PASSWORD]);
    expect(hit).toBeDefined();
    const message = describeHit(hit ?? ({} as never));
    expect(message).toContain("secret gitToken (as written) found in log line driftguard.log:1");
    expect(message).toContain("<secret gitToken>");
    expect(message).toContain("<secret dbPassword>");
    expect(message).not.toContain(TOKEN.value);
    expect(message).not.toContain(PASSWORD.value);
  });

  it("finds a token base64-encoded between any bytes", () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.stringMatching(/^[A-Za-z0-9._~-]{12,40}$/),
        (before, after, value) => {
          const text = b64(`${before}${value}${after}`);
          expect(findLeak([art(text)], [{ name: "t", value }])?.secret).toBe("t");
        },
      ),
    );
  });
});

describe("base64Cores", () => {
  it("gives one core per alignment, each a part of the value's encoding there", () => {
    const cores = base64Cores("abcdefghijkl");
    expect(cores).toHaveLength(3);
    expect(cores[0]).toBe(b64("abcdefghijkl"));
    for (const [pad, core] of cores.entries()) expect(b64(`${"x".repeat(pad)}abcdefghijkl`)).toContain(core);
  });
});

describe("counts", () => {
  it("counts artefacts by kind, and a log as its lines", () => {
    const artefacts = [
      ...linesOf("log line", "a.log", "one\n\ntwo\nthree\n"),
      { kind: "Event", name: "ns/e", text: "{}" },
    ];
    expect(artefacts.map((artefact) => artefact.name)).toEqual(["a.log:1", "a.log:3", "a.log:4", "ns/e"]);
    expect([...countsOf(artefacts)]).toEqual([
      ["log line", 3],
      ["Event", 1],
    ]);
    expect(summaryOf(artefacts, 0)).toBe("scanned 3 × log line, 1 × Event; 0 hits");
  });
});
