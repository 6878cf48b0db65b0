// Tokens of a JSON value match exactly what identicalJson calls identical: same values, same key order,
// nothing inherited (property over arbitrary JSON, and the cases that differ only in order or type).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { identicalJson } from "../../src/core/json.js";
import { matchesTokens, tokensOf } from "../../src/core/json-tokens.js";
import type { Json } from "../../src/core/types.js";

const matches = (a: Json | undefined, b: Json | undefined) => matchesTokens(tokensOf([a]), [b]);

describe("json tokens", () => {
  it.each<[string, Json | undefined, Json | undefined, boolean]>([
    ["equal objects", { a: 1, b: [true, null, "x"] }, { a: 1, b: [true, null, "x"] }, true],
    ["another key order", { a: 1, b: 2 }, { b: 2, a: 1 }, false],
    ["a key more", { a: 1 }, { a: 1, b: 2 }, false],
    ["a key less", { a: 1, b: 2 }, { a: 1 }, false],
    ["a number as a string", { a: 1 }, { a: "1" }, false],
    ["an empty object and an empty list", {}, [], false],
    ["a list one longer", [1, 2], [1, 2, 3], false],
    ["null and absent", null, undefined, false],
    ["absent and absent", undefined, undefined, true],
    ["nested change", { a: { b: { c: [1, { d: "x" }] } } }, { a: { b: { c: [1, { d: "y" }] } } }, false],
  ])("%s", (_, a, b, expected) => {
    expect(matches(a, b)).toBe(expected);
    expect(identicalJson(a, b)).toBe(expected);
  });

  it("never matches a value that inherits a key (a polluted prototype)", () => {
    const inherited = Object.create({ polluted: 1 }) as Record<string, Json>;
    inherited.a = 1;
    expect(matches({ a: 1 }, inherited)).toBe(false);
    expect(identicalJson({ a: 1 }, inherited)).toBe(false);
  });

  it("matches a sequence of values one by one, and no more or fewer", () => {
    const tokens = tokensOf([{ a: 1 }, undefined, [2]]);
    expect(matchesTokens(tokens, [{ a: 1 }, undefined, [2]])).toBe(true);
    expect(matchesTokens(tokens, [{ a: 1 }, undefined])).toBe(false);
    expect(matchesTokens(tokens, [{ a: 1 }, [2], undefined])).toBe(false);
  });

  it("agrees with identicalJson on arbitrary JSON and on reordered copies (property)", () => {
    const shuffled = (value: Json, seed: number): Json => {
      if (value === null || typeof value !== "object") return value;
      if (Array.isArray(value)) return value.map((item) => shuffled(item, seed + 1));
      const keys = Object.keys(value);
      const order = seed % 2 === 0 ? keys.reverse() : keys;
      return Object.fromEntries(order.map((key) => [key, shuffled(value[key] as Json, seed + 1)]));
    };
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), fc.jsonValue({ maxDepth: 5 }), fc.nat(), (a, b, seed) => {
        const left = a as Json;
        for (const right of [b as Json, structuredClone(left), shuffled(left, seed)]) {
          expect(matches(left, right)).toBe(identicalJson(left, right));
        }
      }),
      { numRuns: 500 },
    );
  });
});
