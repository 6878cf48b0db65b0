// Replicas of the certificate loop on a shared fake cluster (one Secret, one webhook configuration),
// each with its own serving files and logs, and a clock the test moves.
import type { Logger } from "pino";
import { createCaBundleKeeper } from "../../../src/kube/self-managed/ca-bundle-keeper.js";
import {
  runCertificateLoop,
  type SelfManagedCerts,
} from "../../../src/kube/self-managed/certificate-loop.js";
import { createSecretStore, decodeBundle } from "../../../src/kube/self-managed/secret-store.js";
import { memoryLogger } from "../../support/memory-logger.js";
import { FakeFiles, FakeSecretApi, FakeWebhookApi } from "./fake-apis.js";

export const DAY = 86_400_000;
export const T0 = new Date("2026-11-24T12:00:00Z");
export const SETTINGS = {
  dnsNames: ["driftguard.driftguard.svc"],
  ipAddresses: [],
  validityMs: 365 * DAY,
  renewBeforeMs: 30 * DAY,
  checkIntervalMs: 60_000,
  secretNamespace: "driftguard",
  secretName: "driftguard-tls",
};

export interface Replica {
  loop: SelfManagedCerts;
  files: FakeFiles;
  logger: Logger;
  /** The messages logged at `level` (pino's numbers: 30 info, 40 warn). */
  logged(level: number): Array<Record<string, unknown>>;
}

export class FakeCluster {
  readonly events: string[] = [];
  readonly secrets = new FakeSecretApi(this.events);
  readonly webhooks = new FakeWebhookApi(this.events);
  now = T0;
  private readonly started: SelfManagedCerts[] = [];

  replica(files = new FakeFiles(this.events)): Replica {
    const log = memoryLogger();
    const { logger } = log;
    const ref = { namespace: SETTINGS.secretNamespace, name: SETTINGS.secretName };
    const loop = runCertificateLoop({
      settings: SETTINGS,
      store: createSecretStore(this.secrets, ref),
      caBundle: createCaBundleKeeper({ api: this.webhooks, name: "driftguard", logger }),
      files,
      logger,
      now: () => this.now,
    });
    this.started.push(loop);
    return { loop, files, logger, logged: (level) => log.lines.filter((entry) => entry.level === level) };
  }

  /** The Secret's bundle as stored. */
  bundle() {
    const bundle = this.secrets.stored && decodeBundle(this.secrets.stored);
    if (!bundle) throw new Error("no complete Secret stored");
    return bundle;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.started.map((loop) => loop.stop()));
  }
}

/**
 * Lets promises and key generation (worker threads) finish until `done` holds. Turns of the event loop,
 * not timers: the tests fake setTimeout, and a passing test waits only as long as the work takes.
 */
export async function until(done: () => boolean, what = "the condition"): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export function certificatesIn(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
}
