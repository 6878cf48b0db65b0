// The web view's HTTP application (docs/contract.md §12): a page and the JSON it reads, on a listener
// of its own. Read-only by construction: GET is the only method it answers (405 otherwise, HEAD
// included), it has no route that changes anything, and nothing it sends holds a secret (values are
// masked where records and reports are made; source URLs are redacted in view-shapes.ts).
//
// Every answer forbids caching, framing and any script or style not its own (a strict CSP); the page
// fills the DOM with text only. On the open loopback listener the Host header must name loopback, so a
// page elsewhere cannot reach it by DNS rebinding.
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  LogController,
} from "fastify";
import type { Logger } from "pino";
import type { DecisionRecord } from "../core/decision-record.js";
import type { ReportError, ReportInput } from "../core/drift-report.js";
import { describeError } from "../errors.js";
import type { TlsKeyPair } from "../http/app.js";
import type { SourceStatus } from "../sources/types.js";
import { type AccessControl, ViewError } from "./access.js";
import type { PageAssets } from "./page-assets.js";
import { decisionsQuery, driftQuery, noQuery, type RawQuery } from "./view-query.js";
import { sourceList, VIEW_API_VERSION, visibleDecisions, visibleDrift } from "./view-shapes.js";

/** What the view reads; each call returns the state of that moment. */
export interface ViewData {
  sources(): readonly SourceStatus[];
  /** The live scan's entries, or why there are none (no scan, first pass not done, watch failing). */
  drift(): { entries: Iterable<ReportInput>; errors: ReportError[] };
  decisions(): Promise<{ records: DecisionRecord[]; errors: { message: string }[] }>;
}

export interface ViewAppOptions {
  logger: Logger;
  /** The serving pair beyond loopback; absent on the loopback listener (plain HTTP). */
  https?: TlsKeyPair | undefined;
  access: AccessControl;
  data: ViewData;
  assets: PageAssets;
  maxDecisions: number;
  now?: () => number;
}

export const SESSION_KIND = "ViewSession";

const HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
    "base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
  "x-frame-options": "DENY",
  "cross-origin-resource-policy": "same-origin",
} as const;

/** Names a browser uses for loopback; any port (port-forward picks the local one). */
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

export function buildViewApp(options: ViewAppOptions): FastifyInstance {
  const { access, data, assets } = options;
  const now = options.now ?? Date.now;
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    https: options.https ? { key: options.https.key, cert: options.https.cert, minVersion: "TLSv1.2" } : null,
    // GET only: no body is read, and nothing a page asks for has a long URL.
    bodyLimit: 1024,
    exposeHeadRoutes: false,
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    // A URL fastify cannot route (`/%zz`) is answered before any hook: in the view's shape, with its headers.
    frameworkErrors: (error, _request, reply) => {
      reply.headers(HEADERS);
      return sendError(
        reply,
        400,
        "DG_VIEW_BAD_QUERY",
        `the address cannot be read: ${error.message}`,
        "the web view is at /",
      );
    },
  });
  app.server.maxConnections = 200;
  app.server.headersTimeout = 10_000;

  app.addHook("onRequest", async (request, reply) => {
    reply.headers(HEADERS);
    if (request.method !== "GET") {
      reply.header("allow", "GET");
      return sendError(
        reply,
        405,
        "DG_VIEW_BAD_QUERY",
        `${request.method} is not answered here`,
        "the web view is read-only: use GET",
      );
    }
    if (!access.requiresToken && !LOOPBACK_HOSTS.has(hostName(request.headers.host))) {
      return sendError(
        reply,
        403,
        "DG_VIEW_FORBIDDEN",
        "the Host header does not name loopback",
        "open the page as http://localhost:PORT (kubectl port-forward)",
      );
    }
    return undefined;
  });
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof ViewError) {
      if (error.status === 401) reply.header("www-authenticate", 'Bearer realm="driftguard"');
      if (error.status >= 500)
        request.log.warn({ code: error.code, error: error.message }, "web view: review failed");
      return sendError(reply, error.status, error.code, error.message, error.hint ?? "");
    }
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status < 500)
      return sendError(
        reply,
        status,
        "DG_VIEW_BAD_QUERY",
        (error as Error).message,
        "see the README's Web view section",
      );
    request.log.error({ error: describeError(error) }, "web view: request failed");
    return sendError(reply, 500, "DG_INTERNAL", "internal error", "see driftguard's log");
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      404,
      "DG_VIEW_BAD_QUERY",
      `no page at ${request.url.split("?")[0]?.slice(0, 200)}`,
      "the web view is at /",
    ),
  );

  app.get("/", async (request, reply) => {
    noQuery(request.query as RawQuery);
    return reply.type("text/html; charset=utf-8").send(assets.html);
  });
  // Browsers ask for it on their own; an empty answer instead of a 404 in every console.
  app.get("/favicon.ico", async (_request, reply) => reply.code(204).send());
  app.get("/style.css", async (_request, reply) => reply.type("text/css; charset=utf-8").send(assets.css));
  app.get("/app.js", async (_request, reply) => {
    const script = assets.script();
    if (script.kind === "missing")
      return sendError(
        reply,
        503,
        "DG_INTERNAL",
        script.message,
        "build driftguard (npm run build) and start it from dist",
      );
    return reply.type("text/javascript; charset=utf-8").send(script.text);
  });

  const api = "/api/v1alpha1";
  // Without a token, the session says one is needed (200, no user) rather than 401: the page asks
  // for a token without a failed request first. A token that does not pass is a 401 here too.
  app.get(`${api}/session`, async (request) => {
    noQuery(request.query as RawQuery);
    if (access.requiresToken && request.headers.authorization === undefined)
      return { apiVersion: VIEW_API_VERSION, kind: SESSION_KIND, tokenRequired: true };
    const viewer = await access.viewerOf(request.headers.authorization);
    return {
      apiVersion: VIEW_API_VERSION,
      kind: SESSION_KIND,
      user: viewer.who,
      tokenRequired: access.requiresToken,
    };
  });
  app.get(`${api}/sources`, async (request) => {
    noQuery(request.query as RawQuery);
    await access.viewerOf(request.headers.authorization);
    return sourceList(data.sources(), new Date(now()));
  });
  app.get(`${api}/drift`, async (request) => {
    const query = driftQuery(request.query as RawQuery);
    const viewer = await access.viewerOf(request.headers.authorization);
    const { entries, errors } = data.drift();
    const all = [...entries];
    const visible = await viewer.visible(
      "drift",
      all.map((entry) => entry.drift.key.namespace),
    );
    return visibleDrift(all, visible, query, new Date(now()), errors);
  });
  app.get(`${api}/decisions`, async (request) => {
    const query = decisionsQuery(request.query as RawQuery, options.maxDecisions, now());
    const viewer = await access.viewerOf(request.headers.authorization);
    const { records, errors } = await data.decisions();
    const visible = await viewer.visible(
      "decisions",
      records.map((record) => record.object.namespace),
    );
    return visibleDecisions(records, visible, query.filter, query.limit, errors);
  });
  return app;
}

function sendError(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  hint: string,
): FastifyReply {
  return reply.code(status).type("application/json; charset=utf-8").send({ error: message, code, hint });
}

/** The Host header's name without the port (`[::1]:8081` → `[::1]`), lower-cased. */
function hostName(host: string | undefined): string {
  const value = (host ?? "").toLowerCase();
  if (value.startsWith("[")) return value.slice(0, value.indexOf("]") + 1);
  const colon = value.indexOf(":");
  return colon === -1 ? value : value.slice(0, colon);
}
