// The test bed's credentials, made fresh for every run: a CA and serving certificate for the API server
// (the same generator driftguard uses for its own webhook certificate), the service-account signing key
// pair, and a static token file naming each test user and its groups.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateCertificates } from "../../../src/certs/generate.js";

export interface TestUser {
  name: string;
  groups: string[];
}

export interface Pki {
  caFile: string;
  certFile: string;
  keyFile: string;
  saPublicKeyFile: string;
  saPrivateKeyFile: string;
  tokenFile: string;
  /** Bearer token per user name. */
  tokens: ReadonlyMap<string, string>;
}

export async function makePki(dir: string, users: readonly TestUser[]): Promise<Pki> {
  const serving = await generateCertificates({ dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] });
  const pki: Pki = {
    caFile: join(dir, "ca.crt"),
    certFile: join(dir, "apiserver.crt"),
    keyFile: join(dir, "apiserver.key"),
    saPublicKeyFile: join(dir, "sa.pub"),
    saPrivateKeyFile: join(dir, "sa.key"),
    tokenFile: join(dir, "tokens.csv"),
    tokens: new Map(users.map((user) => [user.name, randomBytes(24).toString("hex")])),
  };
  await writeFile(pki.caFile, serving.caCert);
  await writeFile(pki.certFile, serving.cert);
  await writeFile(pki.keyFile, serving.key, { mode: 0o600 });
  const sa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  await writeFile(pki.saPublicKeyFile, sa.publicKey.export({ type: "spki", format: "pem" }));
  await writeFile(pki.saPrivateKeyFile, sa.privateKey.export({ type: "pkcs8", format: "pem" }), {
    mode: 0o600,
  });
  // kube-apiserver's --token-auth-file: token,user,uid,"group1,group2"
  const lines = users.map(
    (user) => `${pki.tokens.get(user.name)},${user.name},${user.name},"${user.groups.join(",")}"`,
  );
  await writeFile(pki.tokenFile, `${lines.join("\n")}\n`, { mode: 0o600 });
  return pki;
}
