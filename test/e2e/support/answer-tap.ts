// A recording relay between the API server and one driftguard replica: it serves HTTPS with its own
// certificate (the webhook's caBundle names its CA), passes each AdmissionReview on to the replica as
// it came, hands the replica's answer back unchanged, and keeps the answer with the request's content.
// This is how a test sees exactly what each replica told the API server, allowed requests included.
// The API server makes a new uid for every webhook it calls, so the same write reaches two webhooks
// under two uids: `key`, a digest of the review without its uid, is what tells it is the same write.
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:https";
import { generateCertificates } from "../../../src/certs/generate.js";
import { sendHttps } from "../../support/tls/https-client.js";

/** One answer as the API server received it, with who asked for what. */
export interface TappedAnswer {
  uid: string;
  /** sha256 of the AdmissionReview with its uid left out: equal for one write sent to two webhooks. */
  key: string;
  /** When the relay received it (Date.now()), to pair calls whose content repeats (a retried dry-run). */
  at: number;
  operation: string;
  subResource: string;
  object: string;
  user: string;
  dryRun: boolean;
  /** The HTTP status the replica answered with (0: the replica was not reached). */
  status: number;
  /** `response` of the AdmissionReview the replica sent, or the error body / relay error. */
  response: unknown;
}

export interface AnswerTap {
  url: string;
  caPem: string;
  /** Every answer, in arrival order. */
  readonly answers: readonly TappedAnswer[];
  close(): Promise<void>;
}

export async function startAnswerTap(target: { url: string; caPem: string }): Promise<AnswerTap> {
  const certs = await generateCertificates({ dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] });
  const answers: TappedAnswer[] = [];
  const server: Server = createServer({ key: certs.key, cert: certs.cert }, (request, reply) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      const at = Date.now();
      relay(target, request.url ?? "/", request.headers["content-type"], body).then(
        ({ status, contentType, text }) => {
          const answer = tapped(body, at, status, text);
          if (answer) answers.push(answer);
          reply.writeHead(status, contentType === undefined ? {} : { "content-type": contentType }).end(text);
        },
        (error: Error) => {
          const answer = tapped(body, at, 0, JSON.stringify({ relayError: error.message }));
          if (answer) answers.push(answer);
          reply.writeHead(502).end();
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `https://127.0.0.1:${port}`,
    caPem: certs.caCert,
    answers,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function relay(
  target: { url: string; caPem: string },
  path: string,
  contentType: string | undefined,
  body: Buffer,
): Promise<{ status: number; contentType: string | undefined; text: string }> {
  const answer = await sendHttps({
    url: `${target.url}${path}`,
    ca: target.caPem,
    method: "POST",
    headers: contentType === undefined ? {} : { "content-type": contentType },
    body,
  });
  const type = answer.headers["content-type"];
  return { status: answer.status, contentType: Array.isArray(type) ? type[0] : type, text: answer.text };
}

interface ReviewRequest {
  uid?: string;
  operation?: string;
  subResource?: string;
  namespace?: string;
  name?: string;
  dryRun?: boolean;
  userInfo?: { username?: string };
}

/** The answer with its request; a body without a request uid (not a review) is not kept. */
function tapped(body: Buffer, at: number, status: number, text: string): TappedAnswer | undefined {
  let review: { request?: ReviewRequest };
  try {
    review = JSON.parse(body.toString("utf8")) as { request?: ReviewRequest };
  } catch {
    return undefined;
  }
  const request = review.request;
  if (request?.uid === undefined) return undefined;
  const { uid: _uid, ...withoutUid } = request;
  const key = createHash("sha256")
    .update(JSON.stringify({ ...review, request: withoutUid }))
    .digest("hex");
  let response: unknown;
  try {
    const parsed = JSON.parse(text) as { response?: unknown };
    response = parsed.response ?? parsed;
  } catch {
    response = { unparsed: text };
  }
  return {
    uid: request.uid,
    key,
    at,
    operation: request.operation ?? "",
    subResource: request.subResource ?? "",
    object: `${request.namespace ?? ""}/${request.name ?? ""}`,
    user: request.userInfo?.username ?? "",
    dryRun: request.dryRun === true,
    status,
    response,
  };
}
