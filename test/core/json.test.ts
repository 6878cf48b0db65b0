// identicalJson: equality with key order, the check behind the service's form cache.
import { describe, expect, it } from "vitest";
import { identicalJson } from "../../src/core/json.js";

describe("identicalJson", () => {
  it.each([
    [{ a: 1, b: [1, { c: null }] }, { a: 1, b: [1, { c: null }] }, true],
    [{ a: 1, b: 2 }, { b: 2, a: 1 }, false],
    [{ a: 1 }, { a: 1, b: 2 }, false],
    [{ a: 1, b: 2 }, { a: 1 }, false],
    [[1, 2], [2, 1], false],
    [{ a: [] }, { a: {} }, false],
    [{ a: null }, {}, false],
    ["0", 0, false],
  ])("%j vs %j → %s", (a, b, expected) => {
    expect(identicalJson(a as never, b as never)).toBe(expected);
    expect(identicalJson(b as never, a as never)).toBe(expected);
  });
});
