// One look at the Secret: keep its bundle when the plan (src/certs/rotation.ts) says so, else issue a
// new CA and pair and write them. A write that loses to another replica reads again and, the winner's
// pair being fresh, keeps it: every replica ends up serving the same pair.
import type pino from "pino";
import { generateCertificates } from "../../certs/generate.js";
import { type CertificateBundle, planCertificates, rotatedBundle } from "../../certs/rotation.js";
import type { CertificatesConfig } from "../../config/types.js";
import type { SecretStore } from "./secret-store.js";

export type IssueSettings = Pick<
  CertificatesConfig,
  "dnsNames" | "ipAddresses" | "validityMs" | "renewBeforeMs" | "secretNamespace" | "secretName"
>;

// Losing five writes in a row means something else rewrites the Secret all the time: say so, retry later.
const MAX_ATTEMPTS = 5;

export async function settleBundle(
  store: SecretStore,
  settings: IssueSettings,
  now: () => Date,
  logger: pino.Logger,
): Promise<CertificateBundle> {
  const secret = `${settings.secretNamespace}/${settings.secretName}`;
  for (let attempt = 1; ; attempt++) {
    const stored = await store.read();
    const plan = planCertificates(stored.bundle, {
      dnsNames: settings.dnsNames,
      ipAddresses: settings.ipAddresses,
      renewBeforeMs: settings.renewBeforeMs,
      now: now(),
    });
    if (plan.kind === "keep" && stored.bundle) return stored.bundle;
    const reason = plan.kind === "issue" ? plan.reason : "unreadable";
    const issued = await issue(settings, stored.bundle, now());
    if (await store.write(stored, issued)) {
      logger.info({ secret, reason }, "issued a new CA and serving certificate");
      return issued;
    }
    if (attempt >= MAX_ATTEMPTS) throw new Error(`Secret ${secret} keeps changing under us`);
  }
}

/** A new CA and pair; the bundle keeps the previous CA while it is valid (replicas not yet reloaded). */
async function issue(
  settings: IssueSettings,
  previous: CertificateBundle | undefined,
  at: Date,
): Promise<CertificateBundle> {
  const generated = await generateCertificates({
    dnsNames: [...settings.dnsNames],
    ipAddresses: [...settings.ipAddresses],
    validityDays: settings.validityMs / 86_400_000,
    now: at,
  });
  return { ...generated, caBundle: rotatedBundle(generated.caCert, previous, at) };
}
