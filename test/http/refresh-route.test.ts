// POST /refresh (push webhook) through `inject()`: disabled without a secret, bearer or GitHub signature.
import { afterEach, describe, expect, it } from "vitest";
import { signHubPayload } from "../../src/http/push-auth.js";
import { closeTestApps, eventually, JSON_HEADERS as json, buildTestApp as setup } from "./helpers.js";

afterEach(closeTestApps);

describe("POST /refresh", () => {
  const token = "push-secret";
  const payload = JSON.stringify({ ref: "refs/heads/main", repository: { full_name: "acme/deploy" } });

  it("does not exist without a push token", async () => {
    const res = await setup().app.inject({
      method: "POST",
      url: "/refresh",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).toBe(404);
  });

  it.each([
    ["no credentials", {}],
    ["a wrong bearer token", { authorization: "Bearer nope" }],
    ["a bearer token of another length", { authorization: `Bearer ${token}x` }],
    ["a wrong signature", { ...json, "x-hub-signature-256": signHubPayload(payload, "other-secret") }],
    [
      "a signature without its prefix",
      { ...json, "x-hub-signature-256": signHubPayload(payload, token).slice(7) },
    ],
  ])("refuses %s with 401", async (_name, headers) => {
    const { app, deps } = setup({ pushToken: token });
    const res = await app.inject({ method: "POST", url: "/refresh", headers, payload });
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toMatch(/credentials/);
    expect(deps.refreshed).toEqual([]);
  });

  it("accepts a bearer token, answers 202 and starts the refresh", async () => {
    const { app, deps } = setup({ pushToken: token });
    const res = await app.inject({
      method: "POST",
      url: "/refresh?source=app",
      headers: { authorization: `Bearer ${token}` },
    });
    expect([res.statusCode, res.json()]).toEqual([202, { accepted: true, source: "app" }]);
    await eventually(() => deps.refreshed.length === 1);
    expect(deps.refreshed).toEqual(["app"]);
  });

  it("accepts GitHub's signature of the raw body, whatever the content type", async () => {
    const { app, deps } = setup({ pushToken: token });
    for (const type of ["application/json", "application/x-www-form-urlencoded"]) {
      const headers = { "content-type": type, "x-hub-signature-256": signHubPayload(payload, token) };
      const res = await app.inject({ method: "POST", url: "/refresh", headers, payload });
      expect([res.statusCode, res.json()]).toEqual([202, { accepted: true, source: null }]);
    }
    await eventually(() => deps.refreshed.length === 2);
    expect(deps.refreshed).toEqual([undefined, undefined]);
  });

  it("answers 202 without waiting for the refresh, and logs its failure", async () => {
    let finish: (value: unknown) => void = () => {};
    const slow = () =>
      new Promise((_resolve, reject) => {
        finish = () => reject(new Error("git unreachable"));
      });
    const { app, log } = setup({ pushToken: token, refresh: slow });
    const res = await app.inject({
      method: "POST",
      url: "/refresh",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).toBe(202);
    finish(undefined);
    await eventually(() => log.lines.some((line) => line.msg === "push refresh failed"));
  });

  it("refuses a repeated source parameter", async () => {
    const { app } = setup({ pushToken: token });
    const res = await app.inject({
      method: "POST",
      url: "/refresh?source=a&source=b",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatch(/source/);
  });
});
