// Every error the HTTP layer answers is a JSON body `{ "error": "<reason>" }`, so the API server's log (which
// quotes our body when a call fails) says what was wrong. Messages name the reason, never body content.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

export interface ErrorBody {
  error: string;
}

/** Our wording for the framework errors a client can cause; the rest keep fastify's message. */
function describeClientError(error: FastifyError, request: FastifyRequest): string {
  switch (error.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return "body is not valid JSON";
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return "body is empty; expected a JSON document";
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return `body is larger than the limit of ${request.routeOptions.bodyLimit} bytes`;
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      // The header is the sender's text: quoted and cut, so it cannot forge or flood a log line.
      return `content type ${JSON.stringify((request.headers["content-type"] ?? "").slice(0, 100))} is not supported; send application/json`;
    default:
      // Includes schema failures, which fastify words as `querystring/source must be string`.
      return error.message;
  }
}

function replyWithError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const status = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
  if (status >= 500) {
    // Server-side faults: logged with the stack, answered without internals.
    request.log.error({ err: error }, "request failed");
    const reason = error.code === "FST_ERR_HANDLER_TIMEOUT" ? "request timed out" : "internal error";
    return reply.code(status).send({ error: reason } satisfies ErrorBody);
  }
  const reason = describeClientError(error, request);
  request.log.warn({ statusCode: status, code: error.code, reason }, "rejected a bad request");
  return reply.code(status).send({ error: reason } satisfies ErrorBody);
}

/** Installs the JSON error and not-found replies on the root instance (child scopes inherit them). */
export function installErrorReplies(app: FastifyInstance): void {
  app.setErrorHandler(replyWithError);
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: `no route for ${request.method} ${request.url.split("?")[0]?.slice(0, 200)}`,
    } satisfies ErrorBody),
  );
}
