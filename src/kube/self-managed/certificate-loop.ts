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
  return new CertificateLoop(options);
}

class CertificateLoop implements SelfManagedCerts {
  readonly ready: Promise<void>;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private stopped = false;
  private readonly now: () => Date;

  constructor(private readonly options: LoopOptions) {
    this.now = options.now ?? (() => new Date());
    this.ready = this.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
    await this.options.caBundle.stop();
  }

  /** The first pair, retried with backoff: a pod may start before the API server answers it. */
  private async start(): Promise<void> {
    for (let delay = FIRST_RETRY_MS; !this.stopped; delay = Math.min(delay * 2, MAX_RETRY_MS)) {
      try {
        await this.reconcile();
        this.schedule();
        this.options.caBundle.watch();
        return;
      } catch (error) {
        if (this.stopped) return;
        this.options.logger.warn(
          { error: (error as Error).message, retryInMs: delay },
          "cannot set up certificates yet",
        );
        await this.pause(delay);
      }
    }
  }

  private async reconcile(): Promise<void> {
    const { store, settings, caBundle, files, logger } = this.options;
    const bundle = await settleBundle(store, settings, this.now, logger);
    // caBundle first: the API server must trust a new CA before any replica serves a pair it signed
    // (the bundle still holds the old CA, so replicas not yet reloaded stay trusted too).
    await caBundle.sync(bundle.caBundle);
    if (await files.write(bundle))
      logger.info({ certFile: files.certFile }, "serving certificate written; the server reloads it");
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.reconcile()
        .catch((error: unknown) =>
          this.options.logger.warn({ error: (error as Error).message }, "certificate check failed; retrying"),
        )
        .finally(() => this.schedule());
    }, this.options.settings.checkIntervalMs);
    // The server keeps the process alive, not this check.
    this.timer.unref();
  }

  /** Not unref'd: while `serve` waits for its first pair, this retry is all that keeps it running. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }
}
