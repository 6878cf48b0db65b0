// Keeps the serving key pair current without a restart. Certificates are rotated by replacing files
// (cert-manager, a Secret volume), and a webhook that restarts to pick them up drops admission calls.
import { createHash, createPrivateKey, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createSecureContext, type Server as TlsServer } from "node:tls";
import type { FastifyBaseLogger } from "fastify";
import { describeFileError } from "../errors.js";

export interface KeyPairFiles {
  certFile: string;
  keyFile: string;
}

export interface KeyPair {
  cert: Buffer;
  key: Buffer;
}

/** TLS 1.0 and 1.1 are deprecated (RFC 8996); the API server speaks 1.2 and 1.3. */
export const MIN_TLS_VERSION = "TLSv1.2";

export async function readKeyPair(files: KeyPairFiles): Promise<KeyPair> {
  const [cert, key] = await Promise.all([readFile(files.certFile), readFile(files.keyFile)]);
  return { cert, key };
}

/** Content hash of the pair: what the poll compares, since file times and inodes lie under symlink swaps. */
export function fingerprintKeyPair(pair: KeyPair): string {
  return createHash("sha256").update(pair.cert).update("\0").update(pair.key).digest("hex");
}

/** Throws, with the reason, unless the pair can serve: both parse and the key belongs to the certificate. */
export function checkKeyPair(pair: KeyPair): void {
  const cert = new X509Certificate(pair.cert);
  if (!cert.checkPrivateKey(createPrivateKey(pair.key))) {
    throw new Error("the private key does not match the certificate");
  }
  // Also what setSecureContext will do: catches what the checks above cannot (an unusable chain, say).
  createSecureContext({ cert: pair.cert, key: pair.key, minVersion: MIN_TLS_VERSION });
}

export function applyKeyPair(server: TlsServer, pair: KeyPair): void {
  server.setSecureContext({ cert: pair.cert, key: pair.key, minVersion: MIN_TLS_VERSION });
}

export interface KeyPairWatch {
  stop(): void;
}

export interface WatchOptions {
  intervalMs: number;
  logger: FastifyBaseLogger;
  /** Fingerprint of the pair being served now. */
  current: string;
}

/**
 * Polls the files' content every `intervalMs` and swaps the server's secure context when it changes. Polling,
 * not fs.watch: a Secret volume is updated by swapping a `..data` symlink, which fs.watch on the files misses
 * (the watched inode never changes) and which some platforms do not report at all. A bad new pair (unreadable,
 * garbage, key not matching) is logged once and the old pair keeps serving until a good one appears.
 */
export function watchKeyPair(server: TlsServer, files: KeyPairFiles, options: WatchOptions): KeyPairWatch {
  const poller = new KeyPairPoller(server, files, options);
  poller.schedule();
  return { stop: () => poller.stop() };
}

class KeyPairPoller {
  private current: string;
  private lastProblem: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly server: TlsServer,
    private readonly files: KeyPairFiles,
    private readonly options: WatchOptions,
  ) {
    this.current = options.current;
  }

  /** A chain of timeouts rather than setInterval: a slow read never overlaps the next poll. */
  schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.poll().finally(() => this.schedule()), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async poll(): Promise<void> {
    let pair: KeyPair;
    try {
      pair = await readKeyPair(this.files);
    } catch (error) {
      return this.report(`read:${errorMessage(error)}`, errorMessage(error));
    }
    const fingerprint = fingerprintKeyPair(pair);
    if (fingerprint === this.current || this.stopped) return;
    try {
      checkKeyPair(pair);
      applyKeyPair(this.server, pair);
    } catch (error) {
      return this.report(fingerprint, errorMessage(error));
    }
    this.current = fingerprint;
    this.lastProblem = undefined;
    this.options.logger.info({ certFile: this.files.certFile }, "TLS key pair reloaded");
  }

  /** Logs a problem once, not on every poll while it lasts. */
  private report(problem: string, reason: string): void {
    if (problem === this.lastProblem) return;
    this.lastProblem = problem;
    const { certFile, keyFile } = this.files;
    this.options.logger.warn(
      { certFile, keyFile, reason },
      "TLS key pair not reloaded; still serving the old one",
    );
  }
}

function errorMessage(error: unknown): string {
  return describeFileError(error);
}
