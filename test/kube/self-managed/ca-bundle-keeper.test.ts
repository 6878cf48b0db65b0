// The caBundle keeper on its own: which webhooks it patches and how, and what its watch does.
import { describe, expect, it, vi } from "vitest";
import { createCaBundleKeeper } from "../../../src/kube/self-managed/ca-bundle-keeper.js";
import { memoryLogger } from "../../support/memory-logger.js";
import { FakeWebhookApi } from "./fake-apis.js";
import { until } from "./replicas.js";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const B64 = Buffer.from(PEM).toString("base64");

function keeper(webhooks = 3) {
  const api = new FakeWebhookApi([], webhooks);
  const log = memoryLogger();
  return { api, log, keeper: createCaBundleKeeper({ api, name: "driftguard", logger: log.logger }) };
}

describe("caBundle keeper", () => {
  it("patches only the webhooks whose caBundle differs, and only their caBundle", async () => {
    const { api, keeper: k } = keeper();
    api.caBundle = [B64, "", "b2xk"];
    await k.sync(PEM);
    expect(api.patches).toEqual([
      [
        { op: "replace", path: "/webhooks/1/clientConfig/caBundle", value: B64 },
        { op: "replace", path: "/webhooks/2/clientConfig/caBundle", value: B64 },
      ],
    ]);
    await k.sync(PEM);
    expect(api.patches).toHaveLength(1); // nothing to change: no patch sent
  });

  it("warns and carries on when the webhook configuration does not exist", async () => {
    const { api, log, keeper: k } = keeper();
    api.caBundle = undefined;
    await k.sync(PEM);
    expect(api.patches).toEqual([]);
    expect(log.lines.map((entry) => entry.msg)).toEqual([
      "ValidatingWebhookConfiguration not found; caBundle not set",
    ]);
  });

  it("restores on a watch event only once it knows a bundle, and not after stop", async () => {
    const { api, keeper: k } = keeper(1);
    k.watch();
    api.dropCaBundle(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(api.patches).toEqual([]);

    await k.sync(PEM);
    api.dropCaBundle(0);
    await until(() => api.pem(0) === PEM, "the restore");
    expect(api.patches).toHaveLength(2);

    await k.stop();
    expect(api.watching).toBe(false);
    k.watch(); // a late call (a setup finishing after stop) must not start a new watch
    expect(api.watching).toBe(false);
  });

  it("a failed restore is logged, not thrown", async () => {
    const { api, log, keeper: k } = keeper(1);
    await k.sync(PEM);
    k.watch();
    vi.spyOn(api, "patchCaBundle").mockRejectedValueOnce(new Error("etcdserver: request timed out"));
    api.dropCaBundle(0);
    await until(() => log.lines.some((entry) => entry.msg === "could not restore the caBundle"));
    expect(log.lines.at(-1)).toMatchObject({ error: "etcdserver: request timed out" });
  });
});
