// The API server over HTTPS, for what kubectl does not print well: readiness, the API server's own
// /metrics, and SubjectAccessReviews in bulk. The tests' one HTTPS client does the requests.
import { readFileSync } from "node:fs";
import { type HttpsResponse, postJson, sendHttps } from "../../support/tls/https-client.js";

const bearer = (token: string | undefined): Record<string, string> =>
  token === undefined ? {} : { authorization: `Bearer ${token}` };

export function apiGet(
  server: string,
  caFile: string,
  token: string | undefined,
  path: string,
): Promise<HttpsResponse> {
  return sendHttps({ url: `${server}${path}`, ca: readFileSync(caFile, "utf8"), headers: bearer(token) });
}

export function apiPost(
  server: string,
  caFile: string,
  token: string,
  path: string,
  body: unknown,
): Promise<HttpsResponse> {
  return postJson(`${server}${path}`, readFileSync(caFile, "utf8"), body, bearer(token));
}
