// Network abuse against the real HTTPS webhook (docs/reliability.md, Network abuse): each attack meets the
// limit that bounds it, and a well-behaved client still gets its answer, uid echoed, while it goes on.
// Scales are test-sized and the header deadline is shortened to 1 s; `npm run abuse` runs them at full
// scale with the production limits. Nothing here asserts a timing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  describeRawAnswer,
  type Endpoint,
  handshakeWithVersion,
  keepAliveClient,
  openIdleConnections,
  plainHttpRequest,
  slowHeaders,
} from "../support/abuse-clients.js";
import { postJson, sendHttps } from "../support/tls/https-client.js";
import { fakeDeps, sampleReview } from "./helpers.js";
import { startTestServer, type TestServer } from "./test-server.js";

const HEADERS_TIMEOUT_MS = 1000;
/** The test's bound on how long it waits for the server to act: generous, and never the assertion. */
const GIVE_UP_MS = 8000;

let t: TestServer;
let endpoint: Endpoint;

beforeAll(async () => {
  t = await startTestServer(fakeDeps(), 1000, 5000, {
    headersTimeoutMs: HEADERS_TIMEOUT_MS,
    connectionsCheckingIntervalMs: 200,
  });
  endpoint = { host: "127.0.0.1", port: t.server.port, ca: t.certDir.certs.caCert };
});

afterAll(async () => {
  await t?.stop();
});

const post = (body: string | object, headers: Record<string, string> = {}) =>
  postJson(`${t.server.url}/validate`, t.certDir.certs.caCert, body, headers);

