// A temporary directory holding a freshly generated CA and serving pair (ca.crt, ca.key, tls.crt, tls.key).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeCertificates } from "../../../src/certs/files.js";
import { type GeneratedCertificates, generateCertificates } from "../../../src/certs/generate.js";

export interface CertDir {
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  certs: GeneratedCertificates;
  /** Replaces the files with a new CA and serving pair (as a certificate rotation would) and returns it. */
  rotate(): Promise<GeneratedCertificates>;
  remove(): Promise<void>;
}

export const TEST_DNS_NAMES = ["driftguard.driftguard-system.svc", "localhost"];
export const TEST_IP_ADDRESSES = ["127.0.0.1"];

export function makeTestCertificates(): Promise<GeneratedCertificates> {
  return generateCertificates({ dnsNames: TEST_DNS_NAMES, ipAddresses: TEST_IP_ADDRESSES });
}

export async function makeTempDir(prefix = "driftguard-test-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function makeCertDir(): Promise<CertDir> {
  const dir = await makeTempDir();
  const certDir: CertDir = {
    dir,
    caFile: join(dir, "ca.crt"),
    certFile: join(dir, "tls.crt"),
    keyFile: join(dir, "tls.key"),
    certs: await makeTestCertificates(),
    async rotate() {
      certDir.certs = await makeTestCertificates();
      await writeCertificates(dir, certDir.certs);
      return certDir.certs;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
  await writeCertificates(dir, certDir.certs);
  return certDir;
}
