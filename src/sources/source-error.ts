// Errors of the Git adapter carry a stable code; their message is always redacted.
import { DriftguardError, type ErrorCode } from "../errors.js";
import { describeError } from "./redact.js";

export type SourceErrorCode =
  | "FETCH_FAILED"
  | "FETCH_TIMEOUT"
  | "REF_NOT_FOUND"
  | "BAD_REF"
  | "CREDENTIALS_UNREADABLE"
  | "GIT_FAILED"
  | "SNAPSHOT_INVALID"
  | "HOST_KEY_CHANGED"
  | "HOST_KEY_UNKNOWN"
  | "SSH_KEY_REFUSED";

// What to do, per code; the message already says which source, file or ref.
const HINTS: Readonly<Record<SourceErrorCode, string>> = {
  FETCH_FAILED: "check the source's url and auth, and that the remote is reachable from here",
  FETCH_TIMEOUT: "check the network to the remote; a large repository may need a longer refresh.timeout",
  REF_NOT_FOUND: "check the source's ref: the branch, tag or commit must exist in the remote",
  BAD_REF: "set the source's ref to a branch, tag or full commit id",
  CREDENTIALS_UNREADABLE: "check the files named under the source's auth: they must exist and be readable",
  GIT_FAILED: "check that git is on the PATH and that stateDir is writable",
  SNAPSHOT_INVALID: "nothing to do: the snapshot is rebuilt from Git on the next fetch",
  HOST_KEY_CHANGED:
    "if the server's key was replaced on purpose, put its new public key (checked out of band) in the knownHostsFile",
  HOST_KEY_UNKNOWN:
    "add the server's public host key (checked out of band) to the source's auth.knownHostsFile",
  SSH_KEY_REFUSED: "add the public half of the source's auth.sshKeyFile to the Git server's authorized keys",
};

export class SourceError extends DriftguardError {
  /**
   * The adapter's short names stay the constructor's vocabulary; `code` is the catalogue's
   * (`FETCH_FAILED` → `DG_SOURCE_FETCH_FAILED`).
   */
  constructor(code: SourceErrorCode, message: string, options?: { cause?: unknown }) {
    // The cause is reduced to a redacted line: a raw git error may hold the remote URL. It is not kept
    // as `cause` either, so that no logger serializes the raw text.
    const cause = options?.cause === undefined ? undefined : describeError(options.cause);
    const text = cause === undefined ? describeError(message) : describeError(`${message}: ${cause}`);
    super(`DG_SOURCE_${code}` satisfies ErrorCode, text, { hint: HINTS[code] });
    this.name = "SourceError";
  }
}
