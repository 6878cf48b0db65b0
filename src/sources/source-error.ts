// Errors of the Git adapter carry a stable code; their message is always redacted.
import { describeError } from "./redact.js";

export type SourceErrorCode =
  | "FETCH_FAILED"
  | "FETCH_TIMEOUT"
  | "REF_NOT_FOUND"
  | "BAD_REF"
  | "CREDENTIALS_UNREADABLE"
  | "GIT_FAILED"
  | "SNAPSHOT_INVALID";

export class SourceError extends Error {
  readonly code: SourceErrorCode;

  constructor(code: SourceErrorCode, message: string, options?: { cause?: unknown }) {
    // The cause is reduced to a redacted line: a raw git error may hold the remote URL.
    const cause = options?.cause === undefined ? undefined : describeError(options.cause);
    super(cause === undefined ? describeError(message) : describeError(`${message}: ${cause}`));
    this.name = "SourceError";
    this.code = code;
  }
}
