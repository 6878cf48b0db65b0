import { readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ensureCertificates, writeCertificates } from "../../src/certs/files.js";
import { generateCertificates } from "../../src/certs/generate.js";
import { inspectCertificates } from "../../src/certs/inspect.js";
import {
  makeTempDir,
  makeTestCertificates,
  TEST_DNS_NAMES,
  TEST_IP_ADDRESSES,
} from "../support/tls/cert-dir.js";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await makeTempDir();
  dirs.push(dir);
  return dir;
}

const readAll = (dir: string) =>
  Promise.all(["ca.crt", "ca.key", "tls.crt", "tls.key"].map((name) => readFile(join(dir, name), "utf8")));

describe("writeCertificates", () => {
  it("creates the directory and writes keys readable by the owner only", async () => {
    const dir = join(await tempDir(), "nested", "certs");
    const certs = await makeTestCertificates();
    await writeCertificates(dir, certs);
    expect(await readAll(dir)).toEqual([certs.caCert, certs.caKey, certs.cert, certs.key]);
    expect((await stat(join(dir, "tls.key"))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, "ca.key"))).mode & 0o777).toBe(0o600);
  });
});

describe("ensureCertificates", () => {
  it("creates certificates once and keeps them afterwards", async () => {
    const dir = await tempDir();
    const first = await ensureCertificates(dir, TEST_DNS_NAMES, TEST_IP_ADDRESSES);
    expect(first).toMatchObject({ generated: true, reason: expect.stringMatching(/cannot read/) });
    const files = await readAll(dir);
    const second = await ensureCertificates(dir, TEST_DNS_NAMES, TEST_IP_ADDRESSES);
    expect(second).toEqual({ generated: false, caCert: first.caCert, cert: first.cert, key: first.key });
    expect(await readAll(dir)).toEqual(files);
  });

  it.each([
    [
      "expired",
      async (dir: string) => {
        const old = await generateCertificates({
          dnsNames: TEST_DNS_NAMES,
          now: new Date(Date.now() - 400 * 86_400_000),
        });
        await writeCertificates(dir, old);
      },
      /expires too soon/,
    ],
    [
      "expiring within 30 days",
      async (dir: string) => {
        await writeCertificates(
          dir,
          await generateCertificates({ dnsNames: TEST_DNS_NAMES, validityDays: 20 }),
        );
      },
      /expires too soon/,
    ],
    [
      "garbage",
      async (dir: string) => {
        await writeCertificates(dir, await makeTestCertificates());
        await writeFile(join(dir, "tls.crt"), "garbage\n");
      },
      /tls.crt does not parse/,
    ],
    [
      "missing a DNS name",
      async (dir: string) => {
        await writeCertificates(
          dir,
          await generateCertificates({ dnsNames: ["other.example"], ipAddresses: TEST_IP_ADDRESSES }),
        );
      },
      /does not cover the DNS name driftguard.driftguard-system.svc/,
    ],
  ])("regenerates certificates that are %s", async (_name, prepare, reason) => {
    const dir = await tempDir();
    await prepare(dir);
    const before = await readAll(dir);
    const result = await ensureCertificates(dir, TEST_DNS_NAMES, TEST_IP_ADDRESSES);
    expect(result).toMatchObject({ generated: true, reason: expect.stringMatching(reason) });
    const after = await readAll(dir);
    expect(after[0]).not.toBe(before[0]);
    expect(
      inspectCertificates(
        { caCert: after[0] ?? "", cert: after[2] ?? "", key: after[3] ?? "" },
        {
          dnsNames: TEST_DNS_NAMES,
          ipAddresses: TEST_IP_ADDRESSES,
          minRemainingMs: 0,
          now: new Date(),
        },
      ),
    ).toEqual({ usable: true });
  });
});

describe("inspectCertificates", () => {
  const options = {
    dnsNames: TEST_DNS_NAMES,
    ipAddresses: TEST_IP_ADDRESSES,
    minRemainingMs: 0,
    now: new Date(),
  };

  it("refuses a key of another pair, a certificate of another CA and an uncovered IP", async () => {
    const a = await makeTestCertificates();
    const b = await makeTestCertificates();
    expect(inspectCertificates({ caCert: a.caCert, cert: a.cert, key: b.key }, options)).toEqual({
      usable: false,
      reason: "tls.key does not match tls.crt",
    });
    expect(inspectCertificates({ caCert: b.caCert, cert: a.cert, key: a.key }, options)).toEqual({
      usable: false,
      reason: "tls.crt is not signed by ca.crt",
    });
    expect(inspectCertificates({ caCert: a.cert, cert: a.cert, key: a.key }, options)).toEqual({
      usable: false,
      reason: "ca.crt is not a CA certificate",
    });
    expect(inspectCertificates(a, { ...options, ipAddresses: ["10.0.0.1"] })).toEqual({
      usable: false,
      reason: "tls.crt does not cover the IP address 10.0.0.1",
    });
  });
});
