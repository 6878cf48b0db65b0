// Decides whether certificates already on disk can keep serving. Pure: PEM strings in, a verdict out.
import { createPrivateKey, X509Certificate } from "node:crypto";
import { describeError } from "../errors.js";

export interface PemSet {
  caCert: string;
  cert: string;
  key: string;
}

export interface InspectOptions {
  dnsNames: readonly string[];
  ipAddresses: readonly string[];
  /** Certificates that expire sooner than this are not usable. */
  minRemainingMs: number;
  now: Date;
}

export type Inspection = { usable: true } | { usable: false; reason: string };

function parse<T>(what: string, make: () => T): T {
  try {
    return make();
  } catch (error) {
    throw new Error(`${what} does not parse: ${describeError(error)}`);
  }
}

function checkExpiry(what: string, cert: X509Certificate, options: InspectOptions): void {
  const notAfter = Date.parse(cert.validTo);
  if (Number.isNaN(notAfter) || notAfter - options.now.getTime() < options.minRemainingMs) {
    throw new Error(`${what} expires too soon (${cert.validTo})`);
  }
}

function checkNames(cert: X509Certificate, options: InspectOptions): void {
  const missingName = options.dnsNames.find((name) => cert.checkHost(name) === undefined);
  if (missingName !== undefined) throw new Error(`tls.crt does not cover the DNS name ${missingName}`);
  const missingIp = options.ipAddresses.find((ip) => cert.checkIP(ip) === undefined);
  if (missingIp !== undefined) throw new Error(`tls.crt does not cover the IP address ${missingIp}`);
}

function checkAll(pems: PemSet, options: InspectOptions): void {
  const ca = parse("ca.crt", () => new X509Certificate(pems.caCert));
  const cert = parse("tls.crt", () => new X509Certificate(pems.cert));
  const key = parse("tls.key", () => createPrivateKey(pems.key));
  if (!ca.ca) throw new Error("ca.crt is not a CA certificate");
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) throw new Error("tls.crt is not signed by ca.crt");
  if (!cert.checkPrivateKey(key)) throw new Error("tls.key does not match tls.crt");
  checkExpiry("ca.crt", ca, options);
  checkExpiry("tls.crt", cert, options);
  checkNames(cert, options);
}

/** Usable means: all three parse, the chain and key match, nothing expires soon, every name is covered. */
export function inspectCertificates(pems: PemSet, options: InspectOptions): Inspection {
  try {
    checkAll(pems, options);
    return { usable: true };
  } catch (error) {
    return { usable: false, reason: describeError(error) };
  }
}
