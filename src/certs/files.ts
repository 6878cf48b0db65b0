// The certificate directory: ca.crt, ca.key, tls.crt, tls.key (the names of a kubernetes.io/tls Secret plus
// the CA). Created once and kept, so the caBundle registered with the API server stays valid across restarts.
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describeFileError } from "../errors.js";
import { type GeneratedCertificates, type GenerateOptions, generateCertificates } from "./generate.js";
import { inspectCertificates, type PemSet } from "./inspect.js";

export const CERT_FILE_NAMES = {
  caCert: "ca.crt",
  caKey: "ca.key",
  cert: "tls.crt",
  key: "tls.key",
} as const;

/** Certificates are replaced when they expire within this many days: long before the API server minds. */
export const RENEW_BEFORE_DAYS = 30;

const PUBLIC_MODE = 0o644;
const SECRET_MODE = 0o600;

/**
 * Writes the four files. Each goes to a temporary name first and is renamed into place, so a server polling
 * the directory never reads a half-written file (at worst, for one poll, a new key with the old certificate).
 */
export async function writeCertificates(dir: string, certs: GeneratedCertificates): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const order = [
    { name: CERT_FILE_NAMES.caCert, pem: certs.caCert, mode: PUBLIC_MODE },
    { name: CERT_FILE_NAMES.caKey, pem: certs.caKey, mode: SECRET_MODE },
    { name: CERT_FILE_NAMES.key, pem: certs.key, mode: SECRET_MODE },
    { name: CERT_FILE_NAMES.cert, pem: certs.cert, mode: PUBLIC_MODE },
  ];
  const suffix = `.tmp-${randomBytes(6).toString("hex")}`;
  try {
    for (const file of order) {
      const pem = file.pem.endsWith("\n") ? file.pem : `${file.pem}\n`;
      await writeFile(join(dir, file.name + suffix), pem, { mode: file.mode, flag: "wx" });
    }
    for (const file of order) await rename(join(dir, file.name + suffix), join(dir, file.name));
  } finally {
    await Promise.all(order.map((file) => rm(join(dir, file.name + suffix), { force: true })));
  }
}

async function readPems(dir: string): Promise<PemSet> {
  const read = (name: string) => readFile(join(dir, name), "utf8");
  const [caCert, cert, key] = await Promise.all([
    read(CERT_FILE_NAMES.caCert),
    read(CERT_FILE_NAMES.cert),
    read(CERT_FILE_NAMES.key),
  ]);
  return { caCert, cert, key };
}

export type EnsureResult = (PemSet & { generated: false }) | (PemSet & { generated: true; reason: string });

export type EnsureOptions = Pick<GenerateOptions, "validityDays" | "now">;

/**
 * Keeps usable certificates in `dir` (see inspectCertificates; ca.key is not needed to keep them) and
 * otherwise generates and writes a new CA and serving pair. The result says which, and why.
 */
export async function ensureCertificates(
  dir: string,
  dnsNames: string[],
  ipAddresses: string[] = [],
  options: EnsureOptions = {},
): Promise<EnsureResult> {
  const now = options.now ?? new Date();
  let reason: string;
  try {
    const pems = await readPems(dir);
    const minRemainingMs = RENEW_BEFORE_DAYS * 86_400_000;
    const inspection = inspectCertificates(pems, { dnsNames, ipAddresses, minRemainingMs, now });
    if (inspection.usable) return { ...pems, generated: false };
    reason = inspection.reason;
  } catch (error) {
    reason = `cannot read the certificates: ${describeFileError(error)}`;
  }
  const certs = await generateCertificates({ dnsNames, ipAddresses, ...options, now });
  await writeCertificates(dir, certs);
  return { caCert: certs.caCert, cert: certs.cert, key: certs.key, generated: true, reason };
}
