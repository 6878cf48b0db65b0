// The caBundle of driftguard's own ValidatingWebhookConfiguration: set it to the Secret's bundle, and
// put it back as soon as something drops it. A GitOps tool or `kubectl apply` that rewrites the
// configuration removes the caBundle, and with failurePolicy Fail every Deployment write then fails
// until it is back: so the keeper watches the one object by name rather than waiting for the next check.
import type pino from "pino";

/** One JSON-patch operation on a webhook's caBundle; nothing else of the configuration is ever patched. */
export interface CaBundlePatchOp {
  op: "replace";
  path: `/webhooks/${number}/clientConfig/caBundle`;
  /** Base64 of the PEM bundle, as the API field holds it. */
  value: string;
}

/** The calls the keeper makes; kube-apis.ts maps them onto AdmissionregistrationV1Api and a watch. */
export interface WebhookApi {
  /** Each webhook's caBundle (base64, "" when unset) in order; undefined when the configuration is absent. */
  caBundles(): Promise<readonly string[] | undefined>;
  /** Sends `patch` as a JSON patch (application/json-patch+json). */
  patchCaBundle(patch: readonly CaBundlePatchOp[]): Promise<void>;
  /** Calls `onChange` after every change to the configuration, until stopped. */
  watch(onChange: () => void): { stop(): Promise<void> };
}

export interface CaBundleKeeper {
  /** Makes every webhook's caBundle `pem`; remembers it for the watch. */
  sync(pem: string): Promise<void>;
  /** From now on, any change to the configuration re-applies the last bundle given to `sync`. */
  watch(): void;
  stop(): Promise<void>;
}

export interface KeeperOptions {
  api: WebhookApi;
  /** The configuration's name, for the logs. */
  name: string;
  logger: pino.Logger;
}

export function createCaBundleKeeper({ api, name, logger }: KeeperOptions): CaBundleKeeper {
  let latest: string | undefined;
  let watch: { stop(): Promise<void> } | undefined;
  let stopped = false;

  async function sync(pem: string): Promise<void> {
    latest = pem;
    const current = await api.caBundles();
    if (current === undefined) {
      logger.warn(
        { webhookConfiguration: name },
        "ValidatingWebhookConfiguration not found; caBundle not set",
      );
      return;
    }
    const patch = patchFor(current, Buffer.from(pem).toString("base64"));
    if (patch.length === 0) return;
    await api.patchCaBundle(patch);
    logger.info({ webhookConfiguration: name, webhooks: patch.length }, "caBundle updated");
  }

  const restore = () => {
    if (latest === undefined) return;
    sync(latest).catch((error: unknown) =>
      logger.warn({ error: (error as Error).message }, "could not restore the caBundle"),
    );
  };

  return {
    sync,
    watch() {
      if (!stopped && watch === undefined) watch = api.watch(restore);
    },
    async stop() {
      stopped = true;
      await watch?.stop();
    },
  };
}

/** Replace operations for the webhooks whose caBundle is not `wanted` (base64). */
export function patchFor(current: readonly string[], wanted: string): CaBundlePatchOp[] {
  return current.flatMap((caBundle, index) =>
    caBundle === wanted
      ? []
      : [
          {
            op: "replace" as const,
            path: `/webhooks/${index}/clientConfig/caBundle` as const,
            value: wanted,
          },
        ],
  );
}
