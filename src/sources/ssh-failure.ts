// ssh's own words for the failures an operator must act on, turned into errors that say what happened and
// what to do. git ends each of them with the same "Could not read from remote repository", and the line
// that names the cause (a changed host key) is not the one the generic one-line description keeps.
import { SourceError } from "./source-error.js";

// `what` gets the pattern's first group: the host as ssh names it (`[127.0.0.1]:2222`,
// `git.example.com`), the login, or the file's mode. The first pattern found wins: a key ssh ignored for
// its mode is also refused by the server, and the mode is the cause to name.
const FAILURES: ReadonlyArray<{
  pattern: RegExp;
  code: "HOST_KEY_CHANGED" | "HOST_KEY_UNKNOWN" | "SSH_KEY_REFUSED" | "CREDENTIALS_UNREADABLE";
  what: (found: string) => string;
}> = [
  {
    // A Secret volume without defaultMode mounts files 0644, and ssh ignores a private key others can read.
    pattern: /^Permissions (0[0-7]+) for '[^']*' are too open\.$/m,
    code: "CREDENTIALS_UNREADABLE",
    what: (mode) =>
      `ssh will not use the source's auth.sshKeyFile: its mode ${mode} lets others read it. Make it ` +
      "readable by its owner only (0600 or 0400; for a Secret volume, defaultMode: 0400)",
  },
  {
    pattern: /^Host key for (\S+) has changed and you have requested strict checking\.$/m,
    code: "HOST_KEY_CHANGED",
    what: (host) =>
      `the SSH host key of ${host} has changed: it is not the key the source's auth.knownHostsFile holds ` +
      "for it, so nothing was fetched. If the server's key was replaced on purpose, put its new public key in knownHostsFile; otherwise someone may be in between",
  },
  {
    pattern: /^No \S+ host key is known for (\S+) and you have requested strict checking\.$/m,
    code: "HOST_KEY_UNKNOWN",
    what: (host) =>
      `the SSH host ${host} is not in the source's auth.knownHostsFile, so its key cannot be checked and ` +
      "nothing was fetched: add the server's public host key to knownHostsFile",
  },
  {
    pattern: /^(\S+): Permission denied \(([^)]*)\)\.$/m,
    code: "SSH_KEY_REFUSED",
    what: (login) =>
      `the SSH server refused the key of the source's auth.sshKeyFile for ${login}: the Git server must ` +
      "list its public half among the keys allowed to read the repository",
  },
];

/** The SourceError for a failed fetch whose git output holds one of ssh's known failures, else undefined. */
export function sshFailure(error: unknown): SourceError | undefined {
  const text = error instanceof Error ? error.message : String(error);
  for (const failure of FAILURES) {
    const match = failure.pattern.exec(text);
    if (match?.[1] !== undefined) return new SourceError(failure.code, failure.what(match[1]));
  }
  return undefined;
}
