// POST /validate through `inject()`: decoding, error replies, the handler contract and what is logged.
// The same route over real HTTPS is in server.test.ts.
import { afterEach, describe, expect, it } from "vitest";
import {
  closeTestApps,
  JSON_HEADERS as json,
  SECRET_MARKER,
  sampleReview,
  buildTestApp as setup,
} from "./helpers.js";

afterEach(closeTestApps);

describe("POST /validate", () => {
  it("answers the handler's response in an AdmissionReview, uid echoed", async () => {
    const { app, deps } = setup();
    const res = await app.inject({
      method: "POST",
      url: "/validate?timeout=10s",
      headers: json,
      payload: sampleReview(),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.json()).toEqual({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: { uid: sampleReview().request.uid, allowed: true, warnings: ["driftguard: looks fine"] },
    });
    expect(deps.admitted).toEqual([sampleReview().request]);
  });

  it("forces the request's uid even when the handler returns another", async () => {
    const { app } = setup({ admit: async () => ({ uid: "wrong", allowed: true }) });
    const res = await app.inject({
      method: "POST",
      url: "/validate",
      headers: json,
      payload: sampleReview(),
    });
    expect(res.json().response.uid).toBe(sampleReview().request.uid);
  });

  it("accepts application/json with a charset", async () => {
    const { app } = setup();
    const headers = { "content-type": "application/json; charset=utf-8" };
    const res = await app.inject({
      method: "POST",
      url: "/validate",
      headers,
      payload: JSON.stringify(sampleReview()),
    });
    expect(res.statusCode).toBe(200);
  });

  it.each([
    ["invalid JSON", json, "{not json", 400, "body is not valid JSON"],
    ["an empty JSON body", json, "", 400, "body is empty; expected a JSON document"],
    ["a JSON array", json, "[]", 400, "body: must be object"],
    [
      "a wrong apiVersion",
      json,
      JSON.stringify({ ...sampleReview(), apiVersion: "v1" }),
      400,
      'apiVersion: must be "admission.k8s.io/v1"',
    ],
    [
      "a missing request",
      json,
      JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" }),
      400,
      "request: is required",
    ],
    ["prototype poisoning", json, '{"__proto__":{"x":1}}', 400, "body is not valid JSON"],
    [
      "text/plain",
      { "content-type": "text/plain" },
      "hello",
      415,
      'content type "text/plain" is not supported; send application/json',
    ],
  ])("answers %s with a JSON error", async (_name, headers, payload, status, error) => {
    const { app, deps } = setup();
    const res = await app.inject({ method: "POST", url: "/validate", headers, payload });
    expect(res.statusCode).toBe(status);
    expect(res.json()).toEqual({ error });
    expect(deps.admitted).toEqual([]);
  });

  it("refuses a body over the limit with 413", async () => {
    const { app } = setup({}, 1024);
    const big = sampleReview({ object: { pad: "x".repeat(2048) } });
    const res = await app.inject({ method: "POST", url: "/validate", headers: json, payload: big });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ error: "body is larger than the limit of 1024 bytes" });
  });

  it("answers 500 when the handler throws, logged once with the request's identity", async () => {
    const { app, log } = setup({ admit: async () => Promise.reject(new Error("boom")) });
    const res = await app.inject({
      method: "POST",
      url: "/validate",
      headers: json,
      payload: sampleReview(),
    });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: "admission handler failed: boom" });
    const errors = log.lines.filter((line) => line.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      uid: sampleReview().request.uid,
      user: "alice",
      err: { message: "boom" },
    });
  });

  it("binds the request's identity to the decision log line", async () => {
    const deny = async () => ({
      uid: "x",
      allowed: false,
      status: { code: 403, reason: "Forbidden", message: "m" },
    });
    const { app, log } = setup({ admit: deny });
    await app.inject({ method: "POST", url: "/validate", headers: json, payload: sampleReview() });
    expect(log.lines.find((line) => line.msg === "denied")).toMatchObject({
      uid: sampleReview().request.uid,
      kind: "Deployment",
      namespace: "shop",
      name: "web",
      operation: "UPDATE",
      user: "alice",
      allowed: false,
      code: 403,
    });
  });

  it("never logs request bodies or object contents", async () => {
    const throwing = setup({ admit: async () => Promise.reject(new Error("boom")) });
    const allowing = setup();
    const malformed = { ...sampleReview(), apiVersion: "v1" };
    for (const { app } of [throwing, allowing]) {
      await app.inject({ method: "POST", url: "/validate", headers: json, payload: sampleReview() });
      await app.inject({ method: "POST", url: "/validate", headers: json, payload: malformed });
      await app.inject({
        method: "POST",
        url: "/validate",
        headers: json,
        payload: `{"x":"${SECRET_MARKER}"`,
      });
    }
    expect(throwing.log.lines.length + allowing.log.lines.length).toBeGreaterThan(4);
    expect(throwing.log.text() + allowing.log.text()).not.toContain(SECRET_MARKER);
  });
});

describe("POST /validate: a stuck handler", () => {
  it("answers 503 at the deadline, so that the failurePolicy applies", async () => {
    const Fastify = (await import("fastify")).default;
    const { registerValidateRoute } = await import("../../src/http/validate-route.js");
    const app = Fastify({ logger: false });
    registerValidateRoute(app, () => new Promise(() => {}), { bodyLimit: 1 << 20, deadlineMs: 50 });
    const res = await app.inject({
      method: "POST",
      url: "/validate",
      headers: json,
      payload: sampleReview(),
    });
    expect([res.statusCode, res.json()]).toEqual([503, { error: "request timed out" }]);
    await app.close();
  });
});
