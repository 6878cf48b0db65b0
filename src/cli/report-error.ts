// How the command line ends on an error: one exit status per error code, and the text on stderr.
import { DriftguardError, describeError, type ErrorCode } from "../errors.js";

/** An exit status that means "error". 0 and 1 are answers (allowed or denied, no drift or drift). */
export type ErrorExitStatus = 2;

// Every code is listed, so that a new one cannot ship without a decision on how scripts see it. All
// are 2 today: scripts tell "denied" (1) from "could not decide" (2), and nothing finer is promised.
const EXIT_STATUS: Readonly<Record<ErrorCode, ErrorExitStatus>> = {
  DG_CLI_USAGE: 2,
  DG_INPUT_UNREADABLE: 2,
  DG_INPUT_INVALID: 2,
  DG_REVIEW_INVALID: 2,
  DG_CONFIG_INVALID: 2,
  DG_RBAC_LOAD: 2,
  DG_KUBECONFIG_INVALID: 2,
  DG_CLUSTER_UNREACHABLE: 2,
  DG_AUDIT_LOG_UNREADABLE: 2,
  DG_HISTORY_UNREADABLE: 2,
  DG_TLS_UNUSABLE: 2,
  DG_LISTEN_FAILED: 2,
  DG_PUSH_TOKEN_UNREADABLE: 2,
  DG_STARTUP_FAILED: 2,
  DG_CERTS_INVALID_NAME: 2,
  DG_CERTS_WRITE_FAILED: 2,
  DG_SOURCE_FETCH_FAILED: 2,
  DG_SOURCE_FETCH_TIMEOUT: 2,
  DG_SOURCE_REF_NOT_FOUND: 2,
  DG_SOURCE_BAD_REF: 2,
  DG_SOURCE_CREDENTIALS_UNREADABLE: 2,
  DG_SOURCE_GIT_FAILED: 2,
  DG_SOURCE_SNAPSHOT_INVALID: 2,
  DG_SOURCE_HOST_KEY_CHANGED: 2,
  DG_SOURCE_HOST_KEY_UNKNOWN: 2,
  DG_SOURCE_SSH_KEY_REFUSED: 2,
  DG_RENDER_REFUSED: 2,
  DG_RENDER_INPUT_UNREADABLE: 2,
  DG_RENDER_TOOL_MISSING: 2,
  DG_APPLY_NOT_CONFIRMED: 2,
  DG_APPLY_PLAN_UNREADABLE: 2,
  DG_APPLY_PLAN_INVALID: 2,
  DG_PROPOSE_NO_MANIFEST: 2,
  DG_PROPOSE_NO_CHANGE: 2,
  DG_PROPOSE_UNMAPPABLE: 2,
  DG_PROPOSE_VALUE_MASKED: 2,
  DG_PROPOSE_HELM_AMBIGUOUS: 2,
  DG_PROPOSE_HEAD_MOVED: 2,
  DG_PROPOSE_PUSH_FAILED: 2,
  DG_PROPOSE_NO_RECORD: 2,
  DG_DEMO_UNWRITABLE: 2,
  // The web view's, answered over HTTP, never by the CLI: listed so that every code has an exit status.
  DG_VIEW_NO_TOKEN: 2,
  DG_VIEW_UNAUTHENTICATED: 2,
  DG_VIEW_FORBIDDEN: 2,
  DG_VIEW_REVIEW_FAILED: 2,
  DG_VIEW_BAD_QUERY: 2,
  DG_INTERNAL: 2,
};

/** Errors without a code are unforeseen: still 2, never 1, which a script would read as "denied". */
const UNCODED_EXIT_STATUS: ErrorExitStatus = 2;

export function exitStatusFor(error: unknown): ErrorExitStatus {
  return error instanceof DriftguardError ? EXIT_STATUS[error.code] : UNCODED_EXIT_STATUS;
}

const UNFORESEEN_HINT =
  "driftguard did not expect this error: if the message does not say what to change, please report it";

/** `driftguard: <what was wrong> (<where>)`, then `  <what to do>`; newline-terminated. */
export function formatError(error: unknown): string {
  const text = describeError(error);
  const hint = error instanceof DriftguardError ? "" : `\n  ${UNFORESEEN_HINT}`;
  return `driftguard: ${text}${hint}\n`;
}
