// The web view's HTTP application (src/web/view-app.ts), through app.inject(): GET only, security
// headers on every answer, the Host guard of the open loopback listener, the 401 challenge, each
// caller cut to their namespaces, nothing secret in any answer, and errors as JSON with a code.
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import type { DecisionRecord } from "../../src/core/decision-record.js";
import type { ReportError, ReportInput } from "../../src/core/drift-report.js";
import type { ViewerIdentity } from "../../src/kube/access-reviews.js";
import type { SourceStatus } from "../../src/sources/types.js";
import { type AccessControl, openAccess, tokenAccess } from "../../src/web/access.js";
import type { PageAssets } from "../../src/web/page-assets.js";
import { buildViewApp, type ViewData } from "../../src/web/view-app.js";
import { sampleRecord } from "../support/decision-records.js";
import { driftEntry } from "../support/drift-entries.js";
import { memoryLogger } from "../support/memory-logger.js";
import {
  SECRET_IN_GIT,
  SECRET_REQUESTED,
  StandInReviewer,
  secretDrift,
  secretRecord,
  sourceStatus,
} from "./fixtures.js";

const NOW = Date.parse("2026-12-02T04:00:00Z");
const API = "/api/v1alpha1";
const PASSWORD = "s3cret-pw";
const SHOP_TOKEN = "eyJhbGciOiJSUzI1NiJ9.shop-viewer.sig";
const NOBODY_TOKEN = "eyJhbGciOiJSUzI1NiJ9.no-url-grant.sig";
const SHOP_VIEWER: ViewerIdentity = { username: "shop-viewer", groups: ["system:authenticated"] };
const NOBODY: ViewerIdentity = { username: "nobody", groups: ["system:authenticated"] };

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
    "base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
  "x-frame-options": "DENY",
};

/** Stand-in for the page's built assets (src/web/page-assets.ts): the script found or missing. */
function assetsStandIn(script: "found" | "missing"): PageAssets {
  return {
    html: "<!doctype html><title>driftguard</title>",
    css: "body { margin: 0 }",
    script: () =>
      script === "found"
        ? { kind: "found", text: "document.title = 'driftguard';" }
        : { kind: "missing", message: "the web view's script is not built (dist/web/page/app.js)" },
  };
}

// Drift in shop (drifted, in sync) and payments (drifted); decisions in both, payments' newest.
const DRIFT: ReportInput[] = [
  driftEntry({ name: "web", namespace: "shop", image: "nginx:evil" }),
  driftEntry({ name: "cart", namespace: "shop" }),
  driftEntry({ name: "ledger-api", namespace: "payments", image: "nginx:evil" }),
];
const RECORDS: DecisionRecord[] = [
  sampleRecord({ object: { namespace: "shop", name: "web" } }, 1),
  sampleRecord({ object: { namespace: "payments", name: "ledger-api" } }, 2),
  sampleRecord({ object: { namespace: "shop", name: "cart" } }, 3),
  sampleRecord({ object: { namespace: "payments", name: "ledger-api" } }, 4),
];

interface Setup {
  access?: AccessControl;
  script?: "found" | "missing";
  sources?: SourceStatus[];
  drift?: ReportInput[];
  driftErrors?: ReportError[];
  records?: DecisionRecord[];
  recordErrors?: { message: string }[];
}

let apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.map((app) => app.close()));
  apps = [];
});

function build(setup: Setup = {}) {
  const log = memoryLogger();
  const data: ViewData = {
    sources: () => setup.sources ?? [sourceStatus()],
    drift: () => ({ entries: setup.drift ?? DRIFT, errors: setup.driftErrors ?? [] }),
    decisions: async () => ({ records: setup.records ?? RECORDS, errors: setup.recordErrors ?? [] }),
  };
  const app = buildViewApp({
    logger: log.logger,
    access: setup.access ?? openAccess(),
    data,
    assets: assetsStandIn(setup.script ?? "found"),
    maxDecisions: 50,
    now: () => NOW,
  });
  apps.push(app);
  return { app, log };
}

