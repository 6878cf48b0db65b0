// Self-managed certificates (config `certificates.mode: self-managed`), for installs without
// cert-manager, `helm template` and GitOps included: driftguard keeps its CA and serving pair in a
// Secret, writes the pair to the files the HTTPS server reloads, and keeps the caBundle of its own
// ValidatingWebhookConfiguration current. Every replica runs the same loop; the Secret's
// resourceVersion settles races (a replica that loses a create or an update reads the winner's pair).
import { readFile, rename, writeFile } from "node:fs/promises";
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Secret,
  type V1ValidatingWebhookConfiguration,
} from "@kubernetes/client-node";
import type pino from "pino";
import { generateCertificates } from "../certs/generate.js";
import { type CertificateBundle, planCertificates, rotatedBundle, SECRET_KEYS } from "../certs/rotation.js";
import type { CertificatesConfig } from "../config/types.js";
import { watchCollection } from "./watched-collection.js";

export interface SelfManagedCerts {
  /** Resolves once the serving pair is on disk (retrying until the API server answers). */
  readonly ready: Promise<void>;
  stop(): void;
}

export interface SelfManagedOptions {
  config: CertificatesConfig;
  kubeConfig: KubeConfig;
  /** Where the HTTPS server reads its pair (server.tlsCertFile / tlsKeyFile). */
  certFile: string;
  keyFile: string;
  logger: pino.Logger;
  now?: () => Date;
}

const MAX_ATTEMPTS = 5;

