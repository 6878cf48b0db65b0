// `driftguard certs`: a CA and a serving certificate for the webhook.
import { writeCertificates } from "../certs/files.js";
import { generateCertificates } from "../certs/generate.js";
import { DriftguardError, describeFileError } from "../errors.js";
import { parse } from "./args.js";
import { CliError } from "./errors.js";

const HELP = `driftguard certs --out DIR --dns NAME [--dns NAME...] [--ip IP...] [--days N]

Writes ca.crt, ca.key, tls.crt and tls.key (keys mode 0600) to DIR: an ECDSA P-256 CA and a serving
certificate signed by it for the given DNS names and IP addresses. Put base64(ca.crt) in the
ValidatingWebhookConfiguration's caBundle.`;

export async function runCerts(args: string[]): Promise<number> {
  const options = {
    out: { type: "string" },
    dns: { type: "string", multiple: true },
    ip: { type: "string", multiple: true },
    days: { type: "string" },
  } as const;
  const parsed = parse(args, options, HELP);
  if (!parsed) return 0;
  const { out, dns = [], ip = [], days } = parsed.values;
  if (!out) throw new CliError("--out DIR is required", "give the folder to write the four files to");
  if (dns.length === 0 && ip.length === 0)
    throw new CliError("give at least one --dns NAME or --ip IP", "e.g. --dns driftguard.driftguard.svc");
  const validityDays = days === undefined ? undefined : Number(days);
  if (validityDays !== undefined && !(Number.isInteger(validityDays) && validityDays > 0)) {
    throw new CliError(`--days must be a positive whole number, not "${days}"`, "e.g. --days 365");
  }
  const certs = await generateCertificates({
    dnsNames: dns,
    ipAddresses: ip,
    ...(validityDays ? { validityDays } : {}),
  });
  try {
    await writeCertificates(out, certs);
  } catch (error) {
    throw new DriftguardError(
      "DG_CERTS_WRITE_FAILED",
      `cannot write the certificates: ${describeFileError(error)}`,
      {
        where: `--out ${out}`,
        hint: "give --out a folder you can write to (it is created if missing)",
        cause: error,
      },
    );
  }
  process.stdout.write(`wrote ca.crt, ca.key, tls.crt, tls.key to ${out}\n`);
  return 0;
}