describe("network abuse", () => {
  it("cuts a client that sends its headers a byte at a time, and answers others meanwhile", async () => {
    const attack = Promise.all([1, 2, 3].map(() => slowHeaders(endpoint, 50, GIVE_UP_MS)));
    expect(await t.roundTrip("during-slowloris")).toBe("during-slowloris");
    const results = await attack;
    for (const result of results) {
      expect(result.closed).toBe(true);
      // Node says why before it closes: the header deadline passed.
      expect(result.statusLine).toBe("HTTP/1.1 408 Request Timeout");
    }
  });

  it("keeps answering while hundreds of idle TLS connections are open", async () => {
    const idle = await openIdleConnections(endpoint, 300);
    try {
      expect([idle.opened, idle.failed]).toEqual([300, 0]);
      expect(await t.roundTrip("during-idle")).toBe("during-idle");
    } finally {
      idle.close();
    }
  });

  it("closes idle TLS connections that never send a request (the header deadline)", async () => {
    const idle = await openIdleConnections(endpoint, 5);
    try {
      await waitFor(() => idle.closedByServer() === 5);
      expect(idle.closedByServer()).toBe(5);
    } finally {
      idle.close();
    }
  });

  it("keeps a kept-alive connection open between requests past the header deadline", async () => {
    // The API server's use: an idle keep-alive connection is reused for the next call (keepAliveTimeout).
    const client = keepAliveClient(endpoint);
    try {
      const first = await client.post("/validate", JSON.stringify(sampleReview({ uid: "first" })));
      await new Promise((resolve) => setTimeout(resolve, 2.5 * HEADERS_TIMEOUT_MS));
      const second = await client.post("/validate", JSON.stringify(sampleReview({ uid: "second" })));
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(JSON.parse(second.text).response.uid).toBe("second");
      expect(second.localPort).toBe(first.localPort);
    } finally {
      client.close();
    }
  });

  it("refuses a 9 MiB body with 413 and a reason, and closes that connection", async () => {
    const big = sampleReview({ object: { pad: "x".repeat(9 * 1024 * 1024) } });
    const res = await post(big);
    expect([res.status, res.json()]).toEqual([
      413,
      { error: `body is larger than the limit of ${8 * 1024 * 1024} bytes` },
    ]);
    // The rest of the body is not read: the server says it closes the connection rather than drain it.
    expect(res.headers.connection).toBe("close");
    expect(await t.roundTrip("after-big-body")).toBe("after-big-body");
  });

  it.each([
    ["text/plain", { "content-type": "text/plain" }],
    ["application/x-www-form-urlencoded", { "content-type": "application/x-www-form-urlencoded" }],
    ["multipart/form-data", { "content-type": "multipart/form-data; boundary=x" }],
  ])("refuses %s with 415 and a reason", async (_type, headers) => {
    const res = await sendHttps({
      url: `${t.server.url}/validate`,
      ca: t.certDir.certs.caCert,
      method: "POST",
      headers,
      body: JSON.stringify(sampleReview()),
    });
    expect([res.status, res.json()]).toEqual([
      415,
      {
        error: `content type ${JSON.stringify(headers["content-type"])} is not supported; send application/json`,
      },
    ]);
    expect(await t.roundTrip("after-content-type")).toBe("after-content-type");
  });

  it("refuses a body without a content type with 415 and a reason", async () => {
    const res = await sendHttps({
      url: `${t.server.url}/validate`,
      ca: t.certDir.certs.caCert,
      method: "POST",
      body: JSON.stringify(sampleReview()),
    });
    expect(res.status).toBe(415);
    expect(res.json()).toEqual({ error: 'content type "" is not supported; send application/json' });
  });

  it("gives plain HTTP on the TLS port no HTTP answer, and keeps serving", async () => {
    const exchange = await plainHttpRequest(endpoint, JSON.stringify(sampleReview()), GIVE_UP_MS);
    expect(exchange.closed).toBe(true);
    // Whatever came back, it is not an HTTP answer: the server only ever speaks TLS on this port.
    expect(describeRawAnswer(exchange.received)).not.toMatch(/^HTTP/);
    expect(await t.roundTrip("after-plain-http")).toBe("after-plain-http");
  });

  it.each(["TLSv1", "TLSv1.1"] as const)("refuses a %s handshake, and keeps serving", async (version) => {
    const result = await handshakeWithVersion(endpoint, version);
    expect(result.accepted).toBe(false);
    // The server's protocol_version alert, not the client's library declining to offer the version.
    expect(result.code).toBe("ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION");
    expect(await t.roundTrip("after-old-tls")).toBe("after-old-tls");
  });

  it("still accepts a TLS 1.2 handshake (the floor, not above it)", async () => {
    const result = await handshakeWithVersion(endpoint, "TLSv1.2");
    expect([result.accepted, result.protocol]).toEqual([true, "TLSv1.2"]);
  });
});

describe("connection cap", () => {
  const CAP = 20;
  let capped: TestServer;
  let cappedEndpoint: Endpoint;

  beforeAll(async () => {
    capped = await startTestServer(fakeDeps(), 1000, 5000, { maxConnections: CAP });
    cappedEndpoint = { host: "127.0.0.1", port: capped.server.port, ca: capped.certDir.certs.caCert };
  });

  afterAll(async () => {
    await capped?.stop();
  });

  it("refuses connections beyond the cap while a kept-alive client goes on being answered", async () => {
    const client = keepAliveClient(cappedEndpoint);
    const ask = async (uid: string) => {
      const res = await client.post("/validate", JSON.stringify(sampleReview({ uid })));
      expect(res.status).toBe(200);
      return (JSON.parse(res.text) as { response: { uid: string } }).response.uid;
    };
    expect(await ask("before-flood")).toBe("before-flood");
    // The client holds 1 of the CAP connections; the flood takes the others and is refused beyond them.
    const idle = await openIdleConnections(cappedEndpoint, CAP + 10, 5);
    try {
      expect([idle.opened, idle.failed]).toEqual([CAP - 1, 11]);
      expect(await ask("during-flood")).toBe("during-flood");
    } finally {
      idle.close();
      client.close();
    }
  });
});

async function waitFor(check: () => boolean): Promise<void> {
  const deadline = Date.now() + GIVE_UP_MS;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}