/** Token access over the stand-in reviewer: SHOP_TOKEN may open the view and read shop only. */
function shopAccess() {
  const reviewer = new StandInReviewer(
    new Map([
      [SHOP_TOKEN, SHOP_VIEWER],
      [NOBODY_TOKEN, NOBODY],
    ]),
    new Set([SHOP_VIEWER.username]),
    (user, check) => user.username === SHOP_VIEWER.username && check.namespace === "shop",
  );
  return { reviewer, access: tokenAccess(reviewer, { cacheForMs: 10_000, now: () => NOW }) };
}

const asShop = { authorization: `Bearer ${SHOP_TOKEN}` };

function expectSecurityHeaders(headers: Record<string, unknown>) {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(headers[name], name).toBe(value);
}

function expectErrorBody(body: string, code: string) {
  const json = JSON.parse(body) as { error: string; code: string; hint: string };
  expect(json.code).toBe(code);
  expect(typeof json.error).toBe("string");
  expect(json.error.length).toBeGreaterThan(0);
  expect(typeof json.hint).toBe("string");
  return json;
}

describe("methods", () => {
  const methods = ["POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"] as const;
  const paths = ["/", "/app.js", `${API}/drift`, `${API}/decisions?limit=1`, "/no-such-page"];
  const cases = methods.flatMap((method) => paths.map((url) => ({ method, url })));

  it.each(cases)("$method $url → 405 with Allow: GET (open)", async ({ method, url }) => {
    const { app } = build();
    const answer = await app.inject({ method, url, ...(method === "POST" ? { payload: { x: 1 } } : {}) });
    expect(answer.statusCode).toBe(405);
    expect(answer.headers.allow).toBe("GET");
    expectSecurityHeaders(answer.headers);
    if (method !== "HEAD") expect(expectErrorBody(answer.body, "DG_VIEW_BAD_QUERY").error).toContain(method);
  });

  it.each(methods)("%s → 405 before any token is asked for (token access)", async (method) => {
    const { access, reviewer } = shopAccess();
    const { app } = build({ access });
    const answer = await app.inject({ method, url: `${API}/drift`, headers: asShop });
    expect(answer.statusCode).toBe(405);
    expect(answer.headers.allow).toBe("GET");
    expect(answer.headers["www-authenticate"]).toBeUndefined();
    expect(reviewer.calls).toEqual([]);
  });

  it("a body larger than GET needs is not read: still 405", async () => {
    const { app } = build();
    const answer = await app.inject({ method: "POST", url: "/", payload: "x".repeat(100_000) });
    expect(answer.statusCode).toBe(405);
  });
});

describe("security headers", () => {
  const cases: {
    name: string;
    setup: () => Setup;
    url: string;
    headers?: Record<string, string>;
    status: number;
  }[] = [
    { name: "the page", setup: () => ({}), url: "/", status: 200 },
    { name: "the style sheet", setup: () => ({}), url: "/style.css", status: 200 },
    { name: "the script", setup: () => ({}), url: "/app.js", status: 200 },
    { name: "the script missing", setup: () => ({ script: "missing" }), url: "/app.js", status: 503 },
    { name: "the session", setup: () => ({}), url: `${API}/session`, status: 200 },
    { name: "sources", setup: () => ({}), url: `${API}/sources`, status: 200 },
    { name: "drift", setup: () => ({}), url: `${API}/drift`, status: 200 },
    { name: "decisions", setup: () => ({}), url: `${API}/decisions`, status: 200 },
    { name: "a bad query", setup: () => ({}), url: `${API}/drift?state=bad`, status: 400 },
    { name: "no page", setup: () => ({}), url: "/admin", status: 404 },
    { name: "a foreign Host", setup: () => ({}), url: "/", headers: { host: "evil.example" }, status: 403 },
    { name: "the icon", setup: () => ({}), url: "/favicon.ico", status: 204 },
    // fastify answers an unreadable URL before any hook: the view's frameworkErrors handler must.
    { name: "an unreadable URL", setup: () => ({}), url: "/%zz", status: 400 },
    { name: "no token", setup: () => ({ access: shopAccess().access }), url: `${API}/sources`, status: 401 },
    {
      name: "no grant on the view",
      setup: () => ({ access: shopAccess().access }),
      url: `${API}/session`,
      headers: { authorization: `Bearer ${NOBODY_TOKEN}` },
      status: 403,
    },
  ];

  it.each(cases)("on $name ($status)", async ({ setup, url, headers, status }) => {
    const { app } = build(setup());
    const answer = await app.inject({ method: "GET", url, headers: headers ?? {} });
    expect(answer.statusCode).toBe(status);
    expectSecurityHeaders(answer.headers);
  });
});

