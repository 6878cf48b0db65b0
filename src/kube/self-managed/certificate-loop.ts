// The self-managed certificate loop every replica runs: settle the Secret's bundle, make the webhook
// configuration trust it, then hand the pair to the HTTPS server through its files; again every
// checkInterval, so that a rotation (by this replica or another) reaches every server without a restart.
import type pino from "pino";
import type { ServingFiles } from "../../certs/serving-files.js";
import type { CertificatesConfig } from "../../config/types.js";
import type { CaBundleKeeper } from "./ca-bundle-keeper.js";
import type { SecretStore } from "./secret-store.js";
import { type IssueSettings, settleBundle } from "./settle-bundle.js";

export interface SelfManagedCerts {
  /** Resolves once the serving pair is on disk (retrying until the API server answers), or on stop. */
  readonly ready: Promise<void>;
  /** Cancels the next check or retry and stops the caBundle watch. */
  stop(): Promise<void>;
}

export interface LoopOptions {
  settings: IssueSettings & Pick<CertificatesConfig, "checkIntervalMs">;
  store: SecretStore;
  caBundle: CaBundleKeeper;
  files: ServingFiles;
  logger: pino.Logger;
  now?: () => Date;
}

// While the API server cannot be reached at start: 0.5 s, doubling up to 10 s between attempts.
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;

export function runCertificateLoop(options: LoopOptions): SelfManagedCerts {
  const { settings, store, caBundle, files, logger } = options;
  const now = options.now ?? (() => new Date());
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  let stopped = false;

  async function reconcile(): Promise<void> {
    const bundle = await settleBundle(store, settings, now, logger);
    // caBundle first: the API server must trust a new CA before any replica serves a pair it signed
    // (the bundle still holds the old CA, so replicas not yet reloaded stay trusted too).
    await caBundle.sync(bundle.caBundle);
    if (await files.write(bundle))
      logger.info({ certFile: files.certFile }, "serving certificate written; the server reloads it");
  }

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      reconcile()
        .catch((error: unknown) =>
          logger.warn({ error: (error as Error).message }, "certificate check failed; retrying"),
        )
        .finally(schedule);
    }, settings.checkIntervalMs);
    // The server keeps the process alive, not this check.
    timer.unref();
  };

  // Not unref'd: while it waits for its first pair, this retry is all that keeps `serve` running.
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });

  const ready = (async () => {
    for (let delay = FIRST_RETRY_MS; !stopped; delay = Math.min(delay * 2, MAX_RETRY_MS)) {
      try {
        await reconcile();
        schedule();
        caBundle.watch();
        return;
      } catch (error) {
        if (stopped) return;
        logger.warn({ error: (error as Error).message, retryInMs: delay }, "cannot set up certificates yet");
        await pause(delay);
      }
    }
  })();

  return {
    ready,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      await caBundle.stop();
    },
  };
}
