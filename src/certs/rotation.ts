// Self-managed certificates (config `certificates.mode: self-managed`): what the Secret should hold.
// Pure: PEMs and a clock in, a plan out; src/kube/self-managed/ reads and writes the Secret.
// A rotation replaces CA and serving pair together and keeps the previous CA in the bundle while it is
// valid, so that replicas still serving the old pair stay trusted until they reload.
import { X509Certificate } from "node:crypto";
import { inspectCertificates } from "./inspect.js";

/** The Secret's data, decoded. */
export interface CertificateBundle {
  caCert: string;
  caKey: string;
  cert: string;
  key: string;
  /** Every CA the API server should trust now (the current one first): the caBundle. */
  caBundle: string;
}

export const SECRET_KEYS = {
  caCert: "ca.crt",
  caKey: "ca.key",
  cert: "tls.crt",
  key: "tls.key",
  caBundle: "ca-bundle.crt",
} as const;

export type CertificatePlan = { kind: "keep" } | { kind: "issue"; reason: string };

export interface PlanOptions {
  dnsNames: readonly string[];
  ipAddresses?: readonly string[];
  renewBeforeMs: number;
  now: Date;
}

export function planCertificates(
  bundle: CertificateBundle | undefined,
  options: PlanOptions,
): CertificatePlan {
  if (!bundle) return { kind: "issue", reason: "no certificate yet" };
  const inspection = inspectCertificates(bundle, {
    dnsNames: options.dnsNames,
    ipAddresses: options.ipAddresses ?? [],
    minRemainingMs: options.renewBeforeMs,
    now: options.now,
  });
  if (!inspection.usable) return { kind: "issue", reason: inspection.reason };
  if (!bundle.caBundle.includes(bundle.caCert.trim()))
    return { kind: "issue", reason: "the CA is missing from the bundle" };
  return { kind: "keep" };
}

/** The bundle after a rotation: the new CA, then the old one if it is still valid. */
export function rotatedBundle(newCaCert: string, previous: CertificateBundle | undefined, now: Date): string {
  const kept = previous && stillValid(previous.caCert, now) ? [previous.caCert.trim()] : [];
  return `${[newCaCert.trim(), ...kept].join("\n")}\n`;
}

function stillValid(pem: string, now: Date): boolean {
  try {
    return Date.parse(new X509Certificate(pem).validTo) > now.getTime();
  } catch {
    return false;
  }
}
