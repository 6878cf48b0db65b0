// The Secret that holds the self-managed CA, serving pair and caBundle: read it, create it, replace it.
// Every replica writes through here; the API server's resourceVersion check settles races, so a write
// that loses (409) reports false and the caller reads the winner's pair instead of overwriting it.
import type { V1Secret } from "@kubernetes/client-node";
import { type CertificateBundle, SECRET_KEYS } from "../../certs/rotation.js";
import { statusOf } from "./api-status.js";

/** The calls the store makes; kube-apis.ts maps them onto CoreV1Api, the tests onto a map. */
export interface SecretApi {
  /** Undefined when the Secret does not exist (404). */
  read(): Promise<V1Secret | undefined>;
  /** Rejects with status 409 when the Secret exists already. */
  create(secret: V1Secret): Promise<void>;
  /** Rejects with status 409 when `metadata.resourceVersion` is no longer the stored one. */
  replace(secret: V1Secret): Promise<void>;
}

/** What a read found: the decoded bundle (undefined when absent or incomplete) and the object it came from. */
export interface StoredCertificates {
  readonly bundle: CertificateBundle | undefined;
  readonly secret: V1Secret | undefined;
}

export interface SecretStore {
  read(): Promise<StoredCertificates>;
  /**
   * Writes `bundle` over what `read` found: a create when there was no Secret, else a replace at the
   * resourceVersion read. False when another replica wrote first; read again.
   */
  write(over: StoredCertificates, bundle: CertificateBundle): Promise<boolean>;
}

export interface SecretRef {
  namespace: string;
  name: string;
}

export function createSecretStore(api: SecretApi, ref: SecretRef): SecretStore {
  return {
    async read() {
      const secret = await api.read();
      return { secret, bundle: secret ? decodeBundle(secret) : undefined };
    },
    async write(over, bundle) {
      try {
        if (over.secret) await api.replace(encodeBundle(bundle, over.secret.metadata ?? {}));
        else await api.create(encodeBundle(bundle, { name: ref.name, namespace: ref.namespace }));
        return true;
      } catch (error) {
        if (statusOf(error) === 409) return false;
        throw error;
      }
    },
  };
}

/** The bundle in a Secret, or undefined when a key is missing (the Secret is then rewritten whole). */
export function decodeBundle(secret: V1Secret): CertificateBundle | undefined {
  const data = secret.data ?? {};
  const get = (key: string) => {
    const value = data[key];
    return value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8");
  };
  const bundle = {
    caCert: get(SECRET_KEYS.caCert),
    caKey: get(SECRET_KEYS.caKey),
    cert: get(SECRET_KEYS.cert),
    key: get(SECRET_KEYS.key),
    caBundle: get(SECRET_KEYS.caBundle),
  };
  if (Object.values(bundle).some((value) => value === undefined)) return undefined;
  return bundle as CertificateBundle;
}

/** A Secret holding `bundle`; `metadata` (resourceVersion included) is kept, so a replace checks it. */
export function encodeBundle(
  bundle: CertificateBundle,
  metadata: NonNullable<V1Secret["metadata"]>,
): V1Secret {
  const b64 = (text: string) => Buffer.from(text).toString("base64");
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      ...metadata,
      labels: { ...(metadata.labels ?? {}), "app.kubernetes.io/managed-by": "driftguard" },
    },
    type: "Opaque",
    data: {
      [SECRET_KEYS.caCert]: b64(bundle.caCert),
      [SECRET_KEYS.caKey]: b64(bundle.caKey),
      [SECRET_KEYS.cert]: b64(bundle.cert),
      [SECRET_KEYS.key]: b64(bundle.key),
      [SECRET_KEYS.caBundle]: b64(bundle.caBundle),
    },
  };
}
