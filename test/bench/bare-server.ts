// The baseline for the load part: fastify over HTTPS with driftguard's TLS settings and body limit,
// whose POST /validate only parses the JSON body and allows. The gap between this and driftguard is
// what the webhook itself costs; TLS, HTTP parsing and JSON.parse of the body are common to both.
// Run as its own process (`node --import tsx bare-server.ts CERT KEY PORT`) so its CPU is its own.
import { readFileSync } from "node:fs";
import Fastify from "fastify";
import { DEFAULT_BODY_LIMIT_BYTES } from "../../src/http/app.js";

const [certFile, keyFile, portText] = process.argv.slice(2);
if (!certFile || !keyFile || !portText) {
  process.stderr.write("usage: bare-server.ts CERT KEY PORT\n");
  process.exit(2);
}

const app = Fastify({
  logger: false,
  https: { cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: "TLSv1.2" },
  bodyLimit: DEFAULT_BODY_LIMIT_BYTES,
  // Same keep-alive horizon as driftguard, so neither side closes connections during a run.
  keepAliveTimeout: 120_000,
});

app.post("/validate", async (request) => {
  const review = request.body as { apiVersion?: unknown; kind?: unknown; request?: { uid?: unknown } };
  return {
    apiVersion: review.apiVersion,
    kind: review.kind,
    response: { uid: review.request?.uid, allowed: true },
  };
});

await app.listen({ host: "127.0.0.1", port: Number(portText) });
process.stdout.write(`bare listening on https://127.0.0.1:${portText}\n`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void app.close().then(() => process.exit(0));
  });
}
