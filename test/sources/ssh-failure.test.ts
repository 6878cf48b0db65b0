// ssh's failure texts (as git prints them, captured from OpenSSH 9.2 against a real sshd) become errors
// with their own code and a message that says what to do; anything else is left to the generic error.
import { describe, expect, test } from "vitest";
import { sshFailure } from "../../src/sources/ssh-failure.js";

const TAIL = [
  "fatal: Could not read from remote repository.",
  "",
  "Please make sure you have the correct access rights",
  "and the repository exists.",
];

const CHANGED = [
  "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
  "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @",
  "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
  "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!",
  "The fingerprint for the ED25519 key sent by the remote host is",
  "SHA256:t8MWtwAwA0c20TpRQ331aGEA5o+UKq+PzkRT8aOwl9I.",
  "Add correct host key in /known/hosts to get rid of this message.",
  "Offending ED25519 key in /known/hosts:1",
  '  ssh-keygen -f "/known/hosts" -R "[127.0.0.1]:2222"',
  "Host key for [127.0.0.1]:2222 has changed and you have requested strict checking.",
  "Host key verification failed.",
  ...TAIL,
];

const rows: Array<{ name: string; lines: string[]; code: string | undefined; says: RegExp | undefined }> = [
  {
    name: "a changed host key",
    lines: CHANGED,
    code: "DG_SOURCE_HOST_KEY_CHANGED",
    says: /host key of \[127\.0\.0\.1\]:2222 has changed.*new public key in knownHostsFile/,
  },
  {
    name: "an unknown host",
    lines: [
      "No ED25519 host key is known for git.example.com and you have requested strict checking.",
      "Host key verification failed.",
      ...TAIL,
    ],
    code: "DG_SOURCE_HOST_KEY_UNKNOWN",
    says: /host git\.example\.com is not in the source's auth\.knownHostsFile.*add the server's public host key/,
  },
  {
    name: "a key the server does not accept",
    lines: ["git@127.0.0.1: Permission denied (publickey).", ...TAIL],
    code: "DG_SOURCE_SSH_KEY_REFUSED",
    says: /refused the key of the source's auth\.sshKeyFile for git@127\.0\.0\.1/,
  },
  {
    name: "a private key file others can read (ssh ignores it; the server then refuses)",
    lines: [
      "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
      "@         WARNING: UNPROTECTED PRIVATE KEY FILE!          @",
      "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
      "Permissions 0644 for '/etc/driftguard/git/ssh-privatekey' are too open.",
      "It is required that your private key files are NOT accessible by others.",
      "This private key will be ignored.",
      'Load key "/etc/driftguard/git/ssh-privatekey": bad permissions',
      "git@127.0.0.1: Permission denied (publickey).",
      ...TAIL,
    ],
    code: "DG_SOURCE_CREDENTIALS_UNREADABLE",
    says: /auth\.sshKeyFile: its mode 0644 lets others read it.*defaultMode: 0400/,
  },
  {
    name: "a refused connection (left to the generic error)",
    lines: ["ssh: connect to host 127.0.0.1 port 1: Connection refused", ...TAIL],
    code: undefined,
    says: undefined,
  },
  {
    name: "a missing repository (left to the generic error)",
    lines: ["fatal: '/nonexist' does not appear to be a git repository", ...TAIL],
    code: undefined,
    says: undefined,
  },
];

describe("sshFailure", () => {
  test.each(rows)("$name", ({ lines, code, says }) => {
    const error = sshFailure(new Error(lines.join("\n")));
    expect(error?.code).toBe(code);
    if (says !== undefined) expect(error?.message).toMatch(says);
    // One line: statuses, /readyz and log fields show it whole.
    expect(error?.message ?? "").not.toMatch(/\n/);
  });
});
