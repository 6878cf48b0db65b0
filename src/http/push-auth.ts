// Credentials for the push endpoint: a bearer token, or GitHub's HMAC signature of the raw body made with the
// same shared secret. Both comparisons are constant-time so response timing reveals nothing of the secret.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

const BEARER = /^Bearer +(\S+) *$/i;
const SIGNATURE_PREFIX = "sha256=";

/**
 * Equal in constant time. Both sides are hashed first: timingSafeEqual needs equal lengths, and comparing
 * digests keeps the secret's length from showing in an early return.
 */
export function secretsEqual(a: string | Buffer, b: string | Buffer): boolean {
  const left = createHash("sha256").update(a).digest();
  const right = createHash("sha256").update(b).digest();
  return timingSafeEqual(left, right);
}

/** `Authorization: Bearer <token>` carrying the shared secret. */
export function isValidBearer(authorization: string | undefined, secret: string): boolean {
  const presented = BEARER.exec(authorization ?? "")?.[1];
  return presented !== undefined && secretsEqual(presented, secret);
}

/** GitHub's `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`. */
export function isValidHubSignature(signature: string | undefined, rawBody: Buffer, secret: string): boolean {
  if (signature === undefined || !signature.startsWith(SIGNATURE_PREFIX)) return false;
  return secretsEqual(signature.trim().toLowerCase(), signHubPayload(rawBody, secret));
}

/** The signature GitHub sends for `rawBody`; also how tests and scripts sign a push. */
export function signHubPayload(rawBody: Buffer | string, secret: string): string {
  return SIGNATURE_PREFIX + createHmac("sha256", secret).update(rawBody).digest("hex");
}
