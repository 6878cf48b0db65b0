// The real API behind SecretApi and WebhookApi: thin on purpose, no decisions here (those are in the
// store, the keeper and the loop, which the unit tests drive with fakes); the chart e2e tests run these.
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1ValidatingWebhookConfiguration,
} from "@kubernetes/client-node";
import type pino from "pino";
import { watchCollection } from "../watched-collection.js";
import { statusOf } from "./api-status.js";
import type { WebhookApi } from "./ca-bundle-keeper.js";
import type { SecretApi, SecretRef } from "./secret-store.js";

export function kubeSecretApi(kubeConfig: KubeConfig, { namespace, name }: SecretRef): SecretApi {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return {
    read: () => core.readNamespacedSecret({ name, namespace }).catch(undefinedOn404),
    create: async (body) => void (await core.createNamespacedSecret({ namespace, body })),
    replace: async (body) => void (await core.replaceNamespacedSecret({ name, namespace, body })),
  };
}

export interface WebhookApiOptions {
  kubeConfig: KubeConfig;
  /** The ValidatingWebhookConfiguration's name (RBAC limits driftguard to it). */
  name: string;
  logger: pino.Logger;
  resyncMs: number;
}

export function kubeWebhookApi({ kubeConfig, name, logger, resyncMs }: WebhookApiOptions): WebhookApi {
  const admission = kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  const fieldSelector = `metadata.name=${name}`;
  return {
    async caBundles() {
      const configuration = await admission
        .readValidatingWebhookConfiguration({ name })
        .catch(undefinedOn404);
      return configuration && (configuration.webhooks ?? []).map((w) => base64(w.clientConfig?.caBundle));
    },
    async patchCaBundle(patch) {
      await admission.patchValidatingWebhookConfiguration(
        { name, body: patch },
        setHeaderOptions("Content-Type", PatchStrategy.JsonPatch),
      );
    },
    watch: (onChange) =>
      watchCollection<V1ValidatingWebhookConfiguration>({
        name: "validatingwebhookconfiguration",
        kubeConfig,
        logger,
        path: "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
        fieldSelector,
        list: () => admission.listValidatingWebhookConfiguration({ fieldSelector }),
        resyncMs,
        onChange,
      }),
  };
}

function undefinedOn404(error: unknown): undefined {
  if (statusOf(error) === 404) return undefined;
  throw error;
}

/** The API field is base64 text; a client that decoded it hands back bytes. */
function base64(caBundle: string | Uint8Array | undefined): string {
  if (caBundle === undefined) return "";
  return typeof caBundle === "string" ? caBundle : Buffer.from(caBundle).toString("base64");
}
