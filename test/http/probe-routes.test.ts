// GET /healthz, /readyz, /metrics and the JSON 404, through `inject()`.
import { afterEach, describe, expect, it } from "vitest";
import { closeTestApps, buildTestApp as setup } from "./helpers.js";

afterEach(closeTestApps);

describe("probes and metrics", () => {
  it("GET /healthz answers ok", async () => {
    const res = await setup().app.inject({ method: "GET", url: "/healthz" });
    expect([res.statusCode, res.body]).toEqual([200, "ok"]);
  });

  it("GET /readyz answers 200 when ready and 503 when not, with details", async () => {
    const { app, deps } = setup();
    const ready = await app.inject({ method: "GET", url: "/readyz" });
    expect([ready.statusCode, ready.json()]).toEqual([
      200,
      { ready: true, details: { sources: { app: "synced" } } },
    ]);
    deps.readinessState = { ready: false, details: { reason: "starting" } };
    const notReady = await app.inject({ method: "GET", url: "/readyz" });
    expect([notReady.statusCode, notReady.json()]).toEqual([
      503,
      { ready: false, details: { reason: "starting" } },
    ]);
  });

  it("GET /readyz answers 503 when the readiness check throws", async () => {
    const { app } = setup({
      readiness: () => {
        throw new Error("no state");
      },
    });
    const res = await app.inject({ method: "GET", url: "/readyz" });
    expect([res.statusCode, res.json()]).toEqual([503, { ready: false, details: { error: "no state" } }]);
  });

  it("GET /metrics exists only with a metrics source", async () => {
    const without = await setup().app.inject({ method: "GET", url: "/metrics" });
    expect(without.statusCode).toBe(404);
    const { app } = setup({ metrics: async () => "driftguard_up 1\n" });
    const res = await app.inject({ method: "GET", url: "/metrics" });
    expect([res.statusCode, res.body, res.headers["content-type"]]).toEqual([
      200,
      "driftguard_up 1\n",
      "text/plain; version=0.0.4; charset=utf-8",
    ]);
  });

  it("answers an unknown route with a JSON 404", async () => {
    const res = await setup().app.inject({ method: "GET", url: "/nope?x=1" });
    expect([res.statusCode, res.json()]).toEqual([404, { error: "no route for GET /nope" }]);
  });
});
