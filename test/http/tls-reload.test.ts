// The serving key pair follows its files without a restart; a broken pair never replaces a good one.
import { rename, writeFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCertDir } from "../support/tls/cert-dir.js";
import { servedCertificate } from "../support/tls/https-client.js";
import { eventually, fakeDeps } from "./helpers.js";
import { startTestServer, type TestServer } from "./test-server.js";

const RELOAD_INTERVAL_MS = 100;
let t: TestServer;

beforeAll(async () => {
  t = await startTestServer(fakeDeps(), RELOAD_INTERVAL_MS);
});

afterAll(async () => {
  await t?.stop();
});

/** True when a TLS client that trusts only `ca` accepts the certificate served now. */
const serves = (ca: string) =>
  servedCertificate("127.0.0.1", t.server.port, ca).then(
    () => true,
    () => false,
  );
/** Replaces a file in one step, as a Secret volume update does: the poll never sees it half written. */
async function replaceFile(path: string, content: string): Promise<void> {
  await writeFile(`${path}.new`, content);
  await rename(`${path}.new`, path);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("TLS reload", () => {
  it("serves a new CA's pair from the files within the poll interval", async () => {
    const oldCa = t.certDir.certs.caCert;
    const fresh = await t.certDir.rotate();
    await eventually(() => serves(fresh.caCert), RELOAD_INTERVAL_MS * 20);
    expect(await serves(oldCa)).toBe(false);
    expect(await t.roundTrip()).toBe("round-trip");
    expect(t.log.lines.some((line) => line.msg === "TLS key pair reloaded")).toBe(true);
  });

  it("keeps serving the old pair when the new files are broken, and logs each problem once", async () => {
    const good = t.certDir.certs;
    const linesBefore = t.log.lines.length;
    const other = await makeCertDir();
    try {
      // A key that belongs to another certificate, then garbage: neither may replace the pair being served.
      await replaceFile(t.certDir.keyFile, other.certs.key);
      await pause(RELOAD_INTERVAL_MS * 4);
      await replaceFile(t.certDir.certFile, "not a certificate\n");
      await pause(RELOAD_INTERVAL_MS * 4);
      expect(await serves(good.caCert)).toBe(true);
      expect(await t.roundTrip()).toBe("round-trip");
      const warnings = t.log.lines
        .slice(linesBefore)
        .filter((line) => String(line.msg).startsWith("TLS key pair not reloaded"));
      expect(warnings.map((line) => line.reason)).toEqual([
        "the private key does not match the certificate",
        expect.stringMatching(/./),
      ]);
      const fresh = await t.certDir.rotate();
      await eventually(() => serves(fresh.caCert), RELOAD_INTERVAL_MS * 20);
    } finally {
      await other.remove();
    }
  });
});
