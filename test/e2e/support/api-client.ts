// A minimal HTTPS GET against the API server for what kubectl does not print well: readiness and the
// API server's own /metrics.

import { readFileSync } from "node:fs";
import { request } from "node:https";

export interface ApiResponse {
  status: number;
  body: string;
}

export function apiGet(
  server: string,
  caFile: string,
  token: string | undefined,
  path: string,
): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${server}${path}`,
      {
        ca: readFileSync(caFile),
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
        timeout: 10_000,
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
    req.on("timeout", () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on("error", reject);
    req.end();
  });
}
