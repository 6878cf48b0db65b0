// A private CA and a serving certificate for the webhook, for clusters without cert-manager. The API server
// trusts the CA through the webhook's caBundle; the serving pair is what src/http/server.ts loads.
// The Reflect polyfill must load before @peculiar/x509 (its dependency injection needs Reflect metadata).
import "reflect-metadata";
import { randomBytes, webcrypto } from "node:crypto";
import { isIP } from "node:net";
import * as x509 from "@peculiar/x509";
import { DriftguardError } from "../errors.js";

x509.cryptoProvider.set(webcrypto);

/** PEM strings; private keys are PKCS#8. */
export interface GeneratedCertificates {
  caCert: string;
  caKey: string;
  cert: string;
  key: string;
}

export interface GenerateOptions {
  dnsNames: string[];
  ipAddresses?: string[];
  /** Validity of the CA and the serving certificate. Default 365 days. */
  validityDays?: number;
  /** Issue as if at this time (tests make expired certificates with it). Default now. */
  now?: Date;
}

export const CA_COMMON_NAME = "driftguard-ca";
const SERVING_COMMON_NAME = "driftguard-webhook";
const DEFAULT_VALIDITY_DAYS = 365;
// Nodes' and the API server's clocks drift; a certificate valid only from "now" can look not-yet-valid.
const BACKDATE_MS = 5 * 60 * 1000;
const KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGNING_ALGORITHM = { name: "ECDSA", hash: "SHA-256" } as const;

interface Validity {
  notBefore: Date;
  notAfter: Date;
}

interface Issued {
  cert: x509.X509Certificate;
  keys: webcrypto.CryptoKeyPair;
}

export async function generateCertificates(options: GenerateOptions): Promise<GeneratedCertificates> {
  const ipAddresses = options.ipAddresses ?? [];
  checkNames(options.dnsNames, ipAddresses);
  const now = options.now ?? new Date();
  const validity = {
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + (options.validityDays ?? DEFAULT_VALIDITY_DAYS) * 86_400_000),
  };
  const ca = await createCa(validity);
  const serving = await createServingCertificate(ca, validity, options.dnsNames, ipAddresses);
  return {
    caCert: withNewline(ca.cert.toString("pem")),
    caKey: await exportPrivateKey(ca.keys.privateKey),
    cert: withNewline(serving.cert.toString("pem")),
    key: await exportPrivateKey(serving.keys.privateKey),
  };
}

async function createCa(validity: Validity): Promise<Issued> {
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    ...validity,
    serialNumber: randomSerial(),
    name: `CN=${CA_COMMON_NAME}`,
    signingAlgorithm: SIGNING_ALGORITHM,
    keys,
    extensions: [
      // pathLength 0: this CA signs serving certificates only, never another CA.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys };
}

async function createServingCertificate(
  ca: Issued,
  validity: Validity,
  dnsNames: readonly string[],
  ipAddresses: readonly string[],
): Promise<Issued> {
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.create({
    ...validity,
    serialNumber: randomSerial(),
    subject: `CN=${SERVING_COMMON_NAME}`,
    issuer: ca.cert.subject,
    signingAlgorithm: SIGNING_ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions: await servingExtensions(keys.publicKey, ca.keys.publicKey, dnsNames, ipAddresses),
  });
  return { cert, keys };
}

async function servingExtensions(
  publicKey: webcrypto.CryptoKey,
  caPublicKey: webcrypto.CryptoKey,
  dnsNames: readonly string[],
  ipAddresses: readonly string[],
): Promise<x509.Extension[]> {
  const names = [
    ...dnsNames.map((value) => ({ type: "dns" as const, value })),
    ...ipAddresses.map((value) => ({ type: "ip" as const, value })),
  ];
  return [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    // Clients match the host against the SANs only; the subject CN is informational.
    new x509.SubjectAlternativeNameExtension(names),
    await x509.SubjectKeyIdentifierExtension.create(publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(caPublicKey),
  ];
}

function checkNames(dnsNames: readonly string[], ipAddresses: readonly string[]): void {
  if (dnsNames.length === 0 && ipAddresses.length === 0) {
    throw new DriftguardError(
      "DG_CERTS_INVALID_NAME",
      "a serving certificate needs at least one DNS name or IP address",
      { hint: "give the names the API server calls the webhook by, e.g. driftguard.driftguard.svc" },
    );
  }
  const badName = dnsNames.find((name) => !/^(\*\.)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/i.test(name));
  if (badName !== undefined)
    throw new DriftguardError("DG_CERTS_INVALID_NAME", `not a DNS name: ${JSON.stringify(badName)}`, {
      hint: "a DNS name is letters, digits, '-' and '.', optionally starting with '*.'; IP addresses go to --ip",
    });
  const badIp = ipAddresses.find((ip) => isIP(ip) === 0);
  if (badIp !== undefined)
    throw new DriftguardError("DG_CERTS_INVALID_NAME", `not an IP address: ${JSON.stringify(badIp)}`, {
      hint: "give an IPv4 or IPv6 address such as 127.0.0.1 or ::1; names go to --dns",
    });
}

async function generateKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  // Extractable, since the keys are written to files.
  return webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"]);
}

async function exportPrivateKey(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key);
  return withNewline(x509.PemConverter.encode(der, "PRIVATE KEY"));
}

/** PEM files end with a newline; tools that concatenate them (a CA bundle) rely on it. */
function withNewline(pem: string): string {
  return pem.endsWith("\n") ? pem : `${pem}\n`;
}

/** A positive 128-bit serial: random, as RFC 5280 §4.1.2.2 recommends, with the sign bit cleared. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString("hex");
}
