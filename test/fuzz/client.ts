// Sends bodies over a few keep-alive HTTPS connections, as the API server does, and never waits forever:
// a request not answered within the webhook's timeout is a hang, recorded as such.
import { Agent, request } from "node:https";

export interface Answer {
  status: number;
  text: string;
  ms: number;
}

export type Sent = { ok: true; answer: Answer } | { ok: false; error: string; ms: number };

export interface Client {
  post(path: string, body: string | Buffer, timeoutMs: number): Promise<Sent>;
  get(path: string, timeoutMs: number): Promise<Sent>;
  close(): void;
}

export function httpsClient(baseUrl: string, ca: string, connections: number): Client {
  const agent = new Agent({ keepAlive: true, maxSockets: connections, ca });
  const send = (method: string, path: string, body: string | Buffer | undefined, timeoutMs: number) =>
    new Promise<Sent>((resolve) => {
      const started = performance.now();
      const ms = () => performance.now() - started;
      const headers: Record<string, string | number> = {};
      if (body !== undefined) {
        headers["content-type"] = "application/json";
        headers["content-length"] = Buffer.byteLength(body);
      }
      const req = request(`${baseUrl}${path}`, { method, agent, headers });
      const timer = setTimeout(() => {
        req.destroy(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const fail = (error: Error) => {
        clearTimeout(timer);
        resolve({ ok: false, error: error.message, ms: ms() });
      };
      req.on("error", fail);
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", fail);
        res.on("end", () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ ok: true, answer: { status: res.statusCode ?? 0, text, ms: ms() } });
        });
      });
      req.end(body);
    });
  return {
    post: (path, body, timeoutMs) => send("POST", path, body, timeoutMs),
    get: (path, timeoutMs) => send("GET", path, undefined, timeoutMs),
    close: () => agent.destroy(),
  };
}
