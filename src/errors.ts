// driftguard's one error vocabulary. Every error a user can see carries a stable code (scripts and
// tests match codes, never wording), says what was wrong and where, and (hint) what to do. Pure: no
// Node imports, so that the core and the pure part of the RBAC code may throw these too.

/** Stable codes: never renamed or reused once released; wording of messages may change freely. */
export const ERROR_CODES = {
  DG_CLI_USAGE: "the command line is wrong: unknown command or flag, missing or bad option",
  DG_INPUT_UNREADABLE: "a file or standard input given to a command cannot be read",
  DG_INPUT_INVALID: "a command's input is not JSON or YAML",
  DG_REVIEW_INVALID: "the input is not an AdmissionReview v1",
  DG_CONFIG_INVALID: "the config file cannot be read, or breaks the schema or a cross-field rule",
  DG_RBAC_LOAD: "RBAC files for check --rbac cannot be read, or hold an object the API server would refuse",
  DG_KUBECONFIG_INVALID: "Kubernetes credentials (kubeconfig or the pod's service account) cannot be loaded",
  DG_CLUSTER_UNREACHABLE:
    "the API server cannot be reached, refused the credentials, or failed to answer a read of Deployments",
  DG_HISTORY_UNREADABLE: "the decision history store given to history --state-dir cannot be read",
  DG_AUDIT_LOG_UNREADABLE: "the audit log given to replay cannot be opened or read",
  DG_TLS_UNUSABLE: "the serving certificate or key cannot be read, does not parse, or the two do not match",
  DG_LISTEN_FAILED: "the HTTPS server cannot listen on the configured host and port",
  DG_PUSH_TOKEN_UNREADABLE: "the push webhook's token file cannot be read",
  DG_STARTUP_FAILED: "a step of serve's startup failed; what had started was stopped again",
  DG_CERTS_INVALID_NAME: "a name asked for a certificate is not a DNS name or IP address",
  DG_CERTS_WRITE_FAILED: "certificate files cannot be written",
  DG_SOURCE_FETCH_FAILED: "git could not fetch a source",
  DG_SOURCE_FETCH_TIMEOUT: "a git fetch took longer than its timeout",
  DG_SOURCE_REF_NOT_FOUND: "a source's ref is not in the repository",
  DG_SOURCE_BAD_REF: "a source's ref is not a valid branch, tag or commit name",
  DG_SOURCE_CREDENTIALS_UNREADABLE: "a source's credential file cannot be read",
  DG_SOURCE_GIT_FAILED: "a local git command failed",
  DG_SOURCE_SNAPSHOT_INVALID: "the saved snapshot of a source cannot be used",
  DG_SOURCE_HOST_KEY_CHANGED: "an SSH remote's host key is not the one its knownHostsFile holds",
  DG_SOURCE_HOST_KEY_UNKNOWN: "an SSH remote's host is not in its knownHostsFile",
  DG_SOURCE_SSH_KEY_REFUSED: "an SSH remote refused the source's private key",
  DG_RENDER_REFUSED:
    "a rendered app would reach the network or read outside its repository: refused before any build",
  DG_RENDER_INPUT_UNREADABLE:
    "a file a rendered app reads cannot be read from Git or written to its render folder",
  DG_RENDER_TOOL_MISSING: "a source has rendered apps and kustomize or helm cannot be found or run",
  DG_APPLY_NOT_CONFIRMED:
    "apply would change the cluster and was not confirmed: no --yes, and no terminal to ask on (or the answer was no)",
  DG_APPLY_PLAN_UNREADABLE: "the plan file given to apply --plan cannot be read",
  DG_APPLY_PLAN_INVALID: "the plan file given to apply --plan is not a RevertPlan (driftguard plan -o json)",
  DG_PROPOSE_NO_MANIFEST: "propose: no Git manifest holds the request's object, or its file no longer has it",
  DG_PROPOSE_NO_CHANGE: "propose: the request changes nothing against Git: there is no edit to propose",
  DG_PROPOSE_UNMAPPABLE:
    "propose: a changed field cannot be written into the Git file so that Git says what was asked",
  DG_PROPOSE_VALUE_MASKED: "propose: a field's requested value is masked (a secret), so no edit can carry it",
  DG_PROPOSE_HELM_AMBIGUOUS: "propose: no single Helm value maps to a changed field without doubt",
  DG_PROPOSE_HEAD_MOVED:
    "propose --branch: the source's branch moved and changed the edited fields since the compared commit",
  DG_PROPOSE_PUSH_FAILED: "propose --branch: the branch could not be pushed (remote refused or unreachable)",
  DG_PROPOSE_NO_RECORD: "propose --request: no decision record holds that request uid",
  DG_VIEW_NO_TOKEN: "the web view beyond loopback was asked without a bearer token",
  DG_VIEW_UNAUTHENTICATED:
    "the web view's caller brought a token the API server does not accept (TokenReview)",
  DG_VIEW_FORBIDDEN:
    "the web view's caller may not open it (SubjectAccessReview: get on /driftguard/web-view)",
  DG_VIEW_REVIEW_FAILED: "the web view could not check a caller's token or access with the API server",
  DG_VIEW_BAD_QUERY: "a web view request's query parameter is not one it knows, or its value is malformed",
  DG_DEMO_UNWRITABLE: "serve without --config could not write the demo into the working folder",
  DG_INTERNAL: "an invariant of driftguard broke: a bug",
} as const satisfies Record<string, string>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface DriftguardErrorOptions {
  /** What to do about it: one line, addressed to the user. */
  hint?: string | undefined;
  /** Where it went wrong: a file, a flag, a config key, an address. */
  where?: string | undefined;
  cause?: unknown;
}

