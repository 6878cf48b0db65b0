// The validate route's JSON parser against fastify's default one (the oracle: same answer, ok or refused,
// for every body), by table and by property over bodies full of the keys that poisoning uses.
import fc from "fast-check";
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { parseJsonBody, poisonedKeyIn } from "../../src/http/json-body.js";

type Outcome = { ok: true; value: unknown } | { ok: false };

const defaultParser = Fastify().getDefaultJsonParser("error", "error");

function fastifyDefault(body: string): Outcome {
  let outcome: Outcome = { ok: false };
  // The default parser calls back synchronously.
  defaultParser({} as never, body, (error, value) => {
    outcome = error ? { ok: false } : { ok: true, value };
  });
  return outcome;
}

function ours(body: string): Outcome {
  try {
    return { ok: true, value: parseJsonBody(body) };
  } catch {
    return { ok: false };
  }
}

describe("parseJsonBody", () => {
  it.each([
    ["a plain object", '{"a":{"b":[1,"x",null]}}', true],
    ["a scalar", "42", true],
    ["a byte order mark first", '\ufeff{"a":1}', true],
    ["an own __proto__", '{"a":{"__proto__":{"x":1}}}', false],
    ["__proto__ spelled with escapes", '{"\\u005f_pr\\u006fto__":1}', false],
    ["__proto__ as a value only", '{"a":"__proto__"}', true],
    ["constructor with a prototype", '{"constructor":{"prototype":{}}}', false],
    ["constructor inside a list", '[{"x":[{"constructor":{"prototype":1}}]}]', false],
    ["constructor holding a string", '{"constructor":"x"}', true],
    ["constructor without prototype", '{"constructor":{"name":"x"}}', true],
    ["prototype without constructor", '{"prototype":{}}', true],
    ["an escape elsewhere", '{"a":"\\u003c"}', true],
    ["empty", "", false],
    ["not JSON", "{", false],
  ])("%s: accepted %s, as fastify's default parser decides", (_name, body, accepted) => {
    expect(ours(body).ok).toBe(accepted);
    expect(ours(body)).toEqual(fastifyDefault(body));
  });

  it("names the key it refuses, with a 400 status", () => {
    expect(() => parseJsonBody('{"constructor":{"prototype":{}}}')).toThrow(
      expect.objectContaining({ statusCode: 400, code: "DG_REVIEW_INVALID" }),
    );
    expect(poisonedKeyIn(JSON.parse('[{"a":{"__proto__":1}}]'))).toBe("__proto__");
  });

  it("walks a body nested a hundred thousand levels without overflowing the stack", () => {
    const depth = 100_000;
    const body = `${'{"a":'.repeat(depth)}{"__proto__":1}${"}".repeat(depth)}`;
    expect(poisonedKeyIn(JSON.parse(body))).toBe("__proto__");
  });

  it("agrees with fastify's default parser on bodies made of poisoning keys", () => {
    const key = fc.constantFrom(
      "__proto__",
      "\\u005f_proto__",
      "__pr\\u006fto__",
      "constructor",
      "c\\u006fnstructor",
      "prototype",
      "name",
      "\\u0061",
    );
    const leaf = fc.constantFrom("1", "null", '"x"', '"__proto__"', '"\\u0063"', "[]", "{}");
    const { value } = fc.letrec<{ value: string }>((tie) => ({
      value: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        leaf,
        fc.array(tie("value"), { maxLength: 3 }).map((items) => `[${items.join(",")}]`),
        fc
          .array(fc.tuple(key, tie("value")), { maxLength: 3 })
          .map((members) => `{${members.map(([k, v]) => `"${k}":${v}`).join(",")}}`),
      ),
    }));
    fc.assert(
      fc.property(value, (body) => {
        expect(ours(body)).toEqual(fastifyDefault(body));
      }),
      { numRuns: 2_000 },
    );
  });
});
