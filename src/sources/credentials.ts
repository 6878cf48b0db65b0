// Credentials reach git through files only: never argv, URLs, logs or our own memory. For HTTPS,
// git runs an askpass script that prints what the username and token files hold; for SSH, git runs ssh with
// the key file and a known_hosts file, host keys always checked.
import { constants } from "node:fs";
import { access, chmod, mkdir, rename, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { SourceError } from "./source-error.js";
import type { SourceAuth } from "./types.js";

/** Variables that tell the askpass script where the files are (not secrets themselves). */
export const USERNAME_FILE_VAR = "DRIFTGUARD_GIT_USERNAME_FILE";
export const TOKEN_FILE_VAR = "DRIFTGUARD_GIT_TOKEN_FILE";

// Most hosts accept any username next to a token; this one is used when no username file is set.
const DEFAULT_USERNAME = "git";

// git calls the script with its prompt ("Username for '...': " or "Password for '...': ") as $1
// and reads the first line of its output.
const ASKPASS_SCRIPT = `#!/bin/sh
case "$1" in
  Username*)
    if [ -n "$${USERNAME_FILE_VAR}" ]; then exec cat -- "$${USERNAME_FILE_VAR}"; fi
    echo ${DEFAULT_USERNAME} ;;
  *)
    exec cat -- "$${TOKEN_FILE_VAR}" ;;
esac
`;

/** Writes the askpass script (mode 0700) under stateDir and returns its path. Idempotent. */
export async function writeAskpassScript(stateDir: string): Promise<string> {
  const folder = join(resolve(stateDir), "bin");
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const path = join(folder, "git-askpass.sh");
  // Several sources may start at once: write aside and rename, so git never runs half a script.
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temporary, ASKPASS_SCRIPT, { mode: 0o700 });
  await chmod(temporary, 0o700);
  await rename(temporary, path);
  return path;
}

/**
 * Checked before each fetch (Secrets are remounted when rotated): a missing file is named in the
 * error, instead of git's bare "Authentication failed". Paths are not secrets; contents never leave.
 */
export async function checkCredentialFiles(auth: SourceAuth | undefined): Promise<void> {
  if (auth === undefined) return;
  const files: Array<[string, string]> =
    auth.kind === "https"
      ? [["token", auth.tokenFile]]
      : [
          ["private key", auth.privateKeyFile],
          ["known_hosts", auth.knownHostsFile],
        ];
  if (auth.kind === "https" && auth.usernameFile !== undefined) files.push(["username", auth.usernameFile]);
  for (const [what, file] of files) {
    await access(resolve(file), constants.R_OK).catch(() => {
      throw new SourceError("CREDENTIALS_UNREADABLE", `the ${what} file ${file} cannot be read`);
    });
  }
}

/** Environment variables that hand the credentials of `auth` to git. */
export function credentialEnv(
  auth: SourceAuth | undefined,
  askpassPath: string | undefined,
): Record<string, string> {
  if (auth === undefined) return {};
  if (auth.kind === "ssh") return { GIT_SSH_COMMAND: sshCommand(auth) };
  if (askpassPath === undefined) throw new Error("https credentials need the askpass script");
  const env: Record<string, string> = { GIT_ASKPASS: askpassPath, [TOKEN_FILE_VAR]: resolve(auth.tokenFile) };
  if (auth.usernameFile !== undefined) env[USERNAME_FILE_VAR] = resolve(auth.usernameFile);
  return env;
}

/** The ssh command line git runs (through a shell, hence the quoting). */
export function sshCommand(auth: Extract<SourceAuth, { kind: "ssh" }>): string {
  return [
    "ssh",
    `-i ${shellQuote(resolve(auth.privateKeyFile))}`,
    "-o IdentitiesOnly=yes",
    `-o UserKnownHostsFile=${shellQuote(resolve(auth.knownHostsFile))}`,
    // Host keys are always checked: an unknown or changed key fails the fetch, never prompts.
    "-o StrictHostKeyChecking=yes",
    "-o BatchMode=yes",
  ].join(" ");
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
