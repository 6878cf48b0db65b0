// The HTTP status of a failed API call: client-node's ApiException carries it as `code`, older clients
// and the tests' fakes as `statusCode`. 404 and 409 are answers here (no object yet, lost a race), not
// failures, so the callers need the number rather than the message.
export function statusOf(error: unknown): number | undefined {
  if (error === null || typeof error !== "object") return undefined;
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  const status = code ?? statusCode;
  return typeof status === "number" ? status : undefined;
}