describe("Host guard", () => {
  it.each([
    "evil.example",
    "evil.example:8081",
    "localhost.evil.example",
    "127.0.0.1.nip.io:8081",
    "10.0.0.5:8081",
    "[::2]:8081",
  ])("open access refuses Host %s with 403", async (host) => {
    const { app } = build();
    for (const url of ["/", `${API}/drift`, `${API}/session`]) {
      const answer = await app.inject({ method: "GET", url, headers: { host } });
      expect(answer.statusCode).toBe(403);
      const body = expectErrorBody(answer.body, "DG_VIEW_FORBIDDEN");
      expect(body.error).toContain("Host");
      // Nothing of the data leaks on the refusal.
      expect(answer.body).not.toContain("shop");
    }
  });

  it.each(["localhost:9000", "127.0.0.1:8081", "[::1]:8081", "localhost", "LOCALHOST:9000", "127.0.0.1"])(
    "open access answers Host %s",
    async (host) => {
      const { app } = build();
      const answer = await app.inject({ method: "GET", url: `${API}/drift`, headers: { host } });
      expect(answer.statusCode).toBe(200);
    },
  );

  it("token access does not check the Host (a Service name, an Ingress host)", async () => {
    const { app } = build({ access: shopAccess().access });
    const answer = await app.inject({
      method: "GET",
      url: `${API}/session`,
      headers: { host: "driftguard-web.driftguard.svc:8443", ...asShop },
    });
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body).user).toBe("shop-viewer");
  });
});

