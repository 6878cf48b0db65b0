// A minimal HTTPS client for tests: it trusts only the CA it is given, opens a new connection per request
// (so a reloaded certificate is seen at once) and returns the raw answer.
import { request as httpsRequest } from "node:https";
import { connect, type PeerCertificate } from "node:tls";

export interface HttpsRequest {
  url: string;
  ca: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** TLS server name to verify; default the URL's host. */
  servername?: string;
}

export interface HttpsResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): unknown;
}

export function sendHttps(options: HttpsRequest): Promise<HttpsResponse> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(options.url, {
      method: options.method ?? "GET",
      ca: options.ca,
      agent: false,
      headers: options.headers,
      ...(options.servername === undefined ? {} : { servername: options.servername }),
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
      });
      res.on("error", reject);
    });
    // A server that refuses a body early (413) may reset the socket while we still write: the response,
    // when it arrived first, is the answer; otherwise the error is.
    req.on("error", reject);
    req.end(options.body);
  });
}

export function postJson(url: string, ca: string, body: unknown, headers: Record<string, string> = {}) {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return sendHttps({
    url,
    ca,
    method: "POST",
    body: text,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** Connects, verifies the chain against `ca` and returns the certificate the server presented. */
export function servedCertificate(
  host: string,
  port: number,
  ca: string,
  servername?: string,
): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, ca, ...(servername === undefined ? {} : { servername }) }, () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      resolve(cert);
    });
    socket.on("error", reject);
  });
}
