// Self-managed certificates (config `certificates.mode: self-managed`), for installs without
// cert-manager, `helm template` and GitOps included: driftguard keeps its CA and serving pair in a
// Secret, writes the pair to the files the HTTPS server reloads, and keeps the caBundle of its own
// ValidatingWebhookConfiguration current. The parts are in ./self-managed/: the Secret store, the
// caBundle keeper, the loop that runs them; this file wires them to the real API server.
import type { KubeConfig } from "@kubernetes/client-node";
import type pino from "pino";
import { servingFiles } from "../certs/serving-files.js";
import type { CertificatesConfig } from "../config/types.js";
import { createCaBundleKeeper } from "./self-managed/ca-bundle-keeper.js";
import { runCertificateLoop, type SelfManagedCerts } from "./self-managed/certificate-loop.js";
import { kubeSecretApi, kubeWebhookApi } from "./self-managed/kube-apis.js";
import { createSecretStore } from "./self-managed/secret-store.js";

export type { SelfManagedCerts } from "./self-managed/certificate-loop.js";

export interface SelfManagedOptions {
  config: CertificatesConfig;
  kubeConfig: KubeConfig;
  /** Where the HTTPS server reads its pair (server.tlsCertFile / tlsKeyFile). */
  certFile: string;
  keyFile: string;
  logger: pino.Logger;
  now?: () => Date;
}

export function manageCertificates(options: SelfManagedOptions): SelfManagedCerts {
  const { config, kubeConfig, logger } = options;
  const ref = { namespace: config.secretNamespace, name: config.secretName };
  const name = config.webhookConfigurationName;
  // A fresh list every ten checks, in case the watch connection died without an error.
  const webhooks = kubeWebhookApi({ kubeConfig, name, logger, resyncMs: config.checkIntervalMs * 10 });
  return runCertificateLoop({
    settings: config,
    store: createSecretStore(kubeSecretApi(kubeConfig, ref), ref),
    caBundle: createCaBundleKeeper({ api: webhooks, name, logger }),
    files: servingFiles(options.certFile, options.keyFile),
    logger,
    ...(options.now ? { now: options.now } : {}),
  });
}
