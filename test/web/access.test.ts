// Who may read the web view (src/web/access.ts): the open loopback access, and token access checked as
// kube-rbac-proxy checks one (TokenReview, SubjectAccessReview on the view's URL, then per namespace),
// against a stand-in Reviewer that records every call. Failures are 503s, never cached; answers are
// cached for cacheForMs on an injected clock, keyed by a hash of the token, in a bounded cache.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ResourceCheck, ViewerIdentity } from "../../src/kube/access-reviews.js";
import { openAccess, tokenAccess, VIEW_URL, ViewError, type ViewKind } from "../../src/web/access.js";
import { StandInReviewer } from "./fixtures.js";

const ALICE: ViewerIdentity = {
  username: "alice",
  uid: "u-alice",
  groups: ["team-a", "system:authenticated"],
};
const BOB: ViewerIdentity = { username: "bob", groups: ["system:authenticated"] };
const CAROL: ViewerIdentity = { username: "carol", groups: ["system:authenticated"] };
const ADMIN: ViewerIdentity = { username: "admin", groups: ["system:masters"] };

const TOKENS = {
  alice: "eyJhbGciOiJSUzI1NiJ9.alice-token.sig",
  bob: "eyJhbGciOiJSUzI1NiJ9.bob-token.sig",
  carol: "eyJhbGciOiJSUzI1NiJ9.carol-token.sig",
  admin: "eyJhbGciOiJSUzI1NiJ9.admin-token.sig",
};
const CACHE_MS = 10_000;

const DRIFT_CHECK = { group: "apps", resource: "deployments", verb: "get" };
const DECISIONS_CHECK = { group: "driftguard.io", resource: "decisionrecords", verb: "list" };

/** alice: drift in shop, decisions in shop and payments; bob: nothing; carol: no URL grant; admin: all. */
function reviewer(): StandInReviewer {
  return new StandInReviewer(
    new Map([
      [TOKENS.alice, ALICE],
      [TOKENS.bob, BOB],
      [TOKENS.carol, CAROL],
      [TOKENS.admin, ADMIN],
    ]),
    new Set(["alice", "bob", "admin"]),
    (user, check) => {
      if (user.username === "admin") return true;
      if (user.username !== "alice") return false;
      if (check.resource === "deployments") return check.namespace === "shop";
      return check.namespace === "shop" || check.namespace === "payments";
    },
  );
}

function setup(standIn = reviewer()) {
  const clock = { now: 1_000_000 };
  const access = tokenAccess(standIn, { cacheForMs: CACHE_MS, now: () => clock.now });
  return { standIn, clock, access };
}

async function viewError(promise: Promise<unknown>): Promise<ViewError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ViewError);
  return error as ViewError;
}

const bearer = (token: string) => `Bearer ${token}`;
const sorted = (visible: "all" | ReadonlySet<string>) => (visible === "all" ? "all" : [...visible].sort());

describe("openAccess", () => {
  it("needs no token and shows everything to whoever reached the port", async () => {
    const access = openAccess();
    expect(access.requiresToken).toBe(false);
    for (const authorization of [undefined, "", "Bearer whatever", "Basic x"]) {
      const viewer = await access.viewerOf(authorization);
      expect(viewer.who).toBe("local (port-forward)");
      expect(await viewer.visible("drift", ["shop"])).toBe("all");
      expect(await viewer.visible("decisions", [])).toBe("all");
    }
  });
});