describe("token access", () => {
  it.each([
    { name: "no Authorization", headers: {}, code: "DG_VIEW_NO_TOKEN" },
    { name: "Basic credentials", headers: { authorization: "Basic YWxpY2U6cHc=" }, code: "DG_VIEW_NO_TOKEN" },
    {
      name: "an unknown token",
      headers: { authorization: "Bearer not-known" },
      code: "DG_VIEW_UNAUTHENTICATED",
    },
  ])("$name → 401 with WWW-Authenticate: Bearer", async ({ headers, code }) => {
    const { app } = build({ access: shopAccess().access });
    for (const url of [`${API}/sources`, `${API}/drift`, `${API}/decisions`]) {
      const answer = await app.inject({ method: "GET", url, headers });
      expect(answer.statusCode).toBe(401);
      expect(answer.headers["www-authenticate"]).toBe('Bearer realm="driftguard"');
      expectErrorBody(answer.body, code);
      expect(answer.body).not.toContain("shop");
    }
  });

  it("the session without a token says one is needed: 200, no user, nothing asked", async () => {
    const { access, reviewer } = shopAccess();
    const { app } = build({ access });
    const answer = await app.inject({ method: "GET", url: `${API}/session` });
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({
      apiVersion: "driftguard.io/v1alpha1",
      kind: "ViewSession",
      tokenRequired: true,
    });
    expect(reviewer.calls).toEqual([]);
  });

  it.each([
    { name: "an empty header", authorization: "", code: "DG_VIEW_NO_TOKEN" },
    { name: "Basic credentials", authorization: "Basic YWxpY2U6cHc=", code: "DG_VIEW_NO_TOKEN" },
    { name: "an unknown token", authorization: "Bearer not-known", code: "DG_VIEW_UNAUTHENTICATED" },
  ])("the session with $name → 401 with WWW-Authenticate", async ({ authorization, code }) => {
    const { app } = build({ access: shopAccess().access });
    const answer = await app.inject({ method: "GET", url: `${API}/session`, headers: { authorization } });
    expect(answer.statusCode).toBe(401);
    expect(answer.headers["www-authenticate"]).toBe('Bearer realm="driftguard"');
    expectErrorBody(answer.body, code);
  });

  it("no grant on the view's URL → 403 without a challenge", async () => {
    const { app } = build({ access: shopAccess().access });
    const answer = await app.inject({
      method: "GET",
      url: `${API}/drift`,
      headers: { authorization: `Bearer ${NOBODY_TOKEN}` },
    });
    expect(answer.statusCode).toBe(403);
    expect(answer.headers["www-authenticate"]).toBeUndefined();
    expect(expectErrorBody(answer.body, "DG_VIEW_FORBIDDEN").error).toContain("nobody");
  });

  it("the page and its files need no token (the page asks for one)", async () => {
    const { app } = build({ access: shopAccess().access });
    for (const url of ["/", "/style.css", "/app.js"])
      expect((await app.inject({ method: "GET", url })).statusCode).toBe(200);
    expect((await app.inject({ method: "GET", url: "/favicon.ico" })).statusCode).toBe(204);
  });

  it("a review the API server cannot make → 503 DG_VIEW_REVIEW_FAILED, logged as a warning", async () => {
    const { access, reviewer } = shopAccess();
    reviewer.failing.authenticate = new Error("connect ECONNREFUSED 10.96.0.1:443");
    const { app, log } = build({ access });
    const answer = await app.inject({ method: "GET", url: `${API}/drift`, headers: asShop });
    expect(answer.statusCode).toBe(503);
    expect(answer.headers["www-authenticate"]).toBeUndefined();
    expectErrorBody(answer.body, "DG_VIEW_REVIEW_FAILED");
    expect(log.lines.some((line) => line.level === 40 && line.code === "DG_VIEW_REVIEW_FAILED")).toBe(true);
    expect(log.text()).not.toContain(SHOP_TOKEN);
  });

  it("a viewer granted shop sees shop's drift only, counted after the cut", async () => {
    const { app } = build({ access: shopAccess().access });
    const answer = await app.inject({ method: "GET", url: `${API}/drift`, headers: asShop });
    expect(answer.statusCode).toBe(200);
    const report = JSON.parse(answer.body);
    expect(report.kind).toBe("DriftReport");
    expect(
      report.objects.map((o: { namespace: string; name: string }) => `${o.namespace}/${o.name}`),
    ).toEqual(["shop/cart", "shop/web"]);
    expect(report.summary).toEqual({ drifted: 1, inSync: 1, unmanaged: 0, unknown: 0, errors: 0 });
    expect(answer.body).not.toContain("payments");
    expect(answer.body).not.toContain("ledger-api");
  });

  it("asking for a namespace not granted shows nothing, not an error", async () => {
    const { app } = build({ access: shopAccess().access });
    const answer = await app.inject({
      method: "GET",
      url: `${API}/drift?namespace=payments`,
      headers: asShop,
    });
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body).objects).toEqual([]);
  });

  it("a viewer granted shop sees shop's decisions only", async () => {
    const { app } = build({ access: shopAccess().access });
    const answer = await app.inject({ method: "GET", url: `${API}/decisions`, headers: asShop });
    expect(answer.statusCode).toBe(200);
    const history = JSON.parse(answer.body);
    expect(history.kind).toBe("DecisionHistory");
    expect(history.items.map((r: DecisionRecord) => `${r.object.namespace}/${r.object.name}`)).toEqual([
      "shop/web",
      "shop/cart",
    ]);
    expect(answer.body).not.toContain("payments");
  });

  it("the session names the viewer and says a token is required", async () => {
    const { app } = build({ access: shopAccess().access });
    const answer = await app.inject({ method: "GET", url: `${API}/session`, headers: asShop });
    expect(JSON.parse(answer.body)).toEqual({
      apiVersion: "driftguard.io/v1alpha1",
      kind: "ViewSession",
      user: "shop-viewer",
      tokenRequired: true,
    });
  });
});

