// Misbehaving clients of the webhook's HTTPS port, for the network-abuse tests and `npm run abuse`: each
// opens real sockets on loopback and reports what it saw (closed, a status line, a TLS alert), never how
// fast; the caller decides what to do with the figures.
import { Agent, request as httpsRequest } from "node:https";
import { connect as connectTcp } from "node:net";
import { connect as connectTls, type TLSSocket } from "node:tls";

export interface Endpoint {
  host: string;
  port: number;
  /** The CA the webhook's certificate chains to. */
  ca: string | Buffer;
}

export interface SlowHeadersResult {
  /** The server closed the socket (true), or the caller's bound ran out first (false). */
  closed: boolean;
  /** First line the server wrote before closing, if any (Node answers a header timeout with 408). */
  statusLine: string | undefined;
  bytesSent: number;
  /** How long the socket lived, for the bench's report; tests never assert it. */
  livedMs: number;
}

const HEADER_START = "POST /validate HTTP/1.1\r\nHost: driftguard\r\nContent-Type: application/json\r\n";
/** A header line sent forever, one byte at a time: the blank line that ends the headers never comes. */
const DRIP = "X-Drip: a\r\n";

/**
 * Slowloris: a TLS connection whose request headers arrive one byte every `byteIntervalMs` and never end.
 * Resolves when the server closes it, or after `giveUpMs` (then `closed` is false and the socket is cut).
 */
export function slowHeaders(
  endpoint: Endpoint,
  byteIntervalMs: number,
  giveUpMs: number,
): Promise<SlowHeadersResult> {
  return new Promise((resolve) => {
    const started = Date.now();
    let bytesSent = 0;
    let received = "";
    let timer: NodeJS.Timeout | undefined;
    const socket = connectTls({ ...tlsTarget(endpoint) }, () => {
      let next = 0;
      const text = HEADER_START + DRIP.repeat(100_000);
      timer = setInterval(() => {
        if (socket.destroyed || !socket.writable) return;
        socket.write(text[next++] as string);
        bytesSent++;
      }, byteIntervalMs);
    });
    const giveUp = setTimeout(() => finish(false), giveUpMs);
    const finish = (closed: boolean) => {
      clearInterval(timer);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ closed, statusLine: firstLine(received), bytesSent, livedMs: Date.now() - started });
    };
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
    });
    socket.on("error", () => undefined);
    socket.on("close", () => finish(true));
  });
}

export interface IdleConnections {
  /** Connections whose TLS handshake completed. */
  opened: number;
  /** Connections that failed to open (refused, reset, handshake error). */
  failed: number;
  /** Of the opened ones, how many the server has closed so far. */
  closedByServer(): number;
  /** Closes every connection still open. */
  close(): void;
}

/**
 * Opens `count` TLS connections (at most `parallel` handshakes at a time) that send nothing at all after
 * the handshake, as a client holding sockets to exhaust the server would.
 */
export async function openIdleConnections(
  endpoint: Endpoint,
  count: number,
  parallel = 50,
): Promise<IdleConnections> {
  const sockets: TLSSocket[] = [];
  let failed = 0;
  let closedByServer = 0;
  let closing = false;
  const openOne = () =>
    new Promise<void>((resolve) => {
      const socket = connectTls(tlsTarget(endpoint), () => {
        sockets.push(socket);
        resolve();
      });
      // Read (and drop) what the server says, or its closing 408 stays unread and 'close' never comes.
      socket.resume();
      socket.on("error", () => undefined);
      socket.on("close", () => {
        if (!socket.encrypted || !sockets.includes(socket)) {
          failed++;
          resolve();
        } else if (!closing) closedByServer++;
      });
    });
  let started = 0;
  const lanes = Array.from({ length: Math.min(parallel, count) }, async () => {
    while (started < count) {
      started++;
      await openOne();
    }
  });
  await Promise.all(lanes);
  return {
    opened: sockets.length,
    failed,
    closedByServer: () => closedByServer,
    close() {
      closing = true;
      for (const socket of sockets) socket.destroy();
    },
  };
}

export interface RawExchange {
  /** Everything the server wrote, as latin1 text (a TLS alert is binary; only its first bytes matter). */
  received: Buffer;
  /** The server closed the connection within `giveUpMs`. */
  closed: boolean;
}

