// The webhook over real HTTPS on loopback, with a client that trusts only the test CA: answers, malformed
// requests that must not hurt the next one, probes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson, sendHttps } from "../support/tls/https-client.js";
import { type FakeDeps, fakeDeps, sampleReview } from "./helpers.js";
import { startTestServer, type TestServer } from "./test-server.js";

let deps: FakeDeps;
let t: TestServer;
let failNext = false;

beforeAll(async () => {
  deps = fakeDeps();
  const admit = deps.admit;
  deps.admit = async (request) => {
    if (failNext) {
      failNext = false;
      throw new Error("handler bug");
    }
    return admit(request);
  };
  t = await startTestServer(deps);
});

afterAll(async () => {
  await t?.stop();
});

const post = (body: unknown) => postJson(`${t.server.url}/validate`, t.certDir.certs.caCert, body);
const get = (path: string, servername?: string) =>
  sendHttps({
    url: `${t.server.url}${path}`,
    ca: t.certDir.certs.caCert,
    ...(servername ? { servername } : {}),
  });

describe("HTTPS webhook", () => {
  it("answers /validate to a client that trusts only the CA, uid echoed", async () => {
    const res = await post(sampleReview({ uid: "uid-1" }));
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: { uid: "uid-1", allowed: true, warnings: ["driftguard: looks fine"] },
    });
  });

  it("verifies by DNS name as well as by IP", async () => {
    const res = await get("/healthz", "localhost");
    expect([res.status, res.text]).toEqual([200, "ok"]);
  });

  it.each([
    ["invalid JSON", "{oops", "body is not valid JSON"],
    [
      "a wrong apiVersion",
      { ...sampleReview(), apiVersion: "admission.k8s.io/v1beta1" },
      'apiVersion: must be "admission.k8s.io/v1"',
    ],
    [
      "a missing request",
      { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" },
      "request: is required",
    ],
  ])("answers %s with 400 and keeps serving", async (_name, body, error) => {
    const res = await post(body);
    expect([res.status, res.json()]).toEqual([400, { error }]);
    expect(await t.roundTrip("after")).toBe("after");
  });

  it("refuses a body over 8 MiB with 413 and keeps serving", async () => {
    const res = await post(sampleReview({ object: { pad: "x".repeat(8 * 1024 * 1024) } }));
    expect(res.status).toBe(413);
    expect(await t.roundTrip("after")).toBe("after");
  });

  it("reads a body of 7 MiB (an UPDATE of the largest object the API server stores)", async () => {
    const res = await post(sampleReview({ object: { pad: "x".repeat(7 * 1024 * 1024) } }));
    expect(res.status).toBe(200);
  });

  it("answers 500 when the handler throws and keeps serving", async () => {
    failNext = true;
    const res = await post(sampleReview());
    expect([res.status, res.json()]).toEqual([500, { error: "admission handler failed: handler bug" }]);
    expect(await t.roundTrip("after")).toBe("after");
  });

  it("answers /healthz, and /readyz with 200 or 503", async () => {
    expect((await get("/healthz")).status).toBe(200);
    expect((await get("/readyz")).status).toBe(200);
    deps.readinessState = { ready: false, details: { sync: "pending" } };
    const notReady = await get("/readyz");
    expect([notReady.status, notReady.json()]).toEqual([503, { ready: false, details: { sync: "pending" } }]);
    deps.readinessState = { ready: true, details: {} };
  });
});
