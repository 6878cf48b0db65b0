// Builds the webhook's HTTP application from injected dependencies; listening, TLS files and shutdown are
// server.ts's job (fastify demo's app.ts/server.ts split), so tests can build the app and `inject()` into it.
import type { ServerOptions } from "node:https";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import type { Logger } from "pino";
import { installErrorReplies } from "./errors.js";
import { registerProbeRoutes } from "./probe-routes.js";
import { registerRefreshRoute } from "./refresh-route.js";
import type { AppDependencies } from "./types.js";
import { registerValidateRoute } from "./validate-route.js";

/**
 * The API server refuses request bodies over 3 MiB, so a stored object is at most that as JSON. An UPDATE
 * review carries it twice (object and oldObject, managedFields included) plus the envelope: just over
 * 6 MiB at worst. 8 MiB reads the largest review the API server can send, with margin (docs/contract.md §6).
 */
export const DEFAULT_BODY_LIMIT_BYTES = 8 * 1024 * 1024;

/** Server timeouts, in milliseconds. */
const TIMEOUTS = {
  // A webhook call lives at most 30 s (timeoutSeconds' ceiling); a request still arriving after that has
  // been abandoned by the API server, and a slow sender must not hold the socket.
  requestTimeout: 30_000,
  // A silent socket is closed after this; it also runs while a connection's first request waits for its
  // answer, so it stays above the 30 s handler deadline, which must answer 503 first.
  connectionTimeout: 60_000,
  // Longer than the API server's idle-connection timeout (Go's default, 90 s): the client must be the one to
  // close an idle keep-alive connection, or a POST sent as we close it fails and the failurePolicy applies.
  keepAliveTimeout: 120_000,
} as const;

/**
 * Bounds on what a client that is not the API server can hold (docs/reliability.md, Network abuse). Each
 * is sized against the API server's own use: it connects, handshakes and writes a request's headers at
 * once, and keeps a few keep-alive connections per webhook (HTTP/1.1: we offer no HTTP/2).
 */
export interface ConnectionLimits {
  /**
   * A request's headers must be complete this long after the connection opened (or, on a kept-alive
   * connection, after the request's first byte), or Node answers 408 and closes. A slowloris client
   * dripping header bytes keeps the socket's idle timer alive, so only this cuts it; it also cuts a TLS
   * connection that never sends a request, 50 s before the idle timer would. The API server writes its
   * headers (under 1 KiB) in one go right after the handshake; 10 s is its default webhook timeout.
   * An idle kept-alive connection between requests is not on this clock (keepAliveTimeout is).
   */
  headersTimeoutMs: number;
  /**
   * How often Node checks the header and request deadlines of open connections. Its default, 30 s, would
   * let a slowloris socket live up to 40 s past a 10 s header deadline; a pass over the connection list
   * each second costs nothing measurable.
   */
  connectionsCheckingIntervalMs: number;
  /**
   * A TLS handshake not finished by then is cut (Node's default is 120 s). client-go gives up a webhook
   * handshake after 10 s (TLSHandshakeTimeout), so a longer one is never the API server's.
   */
  handshakeTimeoutMs: number;
  /**
   * Open connections at most; beyond it, new ones are closed at once while those already open (the API
   * server's keep-alive connections among them) keep being served. An idle TLS connection holds about
   * 15 KiB of the pod's memory and a file descriptor, and any connection may be buffering a body of up to
   * the body limit: without a cap, memory grows with whatever a client opens. 1,000 is several times what
   * the API server needs (one connection per concurrent call, bounded by its 200 mutating requests in
   * flight per instance, times a few instances), and 1,000 idle ones cost ~15 MiB (docs/reliability.md).
   */
  maxConnections: number;
  /** Request headers larger than this get 431 (Node's 16 KiB default, stated: the API server sends < 1 KiB). */
  maxHeaderSizeBytes: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  headersTimeoutMs: 10_000,
  connectionsCheckingIntervalMs: 1_000,
  handshakeTimeoutMs: 10_000,
  maxConnections: 1_000,
  maxHeaderSizeBytes: 16 * 1024,
};

/**
 * Same ceiling for our own work: a stuck admission handler answers 503 (failurePolicy applies) instead
 * of piling up. validate-route.ts keeps this deadline itself rather than through fastify's
 * handlerTimeout, which builds an AbortController per request and aborts it (a DOMException with a
 * stack trace) when each request closes; no other route waits on anything.
 */
const VALIDATE_DEADLINE_MS = 30_000;

export interface TlsKeyPair {
  key: string | Buffer;
  cert: string | Buffer;
}

export interface AppOptions {
  logger: Logger;
  /** Serving key pair; null or absent builds a plain-HTTP app (tests with `inject()`, never production). */
  https?: TlsKeyPair | null;
  bodyLimitBytes?: number;
  /** Defaults in DEFAULT_CONNECTION_LIMITS; tests shorten the deadlines. */
  limits?: Partial<ConnectionLimits>;
}

export function buildApp(deps: AppDependencies, options: AppOptions): FastifyInstance {
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const limits = { ...DEFAULT_CONNECTION_LIMITS, ...options.limits };
  const tls: ServerOptions | null = options.https
    ? {
        key: options.https.key,
        cert: options.https.cert,
        // TLS 1.0 and 1.1 are deprecated (RFC 8996); every supported API server speaks 1.2 or 1.3.
        minVersion: "TLSv1.2",
        handshakeTimeout: limits.handshakeTimeoutMs,
        headersTimeout: limits.headersTimeoutMs,
        connectionsCheckingInterval: limits.connectionsCheckingIntervalMs,
        maxHeaderSize: limits.maxHeaderSizeBytes,
      }
    : null;
  const app = Fastify({
    // Our pino logger is a FastifyBaseLogger; the cast only stops fastify's types from specializing on it.
    loggerInstance: options.logger as FastifyBaseLogger,
    // Per-request lines would double every admission log line and repeat every probe; routes log what matters.
    logController: new LogController({ disableRequestLogging: true }),
    https: tls,
    bodyLimit,
    ...TIMEOUTS,
  });
  app.server.maxConnections = limits.maxConnections;
  installErrorReplies(app);
  registerValidateRoute(app, deps.admit, { bodyLimit, deadlineMs: VALIDATE_DEADLINE_MS });
  registerProbeRoutes(app, deps);
  registerRefreshRoute(app, deps, bodyLimit);
  return app;
}
