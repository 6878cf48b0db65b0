// One HTTPS request with the bench CA, for readiness polls and sanity checks before a load run (wrk does
// not verify certificates; this does, so a broken certificate setup is caught here).
import { request } from "node:https";

export interface HttpsReply {
  status: number;
  body: string;
}

export function httpsRequest(
  url: string,
  ca: Buffer,
  options: { method?: string; body?: string; timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? "GET",
        ca,
        headers: {
          ...(options.body === undefined ? {} : { "content-type": "application/json" }),
          ...options.headers,
        },
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${url}: no answer in time`)));
    req.on("error", reject);
    req.end(options.body);
  });
}