describe("tokenAccess", () => {
  it("requires a token", () => {
    expect(setup().access.requiresToken).toBe(true);
  });

  it.each([
    ["no header", undefined],
    ["an empty header", ""],
    ["Bearer alone", "Bearer"],
    ["Bearer and a space", "Bearer "],
    ["Basic credentials", "Basic YWxpY2U6cHc="],
    ["another scheme", `Token ${TOKENS.alice}`],
    ["the token alone", TOKENS.alice],
    ["two words after Bearer", `Bearer ${TOKENS.alice} extra`],
    ["a space inside the token", "Bearer abc def"],
  ])("%s → 401 DG_VIEW_NO_TOKEN, nothing asked", async (_name, authorization) => {
    const { access, standIn } = setup();
    const error = await viewError(access.viewerOf(authorization));
    expect(error.status).toBe(401);
    expect(error.code).toBe("DG_VIEW_NO_TOKEN");
    expect(error.hint).toBeTruthy();
    expect(standIn.calls).toEqual([]);
  });

  it.each([
    ["Bearer", `Bearer ${TOKENS.alice}`],
    ["bearer in lower case", `bearer ${TOKENS.alice}`],
    ["several spaces and a trailing one", `Bearer   ${TOKENS.alice} `],
  ])("accepts %s", async (_name, authorization) => {
    const { access, standIn } = setup();
    const viewer = await access.viewerOf(authorization);
    expect(viewer.who).toBe("alice");
    expect(standIn.calls[0]).toEqual({ method: "authenticate", args: [TOKENS.alice] });
  });

  it("an unknown token → 401 DG_VIEW_UNAUTHENTICATED, nothing asked past the TokenReview", async () => {
    const { access, standIn } = setup();
    const error = await viewError(access.viewerOf(bearer("not-a-token-the-api-server-knows")));
    expect(error.status).toBe(401);
    expect(error.code).toBe("DG_VIEW_UNAUTHENTICATED");
    expect(standIn.calls.map((call) => call.method)).toEqual(["authenticate"]);
  });

  it("no grant on the view's URL → 403 DG_VIEW_FORBIDDEN naming the user", async () => {
    const { access, standIn } = setup();
    const error = await viewError(access.viewerOf(bearer(TOKENS.carol)));
    expect(error.status).toBe(403);
    expect(error.code).toBe("DG_VIEW_FORBIDDEN");
    expect(error.message).toContain("carol");
    expect(error.message).toContain(VIEW_URL);
    expect(standIn.calls.map((call) => call.method)).toEqual(["authenticate", "mayGetUrl"]);
    expect(standIn.calls[1]?.args).toEqual([CAROL, "/driftguard/web-view"]);
  });

  it.each<[ViewKind, typeof DRIFT_CHECK]>([
    ["drift", DRIFT_CHECK],
    ["decisions", DECISIONS_CHECK],
  ])("a cluster-wide grant of %s → all, with one namespace review", async (kind, check) => {
    const { access, standIn } = setup();
    const viewer = await access.viewerOf(bearer(TOKENS.admin));
    expect(viewer.who).toBe("admin");
    expect(await viewer.visible(kind, ["shop", "payments", "ops"])).toBe("all");
    const reviews = standIn.calls.filter((call) => call.method === "mayAccess");
    expect(reviews).toEqual([{ method: "mayAccess", args: [ADMIN, { ...check, namespace: "" }] }]);
  });

  it.each<[ViewKind, typeof DRIFT_CHECK, string[]]>([
    ["drift", DRIFT_CHECK, ["shop"]],
    ["decisions", DECISIONS_CHECK, ["payments", "shop"]],
  ])("per-namespace grants of %s → those namespaces", async (kind, check, expected) => {
    const { access, standIn } = setup();
    const viewer = await access.viewerOf(bearer(TOKENS.alice));
    const visible = await viewer.visible(kind, ["shop", "payments", "ops", "shop", "payments"]);
    expect(sorted(visible)).toEqual(expected);
    const asked = standIn.calls
      .filter((call) => call.method === "mayAccess")
      .map((call) => call.args[1] as ResourceCheck);
    // The cluster-wide question first, then each namespace once (duplicates asked once).
    expect(asked[0]).toEqual({ ...check, namespace: "" });
    expect(
      asked
        .slice(1)
        .map((one) => one.namespace)
        .sort(),
    ).toEqual(["ops", "payments", "shop"]);
    expect(asked.every((one) => one.group === check.group && one.verb === check.verb)).toBe(true);
  });

  it("a user with no namespace grant sees an empty set; no namespaces asks only cluster-wide", async () => {
    const { access, standIn } = setup();
    const viewer = await access.viewerOf(bearer(TOKENS.bob));
    expect(sorted(await viewer.visible("drift", ["shop", "payments"]))).toEqual([]);
    expect(sorted(await viewer.visible("decisions", []))).toEqual([]);
    expect(standIn.count("mayAccess")).toBe(3 + 1);
  });

  it("asks at most eight namespace reviews at once", async () => {
    const { access, standIn } = setup();
    const namespaces = Array.from({ length: 40 }, (_, n) => `ns-${n}`);
    const viewer = await access.viewerOf(bearer(TOKENS.alice));
    await viewer.visible("drift", namespaces);
    expect(standIn.count("mayAccess")).toBe(41);
    expect(standIn.maxInFlight).toBeGreaterThan(1);
    expect(standIn.maxInFlight).toBeLessThanOrEqual(8);
  });

  describe("a review that fails is a 503, and is asked again next time", () => {
    const cases: {
      name: string;
      failAt: "authenticate" | "mayGetUrl" | "mayAccess";
      /** Reviews of that kind a successful run asks for. */
      onSuccess: number;
      run: (access: ReturnType<typeof setup>["access"]) => Promise<unknown>;
    }[] = [
      {
        name: "TokenReview",
        failAt: "authenticate",
        onSuccess: 1,
        run: (access) => access.viewerOf(bearer(TOKENS.alice)),
      },
      {
        name: "the URL's review",
        failAt: "mayGetUrl",
        onSuccess: 1,
        run: (access) => access.viewerOf(bearer(TOKENS.alice)),
      },
      {
        name: "a namespace review",
        failAt: "mayAccess",
        // Cluster-wide first (no), then shop.
        onSuccess: 2,
        run: async (access) => (await access.viewerOf(bearer(TOKENS.alice))).visible("drift", ["shop"]),
      },
    ];

    it.each(cases)("$name", async ({ failAt, onSuccess, run }) => {
      const standIn = reviewer();
      const { access } = setup(standIn);
      // Fail only the review under test: the ones before it answer (and are cached).
      standIn.failing[failAt] = new Error("connect ECONNREFUSED 10.96.0.1:443");
      const error = await viewError(run(access));
      expect(error.status).toBe(503);
      expect(error.code).toBe("DG_VIEW_REVIEW_FAILED");
      expect(error.message).toContain("ECONNREFUSED");
      expect(standIn.count(failAt)).toBe(1);

      // Still failing: asked again (not a cached failure), still a 503, never an allowance.
      expect((await viewError(run(access))).status).toBe(503);
      expect(standIn.count(failAt)).toBe(2);

      // Back: the next call asks and succeeds, within the same cacheForMs.
      delete standIn.failing[failAt];
      await expect(run(access)).resolves.toBeDefined();
      expect(standIn.count(failAt)).toBe(2 + onSuccess);
    });
  });

  it("a reviewer that throws synchronously is a 503 too", async () => {
    const standIn = reviewer();
    standIn.authenticate = () => {
      throw new Error("client not configured");
    };
    const error = await viewError(setup(standIn).access.viewerOf(bearer(TOKENS.alice)));
    expect(error.status).toBe(503);
    expect(error.code).toBe("DG_VIEW_REVIEW_FAILED");
  });

  it("reuses answers within cacheForMs and asks again after", async () => {
    const { access, standIn, clock } = setup();
    const ask = async () => {
      const viewer = await access.viewerOf(bearer(TOKENS.alice));
      return sorted(await viewer.visible("decisions", ["shop", "ops"]));
    };
    expect(await ask()).toEqual(["shop"]);
    const first = standIn.calls.length;
    expect(first).toBe(1 + 1 + 3);

    clock.now += CACHE_MS - 1;
    expect(await ask()).toEqual(["shop"]);
    expect(standIn.calls.length).toBe(first);

    clock.now += 1;
    expect(await ask()).toEqual(["shop"]);
    expect(standIn.calls.length).toBe(2 * first);
    expect(standIn.count("authenticate")).toBe(2);
  });

  it("a changed grant shows once the cache has expired", async () => {
    const standIn = reviewer();
    const { access, clock } = setup(standIn);
    const visible = async () =>
      sorted(await (await access.viewerOf(bearer(TOKENS.bob))).visible("drift", ["shop"]));
    expect(await visible()).toEqual([]);
    standIn.grants = (user, check) => user.username === "bob" && check.namespace === "shop";
    expect(await visible()).toEqual([]);
    clock.now += CACHE_MS;
    expect(await visible()).toEqual(["shop"]);
  });

  it("an unknown token's answer is cached too, and a known one is asked again only after expiry", async () => {
    const { access, standIn, clock } = setup();
    for (let n = 0; n < 3; n++) await viewError(access.viewerOf(bearer("unknown")));
    expect(standIn.count("authenticate")).toBe(1);
    clock.now += CACHE_MS;
    await viewError(access.viewerOf(bearer("unknown")));
    expect(standIn.count("authenticate")).toBe(2);
  });

  it("caches per token: two tokens of one user are two reviews", async () => {
    const standIn = reviewer();
    const other = "eyJhbGciOiJSUzI1NiJ9.alice-second-token.sig";
    standIn.tokens.set(other, ALICE);
    const { access } = setup(standIn);
    await access.viewerOf(bearer(TOKENS.alice));
    await access.viewerOf(bearer(other));
    expect(
      standIn.calls.filter((call) => call.method === "authenticate").map((call) => call.args[0]),
    ).toEqual([TOKENS.alice, other]);
    expect(standIn.count("mayGetUrl")).toBe(2);
  });

  it("two requests at once with one token share one review", async () => {
    const { access, standIn } = setup();
    await Promise.all([access.viewerOf(bearer(TOKENS.alice)), access.viewerOf(bearer(TOKENS.alice))]);
    expect(standIn.count("authenticate")).toBe(1);
    expect(standIn.count("mayGetUrl")).toBe(1);
  });

  it("hands the token only to the TokenReview", async () => {
    const { access, standIn } = setup();
    for (const token of Object.values(TOKENS)) {
      try {
        const viewer = await access.viewerOf(bearer(token));
        await viewer.visible("drift", ["shop", "payments"]);
        await viewer.visible("decisions", ["shop", "payments"]);
        expect(JSON.stringify(viewer)).not.toContain(token);
      } catch (error) {
        expect(String((error as Error).message)).not.toContain(token);
      }
    }
    const others = standIn.calls.filter((call) => call.method !== "authenticate");
    expect(others.length).toBeGreaterThan(4);
    const text = JSON.stringify(others);
    for (const token of Object.values(TOKENS)) {
      expect(text).not.toContain(token);
      // Not a piece of it either (the part that differs between tokens).
      expect(text).not.toContain(token.split(".")[1]);
    }
    for (const call of standIn.calls.filter((one) => one.method === "authenticate"))
      expect(Object.values(TOKENS)).toContain(call.args[0]);
  });

  it("keeps a bounded cache: past 4096 entries the oldest answers go", async () => {
    const standIn = reviewer();
    const { access } = setup(standIn);
    const tokens = Array.from({ length: 4097 }, (_, n) => `flood-${n}`);
    await Promise.all(tokens.map((token) => viewError(access.viewerOf(bearer(token)))));
    expect(standIn.count("authenticate")).toBe(4097);
    // The newest is still cached; the oldest was dropped and is asked again.
    await viewError(access.viewerOf(bearer("flood-4096")));
    expect(standIn.count("authenticate")).toBe(4097);
    await viewError(access.viewerOf(bearer("flood-0")));
    expect(standIn.count("authenticate")).toBe(4098);
  });

  it("property: visible() is exactly the granted namespaces among those asked, per kind", async () => {
    const NAMESPACES = ["shop", "payments", "ops", "team-a", "team-b", "kube-public"];
    const grantSet = fc.record({
      clusterWide: fc.boolean(),
      namespaces: fc.subarray(NAMESPACES),
    });
    await fc.assert(
      fc.asyncProperty(
        grantSet,
        grantSet,
        fc.array(fc.constantFrom(...NAMESPACES), { maxLength: 12 }),
        async (driftGrant, decisionsGrant, asked) => {
          const grantOf = (check: ResourceCheck) =>
            check.resource === "deployments" ? driftGrant : decisionsGrant;
          const standIn = new StandInReviewer(new Map([["t", ALICE]]), new Set(["alice"]), (_user, check) => {
            const grant = grantOf(check);
            return check.namespace === "" ? grant.clusterWide : grant.namespaces.includes(check.namespace);
          });
          const viewer = await tokenAccess(standIn, { cacheForMs: CACHE_MS, now: () => 0 }).viewerOf(
            "Bearer t",
          );
          for (const [kind, grant] of [
            ["drift", driftGrant],
            ["decisions", decisionsGrant],
          ] as const) {
            const visible = await viewer.visible(kind, asked);
            const expected = grant.clusterWide
              ? "all"
              : [...new Set(asked.filter((namespace) => grant.namespaces.includes(namespace)))].sort();
            expect(sorted(visible)).toEqual(expected);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
