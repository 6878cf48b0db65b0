// When self-managed certificates are reissued, and what the caBundle holds across a rotation.
import { describe, expect, it } from "vitest";
import { generateCertificates } from "../../src/certs/generate.js";
import { type CertificateBundle, planCertificates, rotatedBundle } from "../../src/certs/rotation.js";

const DNS = ["driftguard.driftguard.svc"];
const DAY = 86_400_000;
const T0 = new Date("2026-11-24T12:00:00Z");

async function bundle(validityDays: number, now = T0, dnsNames = DNS): Promise<CertificateBundle> {
  const certs = await generateCertificates({ dnsNames, validityDays, now });
  return { ...certs, caBundle: certs.caCert };
}

describe("planCertificates", () => {
  it("issues when there is no Secret yet", () => {
    expect(planCertificates(undefined, { dnsNames: DNS, renewBeforeMs: DAY, now: T0 })).toEqual({
      kind: "issue",
      reason: "no certificate yet",
    });
  });

  it("keeps a pair far from expiry", async () => {
    expect(planCertificates(await bundle(365), { dnsNames: DNS, renewBeforeMs: 30 * DAY, now: T0 })).toEqual({
      kind: "keep",
    });
  });

  it("reissues inside the renewal window, before anything expires", async () => {
    const plan = planCertificates(await bundle(365), {
      dnsNames: DNS,
      renewBeforeMs: 30 * DAY,
      now: new Date(T0.getTime() + 340 * DAY),
    });
    expect(plan).toMatchObject({ kind: "issue", reason: expect.stringContaining("expires too soon") });
  });

  it("reissues when the Service's name is not covered", async () => {
    const plan = planCertificates(await bundle(365), {
      dnsNames: ["other.driftguard.svc"],
      renewBeforeMs: DAY,
      now: T0,
    });
    expect(plan).toMatchObject({
      kind: "issue",
      reason: expect.stringContaining("does not cover the DNS name other.driftguard.svc"),
    });
  });

  it("reissues when the bundle lacks the CA, or the key does not match", async () => {
    const a = await bundle(365);
    const b = await bundle(365);
    expect(
      planCertificates({ ...a, caBundle: b.caCert }, { dnsNames: DNS, renewBeforeMs: DAY, now: T0 }).kind,
    ).toBe("issue");
    expect(
      planCertificates({ ...a, key: b.key }, { dnsNames: DNS, renewBeforeMs: DAY, now: T0 }),
    ).toMatchObject({
      reason: "tls.key does not match tls.crt",
    });
  });
});

describe("rotatedBundle", () => {
  it("trusts the new CA first and the previous one while it is valid", async () => {
    const old = await bundle(365);
    const next = await bundle(365);
    const text = rotatedBundle(next.caCert, old, T0);
    expect(text.indexOf(next.caCert.trim())).toBe(0);
    expect(text).toContain(old.caCert.trim());
  });

  it("drops a previous CA that has expired", async () => {
    const old = await bundle(1);
    const next = await bundle(365);
    expect(rotatedBundle(next.caCert, old, new Date(T0.getTime() + 2 * DAY))).toBe(`${next.caCert.trim()}\n`);
  });
});
