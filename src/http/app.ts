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
  connectionTimeout: 60_000,
  // Longer than the API server's idle-connection timeout (Go's default, 90 s): the client must be the one to
  // close an idle keep-alive connection, or a POST sent as we close it fails and the failurePolicy applies.
  keepAliveTimeout: 120_000,
} as const;

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
}

export function buildApp(deps: AppDependencies, options: AppOptions): FastifyInstance {
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const tls: ServerOptions | null = options.https
    ? { key: options.https.key, cert: options.https.cert, minVersion: "TLSv1.2" }
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
  installErrorReplies(app);
  registerValidateRoute(app, deps.admit, { bodyLimit, deadlineMs: VALIDATE_DEADLINE_MS });
  registerProbeRoutes(app, deps);
  registerRefreshRoute(app, deps, bodyLimit);
  return app;
}
