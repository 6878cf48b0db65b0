// The Secret store: the Secret's keys and labels, and how a lost race (409) is reported.
import { describe, expect, it } from "vitest";
import type { CertificateBundle } from "../../../src/certs/rotation.js";
import {
  createSecretStore,
  decodeBundle,
  encodeBundle,
} from "../../../src/kube/self-managed/secret-store.js";
import { ApiError, FakeSecretApi } from "./fake-apis.js";

const BUNDLE: CertificateBundle = {
  caCert: "ca",
  caKey: "ca key",
  cert: "tls",
  key: "tls key",
  caBundle: "ca\n",
};
const REF = { namespace: "driftguard", name: "driftguard-tls" };

describe("Secret store", () => {
  it("encodes the five keys a kubernetes.io/tls reader and the chart expect, and decodes them back", () => {
    const secret = encodeBundle(BUNDLE, { name: "x", resourceVersion: "7", labels: { team: "a" } });
    expect(Object.keys(secret.data ?? {}).sort()).toEqual([
      "ca-bundle.crt",
      "ca.crt",
      "ca.key",
      "tls.crt",
      "tls.key",
    ]);
    expect(secret.data?.["tls.key"]).toBe(Buffer.from("tls key").toString("base64"));
    expect(secret.metadata).toEqual({
      name: "x",
      resourceVersion: "7",
      labels: { team: "a", "app.kubernetes.io/managed-by": "driftguard" },
    });
    expect(decodeBundle(secret)).toEqual(BUNDLE);
  });

  it("reads a Secret missing a key as no bundle, so that it is rewritten whole", async () => {
    const api = new FakeSecretApi();
    const secret = encodeBundle(BUNDLE, REF);
    delete secret.data?.["ca-bundle.crt"];
    await api.create(secret);
    const read = await createSecretStore(api, REF).read();
    expect(read.bundle).toBeUndefined();
    expect(read.secret?.metadata?.resourceVersion).toBe("1");
  });

  it("creates when there was none, and reports a lost create (409) as false", async () => {
    const api = new FakeSecretApi();
    const store = createSecretStore(api, REF);
    const empty = await store.read();
    expect(await store.write(empty, BUNDLE)).toBe(true);
    expect(api.stored?.metadata).toMatchObject({ name: "driftguard-tls", namespace: "driftguard" });
    expect(await store.write(empty, { ...BUNDLE, cert: "other" })).toBe(false);
    expect(decodeBundle(api.stored ?? {})?.cert).toBe("tls");
  });

  it("replaces at the resourceVersion read; a stale one loses (false)", async () => {
    const api = new FakeSecretApi();
    const store = createSecretStore(api, REF);
    await store.write(await store.read(), BUNDLE);
    const read = await store.read();
    expect(await store.write(read, { ...BUNDLE, cert: "second" })).toBe(true);
    expect(await store.write(read, { ...BUNDLE, cert: "third" })).toBe(false);
    expect(decodeBundle(api.stored ?? {})?.cert).toBe("second");
  });

  it("passes other API errors on", async () => {
    const api = new FakeSecretApi();
    api.replace = async () => {
      throw new ApiError(403);
    };
    const store = createSecretStore(api, REF);
    await api.create(encodeBundle(BUNDLE, REF));
    await expect(store.write(await store.read(), BUNDLE)).rejects.toMatchObject({ code: 403 });
  });
});