export class DriftguardError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly where?: string;

  constructor(code: ErrorCode, message: string, options: DriftguardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "DriftguardError";
    this.code = code;
    if (options.hint !== undefined) this.hint = options.hint;
    if (options.where !== undefined) this.where = options.where;
  }
}

/** A broken invariant: the user did nothing wrong, and the hint says so. */
export function internalError(message: string, cause?: unknown): DriftguardError {
  return new DriftguardError("DG_INTERNAL", message, {
    hint: "this is a bug in driftguard; please report it with the command and config that led here",
    cause,
  });
}

const MAX_LINE = 500;

/**
 * The one way to turn anything thrown into text for a user or a log: `what (where)`, then the hint on
 * a second line indented by two spaces. Never a stack, never a URL's credentials; an error without a
 * code keeps only its first line, since runtimes put stacks and dumps on the next ones.
 */
export function describeError(error: unknown): string {
  if (error instanceof DriftguardError) {
    const what = error.where === undefined ? error.message : `${error.message} (${error.where})`;
    const text = error.hint === undefined ? what : `${what}\n  ${error.hint}`;
    return hideCredentials(text);
  }
  if (error === undefined || error === null) return "unknown error";
  const raw = error instanceof Error ? error.message : String(error);
  const first = raw.split(/\r?\n/).find((line) => line.trim() !== "") ?? "";
  const line = hideCredentials(first.trim());
  if (line === "") return error instanceof Error ? `${error.name} without a message` : "unknown error";
  return line.length > MAX_LINE ? `${line.slice(0, MAX_LINE - 3)}...` : line;
}

// The file system's error codes a user can act on, in words; Node's own text repeats the path.
const FILE_REASONS: Readonly<Record<string, string>> = {
  ENOENT: "no such file or folder",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EISDIR: "is a folder, not a file",
  ENOTDIR: "a part of the path is not a folder",
  ELOOP: "too many symbolic links",
  EROFS: "read-only file system",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
};

/** Why a file could not be read or written, in words: `no such file or folder`, else describeError. */
export function describeFileError(error: unknown): string {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return (typeof code === "string" ? FILE_REASONS[code] : undefined) ?? describeError(error);
}

// `scheme://user:token@`: git and HTTP clients repeat URLs in their messages. The sources redact
// their own errors; this is the last guard for anything else that quotes a URL. To the last `@`, as
// src/sources/redact.ts does: an unencoded `@` in a password must not leave its tail shown.
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s'"<>()[\]]+@/gi;

// `Bearer <token>`, `Basic <base64>`: an HTTP client's error may quote the Authorization header it sent
// (a service-account token was once logged so, from a Lease warning in a pod whose API server refused).
const AUTHORIZATION = /\b(Bearer|Basic)\s+[^\s"',;]+/gi;

/** Text with URL credentials and quoted Authorization values replaced by `***`. */
export function hideCredentials(text: string): string {
  return text.replace(USERINFO, "$1***@").replace(AUTHORIZATION, "$1 ***");
}
