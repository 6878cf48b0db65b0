// POST /refresh: a Git host's push webhook asks for an early sync. It only shortens the wait for the next
// poll, so it answers 202 at once and never makes the caller wait for Git.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ErrorBody } from "./errors.js";
import { isValidBearer, isValidHubSignature } from "./push-auth.js";
import type { AppDependencies } from "./types.js";

const SIGNATURE_HEADER = "x-hub-signature-256";

const querystring = {
  type: "object",
  properties: { source: { type: "string", minLength: 1, maxLength: 253 } },
} as const;

interface RefreshRoute {
  Querystring: { source?: string };
}

function replyUnauthorized(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  request.log.warn("push refresh refused: missing or wrong credentials");
  return reply
    .code(401)
    .header("www-authenticate", "Bearer")
    .send({
      error: "missing or wrong credentials: send a bearer token or an X-Hub-Signature-256",
    } satisfies ErrorBody);
}

function startRefresh(deps: AppDependencies, source: string | undefined, request: FastifyRequest): void {
  const log = request.log.child({ source: source ?? "*" });
  // Called inside an async function so that a synchronous throw also lands in the catch below.
  (async () => deps.refresh(source))().then(
    () => log.info("push refresh done"),
    (error: unknown) => log.error({ err: error }, "push refresh failed"),
  );
}

/** Registers the push endpoint when a shared secret is configured; without one the route does not exist (404). */
export function registerRefreshRoute(app: FastifyInstance, deps: AppDependencies, bodyLimit: number): void {
  const secret = deps.pushToken;
  if (secret === undefined || secret === "") return;
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    // GitHub signs the exact bytes it sends, so the body stays a Buffer whatever its content type says.
    scope.addContentTypeParser("*", { parseAs: "buffer", bodyLimit }, (_request, body, done) =>
      done(null, body),
    );
    scope.post<RefreshRoute>("/refresh", {
      bodyLimit,
      schema: { querystring },
      // Refuse before reading the body unless a signature, which needs the body, was presented.
      onRequest: async (request, reply) => {
        if (isValidBearer(request.headers.authorization, secret)) return;
        if (request.headers[SIGNATURE_HEADER] === undefined) return replyUnauthorized(request, reply);
      },
      handler: async (request, reply) => {
        const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const signature = request.headers[SIGNATURE_HEADER];
        const authorized =
          isValidBearer(request.headers.authorization, secret) ||
          isValidHubSignature(typeof signature === "string" ? signature : undefined, rawBody, secret);
        if (!authorized) return replyUnauthorized(request, reply);
        startRefresh(deps, request.query.source, request);
        return reply.code(202).send({ accepted: true, source: request.query.source ?? null });
      },
    });
  });
}
