// The environment of every git process this folder starts. simple-git refuses (or silently drops)
// variables that can make git run other programs unless they are allowed by name, so the set we
// allow is spelled out here, next to the reason for each.

/** Variables we set ourselves, or pass through from the process, and allow simple-git to keep. */
const ALLOWED = [
  // Never wait for a terminal prompt: a missing credential must fail the fetch, not hang it.
  "GIT_TERMINAL_PROMPT",
  // Only the transports a source may use; `ext::` and `fd::` URLs could run commands.
  "GIT_ALLOW_PROTOCOL",
  // Credentials (see credentials.ts).
  "GIT_ASKPASS",
  "GIT_SSH_COMMAND",
  // Passed through when the operator sets them: isolation from /etc/gitconfig, private CAs.
  "GIT_CONFIG_NOSYSTEM",
  "GIT_SSL_CAINFO",
  "GIT_SSL_CAPATH",
] as const;

const PASSED_THROUGH = new Set(["GIT_CONFIG_NOSYSTEM", "GIT_SSL_CAINFO", "GIT_SSL_CAPATH"]);

// Non-`GIT_` variables simple-git also guards; git would run them as programs.
const GUARDED = new Set(["EDITOR", "VISUAL", "PAGER", "PREFIX", "SSH_ASKPASS"]);

export const ALLOWED_GIT_ENV: readonly string[] = ALLOWED;

/** What simple-git must be told to let the variables above through. */
export const SIMPLE_GIT_UNSAFE = { allowUnsafeAskPass: true, allowUnsafeSshCommand: true } as const;

/**
 * The environment for git: the base environment without variables that could redirect git, plus
 * our own settings and the source's credential variables.
 */
export function buildGitEnv(
  base: Readonly<Record<string, string | undefined>>,
  credentials: Readonly<Record<string, string>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value === undefined) continue;
    const upper = key.toUpperCase();
    if ((upper.startsWith("GIT_") && !PASSED_THROUGH.has(upper)) || GUARDED.has(upper)) continue;
    env[key] = value;
  }
  return { ...env, GIT_TERMINAL_PROMPT: "0", GIT_ALLOW_PROTOCOL: "file:git:http:https:ssh", ...credentials };
}
