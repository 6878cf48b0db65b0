// startServer's contract: HTTPS only, a usable pair at start, in-flight requests finished on close.
import { afterEach, describe, expect, it } from "vitest";
import { DriftguardError } from "../../src/errors.js";
import { buildApp } from "../../src/http/app.js";
import { startServer } from "../../src/http/server.js";
import { memoryLogger } from "../support/memory-logger.js";
import { type CertDir, makeCertDir } from "../support/tls/cert-dir.js";
import { postJson, sendHttps } from "../support/tls/https-client.js";
import { eventually, fakeDeps, sampleReview } from "./helpers.js";
import { startTestServer } from "./test-server.js";

const dirs: CertDir[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => dir.remove()));
});

async function certDir(): Promise<CertDir> {
  const dir = await makeCertDir();
  dirs.push(dir);
  return dir;
}

describe("startServer", () => {
  it("finishes an in-flight request on close, then refuses connections", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let arrived = false;
    const t = await startTestServer(
      fakeDeps({
        admit: async (request) => {
          arrived = true;
          await gate;
          return { uid: request.uid, allowed: true };
        },
      }),
    );
    try {
      const ca = t.certDir.certs.caCert;
      const inFlight = postJson(`${t.server.url}/validate`, ca, sampleReview({ uid: "in-flight" }));
      await eventually(() => arrived);
      const closed = t.server.close();
      release();
      const res = await inFlight;
      expect([res.status, (res.json() as { response: { uid: string } }).response.uid]).toEqual([
        200,
        "in-flight",
      ]);
      await closed;
      await expect(sendHttps({ url: `${t.server.url}/healthz`, ca })).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await t.stop();
    }
  });

  it("cuts a request still busy at the shutdown deadline", async () => {
    let arrived = false;
    const hang = () => {
      arrived = true;
      return new Promise<never>(() => {});
    };
    const t = await startTestServer(fakeDeps({ admit: hang }), 1000, 200);
    try {
      const stuck = postJson(`${t.server.url}/validate`, t.certDir.certs.caCert, sampleReview());
      await eventually(() => arrived);
      const started = Date.now();
      await t.server.close();
      expect(Date.now() - started).toBeLessThan(2000);
      await expect(stuck).rejects.toThrow(/socket hang up|ECONNRESET/);
    } finally {
      await t.stop();
    }
  });

  it("refuses an app built without https", async () => {
    const dir = await certDir();
    const app = buildApp(fakeDeps(), { logger: memoryLogger().logger });
    const options = {
      host: "127.0.0.1",
      port: 0,
      certFile: dir.certFile,
      keyFile: dir.keyFile,
      reloadIntervalMs: 1000,
    };
    await expect(startServer(app, options)).rejects.toThrow(/HTTPS only/);
    await app.close();
  });

  it("refuses key pair files that cannot serve", async () => {
    const [dir, other] = [await certDir(), await certDir()];
    const https = { cert: dir.certs.cert, key: dir.certs.key };
    const app = buildApp(fakeDeps(), { logger: memoryLogger().logger, https });
    const options = {
      host: "127.0.0.1",
      port: 0,
      certFile: dir.certFile,
      keyFile: other.keyFile,
      reloadIntervalMs: 1000,
    };
    await expect(startServer(app, options)).rejects.toThrow(/does not match/);
    await expect(startServer(app, options)).rejects.toMatchObject({ code: "DG_TLS_UNUSABLE" });
    await app.close();
  });

  it("a port in use is DG_LISTEN_FAILED, naming host and port, and the app is closed", async () => {
    const first = await startTestServer(fakeDeps());
    const dir = await certDir();
    const app = buildApp(fakeDeps(), {
      logger: memoryLogger().logger,
      https: { cert: dir.certs.cert, key: dir.certs.key },
    });
    let closed = false;
    app.addHook("onClose", async () => {
      closed = true;
    });
    const options = {
      host: "127.0.0.1",
      port: first.server.port,
      certFile: dir.certFile,
      keyFile: dir.keyFile,
      reloadIntervalMs: 1000,
    };
    try {
      const error = await startServer(app, options).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DriftguardError);
      expect(error).toMatchObject({
        code: "DG_LISTEN_FAILED",
        message: "cannot listen: the address is already in use",
        where: `server.host 127.0.0.1, server.port ${first.server.port}`,
      });
      // Closed: nothing of the failed app (its plugins' resources) keeps the process alive.
      expect(closed).toBe(true);
    } finally {
      await first.stop();
    }
  });
});
