// Recognizes references to content outside the repository, in the forms kustomize fetches: URLs
// (its file loader downloads http(s) files in any field), Git repository addresses (its repo spec
// parser: a scheme, `user@host:`, `github.com/`, the `git::` prefix) and the notations only they use
// (`//` before a subfolder, `?ref=`). Erring towards "remote" is the safe mistake: a local path
// rarely looks like any of these.

const PATTERNS: readonly [RegExp, string][] = [
  [/^[a-z][a-z0-9+.-]*:\/\//i, "is a URL"],
  [/^git::/i, "is a Git repository address (git::)"],
  [/^gh:/i, "is a GitHub repository address (gh:)"],
  [/^[a-z][a-z0-9-]*@/i, "is a Git repository address (user@host)"],
  [/^(www\.)?(github\.com|gitlab\.com|bitbucket\.org)[/:]/i, "is a Git repository address"],
  [/\?[a-z_]+=/i, "carries a remote repository's query (?ref=)"],
  [/\/\//, "uses the `//` subfolder notation of remote repositories"],
];

/** Why `entry` names something outside the repository, or undefined when it is a plain path. */
export function remoteReason(entry: string): string | undefined {
  return PATTERNS.find(([pattern]) => pattern.test(entry.trim()))?.[1];
}
