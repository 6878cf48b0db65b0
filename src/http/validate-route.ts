// POST /validate: decode the AdmissionReview, hand the request to the decision service, wrap its answer.
// Decoding and wrapping live here; deciding never does (controller-runtime's webhook/admission split).
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { type AdmissionRequest, type AdmissionResponse, wrapResponse } from "../core/admission.js";
import { describeError } from "../errors.js";
import type { ErrorBody } from "./errors.js";
import { parseReview } from "./review-schema.js";
import type { AdmissionContext, AdmissionHandler } from "./types.js";

/** Who asked for what: bound to the logger once per request. Never the object or its contents. */
function requestIdentity(request: AdmissionRequest): Record<string, string> {
  const identity: Record<string, string> = {
    uid: request.uid,
    kind: request.kind.kind,
    operation: request.operation,
    namespace: request.namespace ?? "",
    name: request.name ?? "",
    user: request.userInfo.username ?? "",
  };
  if (request.subResource) identity.subResource = request.subResource;
  return identity;
}

/**
 * The request-bound logger, made on first use: a quiet allow never pays for a child logger. A class, so
 * that the getter is on its prototype: an object literal with a getter, made per request, doubled the
 * webhook's garbage collections under load (measured: 20 scavenges per 1,500 reviews instead of 13,
 * each several times as long).
 */
class RequestContext implements AdmissionContext {
  #log: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly admission: AdmissionRequest,
  ) {}

  get log(): Logger {
    this.#log ??= this.parent.child(requestIdentity(this.admission));
    return this.#log;
  }
}

const TIMED_OUT = Symbol("timed out");

/** The handler's answer, or TIMED_OUT once `ms` have passed; the timer goes with the answer. */
async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(resolve, ms, TIMED_OUT);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function callHandler(
  admit: AdmissionHandler,
  admission: AdmissionRequest,
  request: FastifyRequest,
  reply: FastifyReply,
  deadlineMs: number,
): Promise<FastifyReply> {
  const context = new RequestContext(request.log as Logger, admission);
  let response: AdmissionResponse | typeof TIMED_OUT;
  try {
    response = await withDeadline(admit(admission, context), deadlineMs);
  } catch (error) {
    // The handler must never throw. If it does anyway, we do not invent a verdict: an HTTP 500 makes the
    // API server apply the webhook's failurePolicy, which is the operator's stated choice for "webhook broken".
    context.log.error({ err: error }, "admission handler threw; answering 500 so the failurePolicy applies");
    const reason = describeError(error);
    return reply.code(500).send({ error: `admission handler failed: ${reason}` } satisfies ErrorBody);
  }
  if (response === TIMED_OUT) {
    context.log.error(
      { deadlineMs },
      "admission handler took too long; answering 503 so the failurePolicy applies",
    );
    return reply.code(503).send({ error: "request timed out" } satisfies ErrorBody);
  }
  const code = response.status?.code;
  if (!response.allowed) context.log.info({ allowed: false, code }, "denied");
  else if ((request.log as Logger).isLevelEnabled("debug"))
    context.log.debug({ allowed: true, warnings: response.warnings?.length ?? 0 }, "admitted");
  // The API server rejects a response whose uid differs from the request's, so the echo is enforced here.
  return reply.code(200).send(wrapResponse({ ...response, uid: admission.uid }));
}

export interface ValidateRouteOptions {
  /** Bounds what is buffered (see app.ts for the size). */
  bodyLimit: number;
  /** A handler still busy after this long answers 503. */
  deadlineMs: number;
}

/**
 * Registers POST /validate in its own scope, where the only body parser is JSON: anything else gets 415
 * before it is read.
 */
export function registerValidateRoute(
  app: FastifyInstance,
  admit: AdmissionHandler,
  { bodyLimit, deadlineMs }: ValidateRouteOptions,
): void {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    // The default parser refuses `__proto__`/`constructor.prototype` keys (prototype poisoning); a Deployment
    // cannot hold them, since label, annotation and selector keys must start with an alphanumeric.
    scope.addContentTypeParser(
      "application/json",
      { parseAs: "string", bodyLimit },
      scope.getDefaultJsonParser("error", "error"),
    );
    // No per-request child logger from fastify (its only binding is a request counter, and request logging
    // is off): lines of this route bind the admission's own identity, lazily (requestContext).
    scope.post("/validate", { bodyLimit, childLoggerFactory: (logger) => logger }, async (request, reply) => {
      const parsed = parseReview(request.body);
      if (!parsed.ok) {
        request.log.warn({ reason: parsed.error }, "rejected a body that is not an AdmissionReview v1");
        return reply.code(400).send({ error: parsed.error } satisfies ErrorBody);
      }
      return callHandler(admit, parsed.review.request, request, reply, deadlineMs);
    });
  });
}