/** Plain HTTP on the TLS port: a whole AdmissionReview POST in clear text, then whatever comes back. */
export function plainHttpRequest(
  endpoint: Omit<Endpoint, "ca">,
  body: string,
  giveUpMs: number,
): Promise<RawExchange> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connectTcp({ host: endpoint.host, port: endpoint.port }, () => {
      socket.write(
        `POST /validate HTTP/1.1\r\nHost: driftguard\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    });
    const giveUp = setTimeout(() => finish(false), giveUpMs);
    const finish = (closed: boolean) => {
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ received: Buffer.concat(chunks), closed });
    };
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", () => undefined);
    socket.on("close", () => finish(true));
  });
}

/** What a plain-HTTP client made of the server's bytes: an HTTP status line, TLS bytes, or nothing. */
export function describeRawAnswer(received: Buffer): string {
  if (received.length === 0) return "no bytes";
  const text = received.toString("latin1");
  if (text.startsWith("HTTP/")) return firstLine(text) ?? "HTTP";
  // 0x15 is a TLS alert record, 0x16 a handshake record: the server spoke TLS, not HTTP.
  if (received[0] === 0x15) return "a TLS alert";
  if (received[0] === 0x16) return "a TLS handshake record";
  return `${received.length} unrecognised bytes`;
}

export interface HandshakeResult {
  /** The handshake completed: the server accepted the version. */
  accepted: boolean;
  /** The error code the client got (ERR_SSL_…), when it did not. */
  code: string | undefined;
  protocol: string | undefined;
}

/**
 * A TLS handshake offering only `version`. SECLEVEL=0 lets this client's OpenSSL offer TLS 1.0/1.1 at all,
 * so that a refusal is the server's (a protocol_version alert), not our own library declining to try.
 */
export function handshakeWithVersion(
  endpoint: Endpoint,
  version: "TLSv1" | "TLSv1.1" | "TLSv1.2",
): Promise<HandshakeResult> {
  return new Promise((resolve) => {
    const socket = connectTls(
      {
        ...tlsTarget(endpoint),
        minVersion: version,
        maxVersion: version,
        ciphers: "DEFAULT@SECLEVEL=0",
      },
      () => {
        const protocol = socket.getProtocol() ?? undefined;
        socket.destroy();
        resolve({ accepted: true, code: undefined, protocol });
      },
    );
    socket.on("error", (error: NodeJS.ErrnoException) => {
      socket.destroy();
      resolve({ accepted: false, code: error.code ?? error.message, protocol: undefined });
    });
  });
}

function tlsTarget(endpoint: Endpoint) {
  return { host: endpoint.host, port: endpoint.port, ca: endpoint.ca };
}

function firstLine(text: string): string | undefined {
  if (text.length === 0) return undefined;
  return text.split("\r\n")[0];
}

export interface KeptAliveAnswer {
  status: number;
  text: string;
  /** The local port of the connection used: the same port twice means the connection was reused. */
  localPort: number | undefined;
}

export interface KeepAliveClient {
  /** POSTs a JSON body on one of the client's kept-alive connections; resolves with the status and text. */
  post(path: string, body: string): Promise<KeptAliveAnswer>;
  /** The agent holding the connections, for other requests that must share them. */
  agent: Agent;
  close(): void;
}

/**
 * The well-behaved client, as the API server is: HTTP/1.1 keep-alive over at most `sockets` connections,
 * reused from one call to the next, so an attack that only refuses new connections does not reach it.
 */
export function keepAliveClient(endpoint: Endpoint, sockets = 1, timeoutMs = 10_000): KeepAliveClient {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets, ca: endpoint.ca });
  const post = (path: string, body: string) =>
    new Promise<KeptAliveAnswer>((resolve, reject) => {
      const req = httpsRequest(
        { host: endpoint.host, port: endpoint.port, path, method: "POST", agent, timeout: timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          const localPort = res.socket.localPort;
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8"), localPort }),
          );
          res.on("error", reject);
        },
      );
      req.setHeader("content-type", "application/json");
      req.on("timeout", () => req.destroy(new Error("no answer in time")));
      req.on("error", reject);
      req.end(body);
    });
  return { post, agent, close: () => agent.destroy() };
}
