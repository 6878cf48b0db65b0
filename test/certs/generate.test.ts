// The generated chain must be accepted by a real TLS client that trusts only ca.crt, by name and by IP.
import { createPrivateKey, X509Certificate } from "node:crypto";
import type { AddressInfo } from "node:net";
import { createServer, type Server } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GeneratedCertificates, generateCertificates } from "../../src/certs/generate.js";
import { makeTestCertificates, TEST_DNS_NAMES } from "../support/tls/cert-dir.js";
import { servedCertificate } from "../support/tls/https-client.js";

let certs: GeneratedCertificates;
let server: Server;
let port: number;

beforeAll(async () => {
  certs = await makeTestCertificates();
  server = createServer({ cert: certs.cert, key: certs.key }, (socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

describe("generateCertificates: chain", () => {
  it.each(TEST_DNS_NAMES)("is trusted through ca.crt alone for the DNS name %s", async (name) => {
    const served = await servedCertificate("127.0.0.1", port, certs.caCert, name);
    expect(served.issuer.CN).toBe("driftguard-ca");
  });

  it("is trusted through ca.crt alone by IP 127.0.0.1", async () => {
    const served = await servedCertificate("127.0.0.1", port, certs.caCert);
    expect(served.subjectaltname).toContain("IP Address:127.0.0.1");
  });

  it("is refused for a name it does not cover", async () => {
    await expect(servedCertificate("127.0.0.1", port, certs.caCert, "evil.example")).rejects.toThrow(
      /altnames/i,
    );
  });

  it("is refused by a client that trusts another CA", async () => {
    const other = await makeTestCertificates();
    await expect(servedCertificate("127.0.0.1", port, other.caCert)).rejects.toThrow(
      /self[- ]signed|unable to verify|issuer/i,
    );
  });
});

describe("generateCertificates: contents", () => {
  it("makes a P-256 CA that may sign certificates only", () => {
    const ca = new X509Certificate(certs.caCert);
    expect([ca.ca, ca.subject, ca.issuer]).toEqual([true, "CN=driftguard-ca", "CN=driftguard-ca"]);
    expect(ca.publicKey.asymmetricKeyDetails).toEqual({ namedCurve: "prime256v1" });
    expect(ca.verify(ca.publicKey)).toBe(true);
  });

  it("makes a serving certificate that is not a CA, for serverAuth, with every SAN", () => {
    const cert = new X509Certificate(certs.cert);
    expect(cert.ca).toBe(false);
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]);
    expect(cert.subjectAltName).toBe(
      "DNS:driftguard.driftguard-system.svc, DNS:localhost, IP Address:127.0.0.1",
    );
    expect(cert.checkIssued(new X509Certificate(certs.caCert))).toBe(true);
  });

  it("writes private keys as PKCS#8 PEM that match their certificates", () => {
    for (const [key, cert] of [
      [certs.key, certs.cert],
      [certs.caKey, certs.caCert],
    ] as const) {
      expect(key).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      expect(new X509Certificate(cert).checkPrivateKey(createPrivateKey(key))).toBe(true);
    }
  });

  it("is valid from a few minutes ago for validityDays", async () => {
    const now = new Date("2030-01-01T00:00:00Z");
    const short = await generateCertificates({ dnsNames: ["a.example"], validityDays: 10, now });
    const cert = new X509Certificate(short.cert);
    expect(new Date(cert.validFrom).toISOString()).toBe("2029-12-31T23:55:00.000Z");
    expect(new Date(cert.validTo).toISOString()).toBe("2030-01-11T00:00:00.000Z");
  });

  it.each([
    [{ dnsNames: [] }, /at least one DNS name or IP address/],
    [{ dnsNames: ["bad name"] }, /not a DNS name: "bad name"/],
    [{ dnsNames: ["a.example"], ipAddresses: ["300.1.1.1"] }, /not an IP address: "300.1.1.1"/],
  ])("refuses %j", async (options, error) => {
    await expect(generateCertificates(options)).rejects.toThrow(error);
  });
});
