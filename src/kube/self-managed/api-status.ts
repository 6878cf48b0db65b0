import { hideCredentials } from "../../errors.js";

// The HTTP status of a failed API call: client-node's ApiException carries it as `code`, older clients
// and the tests' fakes as `statusCode`. 404 and 409 are answers here (no object yet, lost a race), not
// failures, so the callers need the number rather than the message.
export function statusOf(error: unknown): number | undefined {
  if (error === null || typeof error !== "object") return undefined;
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  const status = code ?? statusCode;
  return typeof status === "number" ? status : undefined;
}

/**
 * A failed API call as one line: the HTTP status and the API server's own message (its Status body),
 * which says what was refused and why; client-node's message alone is only "HTTP-Code: 400".
 */
export function describeApiError(error: unknown, describe: (error: unknown) => string): string {
  const status = statusOf(error);
  const body = error !== null && typeof error === "object" ? (error as { body?: unknown }).body : undefined;
  const message = statusMessage(body);
  // The Status message may quote a request too: credentials are hidden there as in describeError.
  return status !== undefined && message !== undefined
    ? `${status}: ${hideCredentials(message)}`
    : describe(error);
}

function statusMessage(body: unknown): string | undefined {
  try {
    const parsed = typeof body === "string" ? (JSON.parse(body) as unknown) : body;
    const message =
      parsed !== null && typeof parsed === "object" ? (parsed as { message?: unknown }).message : undefined;
    return typeof message === "string" ? message.split("\n")[0]?.slice(0, 500) : undefined;
  } catch {
    return undefined;
  }
}
