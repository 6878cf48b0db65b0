// The web view's query parameters (src/web/view-query.ts): an unknown name or a malformed value is a
// 400 DG_VIEW_BAD_QUERY that names it, never silently read as "everything".
import { describe, expect, it } from "vitest";
import { ViewError } from "../../src/web/access.js";
import { decisionsQuery, driftQuery, noQuery, type RawQuery } from "../../src/web/view-query.js";

const NOW = Date.parse("2026-12-02T04:00:00Z");
const MAX = 500;
const LONG = "a".repeat(254);

function badQuery(run: () => unknown): ViewError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ViewError);
    const viewError = error as ViewError;
    expect(viewError.status).toBe(400);
    expect(viewError.code).toBe("DG_VIEW_BAD_QUERY");
    expect(viewError.hint).toBeTruthy();
    return viewError;
  }
  throw new Error("expected a DG_VIEW_BAD_QUERY");
}

describe("driftQuery", () => {
  const good: { query: RawQuery; expected: ReturnType<typeof driftQuery> }[] = [
    { query: {}, expected: { namespace: undefined, state: undefined } },
    { query: { namespace: "shop" }, expected: { namespace: "shop", state: undefined } },
    { query: { state: "drifted" }, expected: { namespace: undefined, state: "drifted" } },
    { query: { state: "in-sync", namespace: "ops" }, expected: { namespace: "ops", state: "in-sync" } },
    { query: { state: "unmanaged" }, expected: { namespace: undefined, state: "unmanaged" } },
    { query: { state: "unknown" }, expected: { namespace: undefined, state: "unknown" } },
    // An empty form field (`?namespace=&state=`) means "any", as the page's filters send it.
    { query: { namespace: "", state: "" }, expected: { namespace: undefined, state: undefined } },
    { query: { namespace: "a".repeat(253) }, expected: { namespace: "a".repeat(253), state: undefined } },
  ];
  it.each(good)("parses $query", ({ query, expected }) => {
    expect(driftQuery(query)).toEqual(expected);
  });

  const bad: { name: string; query: RawQuery; says: string }[] = [
    { name: "a typo of a name", query: { namspace: "shop" }, says: '"namspace"' },
    { name: "a decisions parameter", query: { limit: "5" }, says: '"limit"' },
    { name: "a repeated namespace", query: { namespace: ["shop", "ops"] }, says: "more than once" },
    { name: "a repeated state", query: { state: ["drifted", "drifted"] }, says: "more than once" },
    { name: "a state that is none", query: { state: "Drifted" }, says: "not a state" },
    { name: "an overlong namespace", query: { namespace: LONG }, says: "longer than 253" },
  ];
  it.each(bad)("refuses $name", ({ query, says }) => {
    expect(badQuery(() => driftQuery(query)).message).toContain(says);
  });

  it("names the states in the hint", () => {
    expect(badQuery(() => driftQuery({ state: "bad" })).hint).toBe(
      "give one of drifted, in-sync, unmanaged, unknown",
    );
  });

  it("cuts an overlong unknown name in its message", () => {
    const message = badQuery(() => driftQuery({ ["x".repeat(10_000)]: "1" })).message;
    expect(message.length).toBeLessThan(120);
  });
});

describe("decisionsQuery", () => {
  const good: { query: RawQuery; expected: ReturnType<typeof decisionsQuery> }[] = [
    { query: {}, expected: { filter: {}, limit: MAX } },
    {
      query: { namespace: "shop", name: "web", user: "alice" },
      expected: { filter: { namespace: "shop", name: "web", user: "alice" }, limit: MAX },
    },
    {
      query: { user: "argocd/argocd-application-controller" },
      expected: { filter: { user: "argocd/argocd-application-controller" }, limit: MAX },
    },
    { query: { since: "30m" }, expected: { filter: { since: NOW - 30 * 60_000 }, limit: MAX } },
    { query: { since: "1h30m" }, expected: { filter: { since: NOW - 90 * 60_000 }, limit: MAX } },
    { query: { since: "0s" }, expected: { filter: { since: NOW }, limit: MAX } },
    { query: { limit: "1" }, expected: { filter: {}, limit: 1 } },
    { query: { limit: String(MAX) }, expected: { filter: {}, limit: MAX } },
    { query: { limit: "007" }, expected: { filter: {}, limit: 7 } },
    { query: { limit: "", since: "" }, expected: { filter: {}, limit: MAX } },
  ];
  it.each(good)("parses $query", ({ query, expected }) => {
    const parsed = decisionsQuery(query, MAX, NOW);
    expect(parsed.limit).toBe(expected.limit);
    // Absent filters are undefined keys: compare what is set.
    expect(Object.fromEntries(Object.entries(parsed.filter).filter(([, v]) => v !== undefined))).toEqual(
      expected.filter,
    );
  });

  const bad: { name: string; query: RawQuery; says: string }[] = [
    { name: "an unknown name", query: { namespaces: "shop" }, says: '"namespaces"' },
    { name: "a drift parameter", query: { state: "drifted" }, says: '"state"' },
    { name: "a repeated user", query: { user: ["alice", "bob"] }, says: "user is given more than once" },
    { name: "a repeated limit", query: { limit: ["1", "2"] }, says: "limit is given more than once" },
    { name: "since without a unit", query: { since: "30" }, says: "not a duration" },
    { name: "since as a date", query: { since: "2026-12-01" }, says: "not a duration" },
    { name: "a negative since", query: { since: "-1h" }, says: "not a duration" },
    { name: "limit 0", query: { limit: "0" }, says: "limit=0" },
    { name: "limit max+1", query: { limit: String(MAX + 1) }, says: `from 1 to ${MAX}` },
    { name: "limit 1e3", query: { limit: "1e3" }, says: "limit=1e3" },
    { name: "limit -1", query: { limit: "-1" }, says: "limit=-1" },
    { name: "limit 1.5", query: { limit: "1.5" }, says: "limit=1.5" },
    { name: "limit with a space", query: { limit: " 5" }, says: "not a whole number" },
    { name: "limit in hex", query: { limit: "0x10" }, says: "not a whole number" },
    { name: "a huge limit", query: { limit: "9".repeat(200) }, says: "not a whole number" },
    { name: "an overlong user", query: { user: LONG }, says: "user is longer than 253" },
    { name: "an overlong since", query: { since: LONG }, says: "since is longer than 253" },
  ];
  it.each(bad)("refuses $name", ({ query, says }) => {
    expect(badQuery(() => decisionsQuery(query, MAX, NOW)).message).toContain(says);
  });

  it("names the configured maximum in the hint", () => {
    expect(badQuery(() => decisionsQuery({ limit: "11" }, 10, NOW)).hint).toContain("from 1 to 10");
  });
});

describe("noQuery", () => {
  it("takes nothing", () => {
    expect(() => noQuery({})).not.toThrow();
  });

  it.each<RawQuery>([{ x: "1" }, { namespace: "shop" }, { "": "" }])("refuses %o", (query) => {
    expect(badQuery(() => noQuery(query)).hint).toBe("this address takes no parameters");
  });
});