describe("answers", () => {
  it("the open session says no token is required", async () => {
    const { app } = build();
    const answer = await app.inject({ method: "GET", url: `${API}/session` });
    expect(answer.headers["content-type"]).toMatch(/^application\/json/);
    expect(JSON.parse(answer.body)).toEqual({
      apiVersion: "driftguard.io/v1alpha1",
      kind: "ViewSession",
      user: "local (port-forward)",
      tokenRequired: false,
    });
  });

  it("open access shows every namespace", async () => {
    const { app } = build();
    const drift = JSON.parse((await app.inject({ method: "GET", url: `${API}/drift` })).body);
    expect(drift.objects).toHaveLength(3);
    const decisions = JSON.parse((await app.inject({ method: "GET", url: `${API}/decisions` })).body);
    expect(decisions.items).toHaveLength(4);
  });

  it("filters drift by state and decisions by namespace, name and limit", async () => {
    const { app } = build();
    const drifted = JSON.parse((await app.inject({ method: "GET", url: `${API}/drift?state=drifted` })).body);
    expect(drifted.objects.map((o: { name: string }) => o.name)).toEqual(["ledger-api", "web"]);
    const newest = JSON.parse((await app.inject({ method: "GET", url: `${API}/decisions?limit=2` })).body);
    expect(newest.items.map((r: DecisionRecord) => r.requestUid.slice(-1))).toEqual(["3", "4"]);
    const ledger = JSON.parse(
      (
        await app.inject({
          method: "GET",
          url: `${API}/decisions?namespace=payments&name=ledger-api&limit=1`,
        })
      ).body,
    );
    expect(ledger.items.map((r: DecisionRecord) => r.requestUid.slice(-1))).toEqual(["4"]);
  });

  it("passes the data's errors through", async () => {
    const { app } = build({
      driftErrors: [{ message: "the live scan has not finished its first pass yet" }],
      recordErrors: [{ message: "cannot list the API server's DecisionRecords" }],
    });
    const drift = JSON.parse((await app.inject({ method: "GET", url: `${API}/drift` })).body);
    expect(drift.errors).toEqual([{ message: "the live scan has not finished its first pass yet" }]);
    expect(drift.summary.errors).toBe(1);
    const decisions = JSON.parse((await app.inject({ method: "GET", url: `${API}/decisions` })).body);
    expect(decisions.errors).toEqual([{ message: "cannot list the API server's DecisionRecords" }]);
  });

  it("sources: a URL's password is redacted, in the URL and in the error", async () => {
    const url = `https://deploy:${PASSWORD}@git.example/apps.git`;
    const { app } = build({
      sources: [
        sourceStatus({
          url,
          state: {
            kind: "failing",
            commit: "abc1234",
            since: NOW - 60_000,
            error: `fatal: unable to access '${url}/': 403`,
          },
        }),
      ],
    });
    const answer = await app.inject({ method: "GET", url: `${API}/sources` });
    expect(answer.statusCode).toBe(200);
    expect(answer.body).not.toContain(PASSWORD);
    const list = JSON.parse(answer.body);
    expect(list.kind).toBe("SourceList");
    expect(list.generatedAt).toBe(new Date(NOW).toISOString());
    expect(list.items[0].url).toBe("https://***@git.example/apps.git");
    expect(list.items[0].state).toBe("failing");
  });

  it("a secret env value masked in records and drift stays masked in the answers", async () => {
    const record = secretRecord(NOW - 60_000);
    // The product's record holds the mask, not the values: the answer is checked against that start.
    expect(JSON.stringify(record)).toContain("<masked>");
    const { app } = build({ records: [record], drift: [secretDrift()] });
    for (const url of [`${API}/decisions`, `${API}/drift`]) {
      const answer = await app.inject({ method: "GET", url });
      expect(answer.statusCode).toBe(200);
      expect(answer.body).not.toContain(SECRET_IN_GIT);
      expect(answer.body).not.toContain(SECRET_REQUESTED);
      expect(answer.body).toContain("<masked>");
      expect(answer.body).toContain('"masked":true');
    }
  });

  it("the page, style sheet and script with their types", async () => {
    const { app } = build();
    const cases = [
      { url: "/", type: "text/html; charset=utf-8", body: "<!doctype html>" },
      { url: "/style.css", type: "text/css; charset=utf-8", body: "margin" },
      { url: "/app.js", type: "text/javascript; charset=utf-8", body: "document.title" },
    ];
    for (const { url, type, body } of cases) {
      const answer = await app.inject({ method: "GET", url });
      expect(answer.statusCode).toBe(200);
      expect(answer.headers["content-type"]).toBe(type);
      expect(answer.body).toContain(body);
    }
  });

  it("the script missing → 503 that says it is not built", async () => {
    const { app } = build({ script: "missing" });
    const answer = await app.inject({ method: "GET", url: "/app.js" });
    expect(answer.statusCode).toBe(503);
    expect(answer.headers["content-type"]).toMatch(/^application\/json/);
    const body = expectErrorBody(answer.body, "DG_INTERNAL");
    expect(body.error).toContain("not built");
    expect(body.hint).toContain("npm run build");
  });

  it.each([
    "/nowhere",
    "/api/v1alpha1/",
    `${API}/drift/`,
    "/api/v1/drift",
    `${API}/Decisions`,
    "//api/v1alpha1/drift",
  ])("no page at %s → 404 JSON with a code", async (url) => {
    const { app } = build();
    const answer = await app.inject({ method: "GET", url: `${url}?x=1` });
    expect(answer.statusCode).toBe(404);
    expect(answer.headers["content-type"]).toMatch(/^application\/json/);
    const body = expectErrorBody(answer.body, "DG_VIEW_BAD_QUERY");
    // The path, without its query.
    expect(body.error).toBe(`no page at ${url}`);
  });

  it("a 404 echoes at most 200 characters of the path", async () => {
    const { app } = build();
    const answer = await app.inject({ method: "GET", url: `/${"a".repeat(2_000)}` });
    expect(answer.statusCode).toBe(404);
    expect(JSON.parse(answer.body).error.length).toBeLessThanOrEqual("no page at ".length + 200);
  });

  it.each([
    { url: "/?x=1", says: '"x"' },
    { url: `${API}/session?debug=1`, says: '"debug"' },
    { url: `${API}/sources?name=apps`, says: '"name"' },
    { url: `${API}/drift?namspace=shop`, says: '"namspace"' },
    { url: `${API}/drift?state=broken`, says: "not a state" },
    { url: `${API}/drift?namespace=shop&namespace=ops`, says: "more than once" },
    { url: `${API}/drift?__proto__=x`, says: '"__proto__"' },
    { url: `${API}/decisions?limit=0`, says: "limit=0" },
    { url: `${API}/decisions?limit=51`, says: "from 1 to 50" },
    { url: `${API}/decisions?limit=1e3`, says: "limit=1e3" },
    { url: `${API}/decisions?since=yesterday`, says: "not a duration" },
    { url: `${API}/decisions?user=${"u".repeat(254)}`, says: "longer than 253" },
  ])("a bad query $url → 400 JSON with a code and a hint", async ({ url, says }) => {
    const { app } = build();
    const answer = await app.inject({ method: "GET", url });
    expect(answer.statusCode).toBe(400);
    expect(answer.headers["content-type"]).toMatch(/^application\/json/);
    const body = expectErrorBody(answer.body, "DG_VIEW_BAD_QUERY");
    expect(body.error).toContain(says);
    expect(body.hint.length).toBeGreaterThan(0);
  });

  it("an unexpected failure of the data → 500 DG_INTERNAL, the detail logged and not sent", async () => {
    const log = memoryLogger();
    const app = buildViewApp({
      logger: log.logger,
      access: openAccess(),
      data: {
        sources: () => {
          throw new Error("invariant broke: sources table at generation 7");
        },
        drift: () => ({ entries: [], errors: [] }),
        decisions: async () => ({ records: [], errors: [] }),
      },
      assets: assetsStandIn("found"),
      maxDecisions: 50,
    });
    apps.push(app);
    const answer = await app.inject({ method: "GET", url: `${API}/sources` });
    expect(answer.statusCode).toBe(500);
    expectSecurityHeaders(answer.headers);
    expectErrorBody(answer.body, "DG_INTERNAL");
    expect(answer.body).not.toContain("generation 7");
    expect(log.text()).toContain("invariant broke");
  });
});

describe("an address that cannot be read", () => {
  it("answers 400 in the view's error shape, whatever the Host", async () => {
    const { app } = build();
    for (const host of ["localhost:8081", "evil.example"]) {
      const answer = await app.inject({ method: "GET", url: "/%zz", headers: { host } });
      expect(answer.statusCode).toBe(400);
      expectErrorBody(answer.body, "DG_VIEW_BAD_QUERY");
      expect(answer.body).not.toContain("shop");
    }
  });
});
