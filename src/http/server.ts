// Listens with the app built by app.ts: HTTPS only, key pair from files and kept current, graceful close.
import type { AddressInfo } from "node:net";
import { Server as TlsServer } from "node:tls";
import type { FastifyInstance } from "fastify";
import { DriftguardError, describeError, describeFileError, internalError } from "../errors.js";
import {
  applyKeyPair,
  checkKeyPair,
  fingerprintKeyPair,
  type KeyPair,
  type KeyPairFiles,
  readKeyPair,
  watchKeyPair,
} from "./tls-reloader.js";

export interface ServerOptions {
  host: string;
  /** 0 picks a free port (tests); the chosen one is in the result. */
  port: number;
  certFile: string;
  keyFile: string;
  /** How often the key pair files are compared with what is served. */
  reloadIntervalMs: number;
  /** After this long, connections still busy at close are cut. Default 10 s (well inside a pod's 30 s grace). */
  shutdownTimeoutMs?: number;
  /** The config keys a listen error names; default server.host and server.port. */
  keys?: ListenKeys;
}

/** The config keys that set a listener's address, as its errors name them. */
export interface ListenKeys {
  host: string;
  port: string;
}

const WEBHOOK_KEYS: ListenKeys = { host: "server.host", port: "server.port" };

export interface RunningServer {
  url: string;
  port: number;
  /** Stops accepting, lets in-flight requests finish (up to shutdownTimeoutMs), then resolves. */
  close(): Promise<void>;
}

const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * Starts serving `app`, which must have been built with `https` (any pair: the files given here replace it
 * before the first connection). Fails at once when the files do not hold a usable pair.
 */
export async function startServer(app: FastifyInstance, options: ServerOptions): Promise<RunningServer> {
  const server = app.server;
  if (!(server instanceof TlsServer)) {
    throw internalError("startServer serves HTTPS only: build the app with the https option");
  }
  const files = { certFile: options.certFile, keyFile: options.keyFile };
  const pair = await loadKeyPair(files);
  applyKeyPair(server, pair);
  await listen(app, options.host, options.port, options.keys ?? WEBHOOK_KEYS);
  const watch = watchKeyPair(server, files, {
    intervalMs: options.reloadIntervalMs,
    logger: app.log,
    current: fingerprintKeyPair(pair),
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    watch.stop();
    closing ??= closeGracefully(app, options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
    return closing;
  };
  return { url: `https://${formatHost(options.host)}:${port}`, port, close };
}

/**
 * Serves `app` over plain HTTP: only the web view on loopback does (reached through kubectl
 * port-forward, whose tunnel the API server authorizes and encrypts). The webhook never does.
 */
export async function startPlainServer(
  app: FastifyInstance,
  options: Pick<ServerOptions, "host" | "port" | "shutdownTimeoutMs"> & { keys: ListenKeys },
): Promise<RunningServer> {
  if (app.server instanceof TlsServer) throw internalError("startPlainServer was given an HTTPS app");
  await listen(app, options.host, options.port, options.keys);
  const port = (app.server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= closeGracefully(app, options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
    return closing;
  };
  return { url: `http://${formatHost(options.host)}:${port}`, port, close };
}

/**
 * Reads and checks the pair at start: a webhook without a usable certificate must not come up. Throws
 * DG_TLS_UNUSABLE naming both files and the config keys.
 */
export async function loadKeyPair(files: KeyPairFiles): Promise<KeyPair> {
  try {
    const pair = await readKeyPair(files);
    checkKeyPair(pair);
    return pair;
  } catch (error) {
    throw new DriftguardError("DG_TLS_UNUSABLE", `cannot serve TLS: ${describeFileError(error)}`, {
      where: `server.tlsCertFile ${files.certFile}, server.tlsKeyFile ${files.keyFile}`,
      hint: FIX_TLS,
      cause: error,
    });
  }
}

const FIX_TLS =
  "point server.tlsCertFile and server.tlsKeyFile at a PEM certificate and its key (`driftguard certs` makes a pair)";

// What to do when the port cannot be bound, by the error code Node reports.
const LISTEN_FIXES: Readonly<Record<string, (keys: ListenKeys) => { what: string; hint: string }>> = {
  EADDRINUSE: (keys) => ({
    what: "the address is already in use",
    hint: `stop the other process listening there, or set ${keys.port} to a free port`,
  }),
  EACCES: (keys) => ({
    what: "permission denied",
    hint: `ports below 1024 need privileges: set ${keys.port} to 1024 or above`,
  }),
  EADDRNOTAVAIL: (keys) => ({
    what: "no network interface of this machine has that address",
    hint: `set ${keys.host} to an address of this machine, or 0.0.0.0 for all of them`,
  }),
};

/** Listens, or says why not in the config's terms; the app is closed again so that nothing is left open. */
async function listen(app: FastifyInstance, host: string, port: number, keys: ListenKeys): Promise<void> {
  try {
    await app.listen({ host, port });
  } catch (error) {
    await app.close().catch(() => undefined);
    const code = (error as { code?: unknown }).code;
    const known = typeof code === "string" ? LISTEN_FIXES[code]?.(keys) : undefined;
    throw new DriftguardError("DG_LISTEN_FAILED", `cannot listen: ${known?.what ?? describeError(error)}`, {
      where: `${keys.host} ${host}, ${keys.port} ${port}`,
      hint: known?.hint ?? `check ${keys.host} and ${keys.port}`,
      cause: error,
    });
  }
}

async function closeGracefully(app: FastifyInstance, timeoutMs: number): Promise<void> {
  // fastify's close stops the listener, closes idle keep-alive sockets, answers 503 to new requests on busy
  // ones and waits for in-flight requests. The deadline cuts a request that would hold shutdown forever.
  const deadline = setTimeout(() => {
    app.log.warn("shutdown deadline reached; closing busy connections");
    app.server.closeAllConnections();
  }, timeoutMs);
  deadline.unref();
  try {
    await app.close();
  } finally {
    clearTimeout(deadline);
  }
}

function formatHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}