export function manageCertificates(options: SelfManagedOptions): SelfManagedCerts {
  const core = options.kubeConfig.makeApiClient(CoreV1Api);
  const admission = options.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  const { config, logger } = options;
  const now = options.now ?? (() => new Date());
  const namespace = config.secretNamespace;
  const name = config.secretName;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function currentBundle(): Promise<CertificateBundle> {
    for (let attempt = 1; ; attempt++) {
      const secret = await readSecret();
      const bundle = secret ? decode(secret) : undefined;
      const plan = planCertificates(bundle, {
        dnsNames: config.dnsNames,
        ipAddresses: config.ipAddresses,
        renewBeforeMs: config.renewBeforeMs,
        now: now(),
      });
      if (plan.kind === "keep" && bundle) return bundle;
      const reason = plan.kind === "issue" ? plan.reason : "unreadable";
      const issued = await issue(bundle);
      const written = secret ? await replaceSecret(secret, issued) : await createSecret(issued);
      if (written) {
        logger.info({ secret: `${namespace}/${name}`, reason }, "issued a new CA and serving certificate");
        return issued;
      }
      // Another replica wrote first: read its pair on the next round.
      if (attempt >= MAX_ATTEMPTS) throw new Error(`Secret ${namespace}/${name} keeps changing under us`);
    }
  }

  async function issue(previous: CertificateBundle | undefined): Promise<CertificateBundle> {
    const at = now();
    const generated = await generateCertificates({
      dnsNames: [...config.dnsNames],
      ipAddresses: [...config.ipAddresses],
      validityDays: config.validityMs / 86_400_000,
      now: at,
    });
    return { ...generated, caBundle: rotatedBundle(generated.caCert, previous, at) };
  }

  async function readSecret(): Promise<V1Secret | undefined> {
    try {
      return await core.readNamespacedSecret({ name, namespace });
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** False when another replica created it first (409). */
  async function createSecret(bundle: CertificateBundle): Promise<boolean> {
    try {
      await core.createNamespacedSecret({ namespace, body: encode(bundle, { name, namespace }) });
      return true;
    } catch (error) {
      if (statusOf(error) === 409) return false;
      throw error;
    }
  }

  /** False when the Secret changed since it was read (409 on the resourceVersion). */
  async function replaceSecret(secret: V1Secret, bundle: CertificateBundle): Promise<boolean> {
    try {
      await core.replaceNamespacedSecret({ name, namespace, body: encode(bundle, secret.metadata ?? {}) });
      return true;
    } catch (error) {
      if (statusOf(error) === 409) return false;
      throw error;
    }
  }

  async function writeFiles(bundle: CertificateBundle): Promise<void> {
    // Key first, then certificate, each by rename: the server's reloader never sees half a file.
    if (
      (await readOrEmpty(options.certFile)) === bundle.cert &&
      (await readOrEmpty(options.keyFile)) === bundle.key
    )
      return;
    await writeAtomically(options.keyFile, bundle.key, 0o600);
    await writeAtomically(options.certFile, bundle.cert, 0o644);
    logger.info({ certFile: options.certFile }, "serving certificate written; the server reloads it");
  }

  async function syncCaBundle(bundle: CertificateBundle): Promise<void> {
    const webhookName = config.webhookConfigurationName;
    let configuration: Awaited<ReturnType<typeof admission.readValidatingWebhookConfiguration>>;
    try {
      configuration = await admission.readValidatingWebhookConfiguration({ name: webhookName });
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
      logger.warn(
        { webhookConfiguration: webhookName },
        "ValidatingWebhookConfiguration not found; caBundle not set",
      );
      return;
    }
    const wanted = Buffer.from(bundle.caBundle).toString("base64");
    const patch = (configuration.webhooks ?? []).flatMap((webhook, index) => {
      const current = webhook.clientConfig?.caBundle;
      const text =
        typeof current === "string" ? current : current ? Buffer.from(current).toString("base64") : "";
      return text === wanted
        ? []
        : [{ op: "replace", path: `/webhooks/${index}/clientConfig/caBundle`, value: wanted }];
    });
    if (patch.length === 0) return;
    // A JSON patch: only the caBundle fields change, whatever else an admin set.
    await admission.patchValidatingWebhookConfiguration(
      { name: webhookName, body: patch },
      setHeaderOptions("Content-Type", PatchStrategy.JsonPatch),
    );
    logger.info({ webhookConfiguration: webhookName, webhooks: patch.length }, "caBundle updated");
  }

  let latest: CertificateBundle | undefined;

  async function reconcile(): Promise<void> {
    const bundle = await currentBundle();
    latest = bundle;
    // caBundle first: the API server must trust a new CA before any replica serves a pair it signed
    // (the bundle still holds the old CA, so replicas not yet reloaded stay trusted too).
    await syncCaBundle(bundle);
    await writeFiles(bundle);
  }

  // A GitOps tool or `kubectl apply` that rewrites the webhook configuration drops the caBundle, and
  // with failurePolicy Fail every Deployment write fails until it is back: watch the one object and
  // put it back at once rather than at the next check.
  const watchWebhookConfiguration = () =>
    watchCollection<V1ValidatingWebhookConfiguration>({
      name: "validatingwebhookconfiguration",
      kubeConfig: options.kubeConfig,
      logger,
      path: "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
      fieldSelector: `metadata.name=${config.webhookConfigurationName}`,
      list: () =>
        admission.listValidatingWebhookConfiguration({
          fieldSelector: `metadata.name=${config.webhookConfigurationName}`,
        }),
      resyncMs: config.checkIntervalMs * 10,
      onChange: () => {
        if (latest) {
          syncCaBundle(latest).catch((error: unknown) =>
            logger.warn({ error: (error as Error).message }, "could not restore the caBundle"),
          );
        }
      },
    });
  let webhookWatch: ReturnType<typeof watchWebhookConfiguration> | undefined;

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      reconcile()
        .catch((error: unknown) =>
          logger.warn({ error: (error as Error).message }, "certificate check failed; retrying"),
        )
        .finally(schedule);
    }, config.checkIntervalMs);
    timer.unref();
  };

  const ready = (async () => {
    for (let delay = 500; !stopped; delay = Math.min(delay * 2, 10_000)) {
      try {
        await reconcile();
        schedule();
        webhookWatch = watchWebhookConfiguration();
        return;
      } catch (error) {
        logger.warn({ error: (error as Error).message, retryInMs: delay }, "cannot set up certificates yet");
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  })();

  return {
    ready,
    stop() {
      stopped = true;
      clearTimeout(timer);
      void webhookWatch?.stop();
    },
  };
}

function decode(secret: V1Secret): CertificateBundle | undefined {
  const data = secret.data ?? {};
  const get = (key: string) =>
    data[key] === undefined ? undefined : Buffer.from(data[key], "base64").toString("utf8");
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

function encode(bundle: CertificateBundle, metadata: V1Secret["metadata"]): V1Secret {
  const b64 = (text: string) => Buffer.from(text).toString("base64");
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      ...metadata,
      labels: { ...(metadata?.labels ?? {}), "app.kubernetes.io/managed-by": "driftguard" },
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

function statusOf(error: unknown): number | undefined {
  const code =
    (error as { code?: unknown; statusCode?: unknown }).code ??
    (error as { statusCode?: unknown }).statusCode;
  return typeof code === "number" ? code : undefined;
}

async function readOrEmpty(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch {
    return "";
  }
}

async function writeAtomically(file: string, text: string, mode: number): Promise<void> {
  const temporary = `${file}.tmp-${process.pid}`;
  await writeFile(temporary, text, { mode });
  await rename(temporary, file);
}
