// A real OpenSSH server on loopback for the SSH transport tests: its own sshd_config (host key generated
// into a temporary folder, an authorized_keys file of the test's, no PAM, no passwords), run in the
// foreground (`-D -e`) on a free port, the login user being the one running the tests.
//
// Where sshd comes from: DRIFTGUARD_SSHD (an absolute path, set by the unit suite's global setup from
// scripts/sshd.sh), else the PATH or /usr/sbin. Under DRIFTGUARD_REQUIRE_SSHD=1 (CI) a missing sshd fails
// the tests that need it instead of skipping them.
//
// Run as root, sshd insists on privilege separation: a user named `sshd` and an empty folder /run/sshd to
// chroot into, which a machine without openssh-server has neither of. Rather than create them on the
// machine, sshd is started in a mount namespace of its own (`unshare --mount`) where a copy of
// /etc/passwd with an `sshd` line (uid of nobody) is bound over the real one and /run is a fresh tmpfs
// holding /run/sshd; both vanish with the process. Not root, sshd skips privilege separation and can
// only log the same user in, which is the test's user anyway.
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { userInfo } from "node:os";
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./net.js";

const run = promisify(execFile);

export const SSHD_SCRIPT = resolve(import.meta.dirname, "../../scripts/sshd.sh");
export const SSHD_ENV = "DRIFTGUARD_SSHD";
export const REQUIRE_SSHD_ENV = "DRIFTGUARD_REQUIRE_SSHD";
export const HOW_TO_GET_SSHD =
  "get one with `bash scripts/sshd.sh` (Debian's openssh-server, unpacked into a cache, not installed; " +
  `it prints a folder holding sshd), or set ${SSHD_ENV} to an sshd binary`;

// Long enough for a cold start on two busy cores; a healthy sshd listens within milliseconds.
const START_TIMEOUT_MS = 15_000;

export class SshdMissingError extends Error {
  override readonly name = "SshdMissingError";
}

/**
 * The sshd to run, or why there is none (skip with it). Throws under DRIFTGUARD_REQUIRE_SSHD=1. Beyond the
 * PATH, `extraDirs` are looked in (sshd lives in sbin, which a user's PATH may lack).
 */
export function requireSshd(
  env: NodeJS.ProcessEnv = process.env,
  extraDirs: readonly string[] = ["/usr/sbin"],
): { sshd: string | undefined; skipReason: string | undefined } {
  const found = findSshd(env, extraDirs);
  if ("sshd" in found) return { sshd: found.sshd, skipReason: undefined };
  if (env[REQUIRE_SSHD_ENV] === "1")
    throw new SshdMissingError(
      `${found.problem}, and ${REQUIRE_SSHD_ENV}=1 makes that a failure; ${HOW_TO_GET_SSHD}`,
    );
  return { sshd: undefined, skipReason: `${found.problem}: the SSH tests are skipped; ${HOW_TO_GET_SSHD}` };
}

function findSshd(
  env: NodeJS.ProcessEnv,
  extraDirs: readonly string[],
): { sshd: string } | { problem: string } {
  const given = env[SSHD_ENV];
  if (given !== undefined && given !== "") {
    if (!isAbsolute(given)) return { problem: `${SSHD_ENV} is not an absolute path` };
    return isExecutableFile(given)
      ? { sshd: given }
      : { problem: `${SSHD_ENV} does not name an executable file` };
  }
  const candidates = [...(env.PATH ?? "").split(delimiter).filter(isAbsolute), ...extraDirs].map((dir) =>
    join(dir, "sshd"),
  );
  const sshd = candidates.find(isExecutableFile);
  if (sshd === undefined) return { problem: `sshd is not on PATH and ${SSHD_ENV} is not set` };
  return namespaceProblem() ?? { sshd };
}

/** As root, sshd is run in a mount namespace of its own (see the top of this file): can one be made? */
function namespaceProblem(): { problem: string } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    execFileSync("unshare", ["--mount", "true"], { stdio: "ignore", timeout: 10_000 });
    return undefined;
  } catch {
    return {
      problem: "running as root, sshd needs a mount namespace of its own, and `unshare --mount` fails here",
    };
  }
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export interface KeyPair {
  privateKeyFile: string;
  /** The `.pub` line: `ssh-ed25519 AAAA...`. */
  publicKey: string;
}

/** A fresh ed25519 key pair without a passphrase (ssh-keygen writes the private file with mode 0600). */
export async function makeKeyPair(dir: string, name: string): Promise<KeyPair> {
  const privateKeyFile = join(dir, name);
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", privateKeyFile]);
  return { privateKeyFile, publicKey: (await readFile(`${privateKeyFile}.pub`, "utf8")).trim() };
}

/**
 * What must not leak of an OpenSSH private key file: its base64 body whole, each of its lines, and a short
 * run from the middle. Fragments, not the file whole: a log that cut or re-wrapped the key would still show
 * that much. `body` is given apart so that a test can check it is a real key's (long enough to matter).
 */
export function keyFragments(privateKeyFile: string): { body: string; fragments: string[] } {
  const lines = privateKeyFile
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("-----"));
  const body = lines.join("");
  const middle = Math.floor(body.length / 2);
  return { body, fragments: [body, ...lines, body.slice(middle, middle + 16)] };
}

export interface SshServerOptions {
  sshd: string;
  /** A folder of the test's own for the config, host keys, pid file and the passwd copy. */
  dir: string;
  /** Public key lines allowed to log in (written to the authorized_keys file). */
  authorizedKeys: readonly string[];
}

export interface SshServer {
  readonly port: number;
  /** ssh:// URL of an absolute path on this machine, for the current user. */
  url(path: string): string;
  /** The known_hosts line for the current host key. */
  knownHostsLine(): string;
  /** Stops sshd and starts it again on the same port with a newly generated host key. */
  restartWithNewHostKey(): Promise<void>;
  /** What sshd wrote (its log goes to stderr with -e), for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export async function startSshServer(options: SshServerOptions): Promise<SshServer> {
  const port = await freePort();
  const authorizedKeysFile = join(options.dir, "authorized_keys");
  // `restrict`: no pty, no forwarding, no agent; git needs none of them.
  await writeFile(authorizedKeysFile, options.authorizedKeys.map((key) => `restrict ${key}\n`).join(""));
  let generation = 0;
  let hostKey = await makeKeyPair(options.dir, `host-key-${generation}`);
  let running = await launch(options, port, hostKey.privateKeyFile, authorizedKeysFile);
  return {
    port,
    url: (path) => `ssh://${userInfo().username}@127.0.0.1:${port}${path}`,
    knownHostsLine: () => `[127.0.0.1]:${port} ${hostKey.publicKey.split(" ").slice(0, 2).join(" ")}`,
    async restartWithNewHostKey() {
      await running.stop();
      generation += 1;
      hostKey = await makeKeyPair(options.dir, `host-key-${generation}`);
      running = await launch(options, port, hostKey.privateKeyFile, authorizedKeysFile);
    },
    output: () => running.output(),
    stop: () => running.stop(),
  };
}

interface Running {
  output(): string;
  stop(): Promise<void>;
}

async function launch(
  options: SshServerOptions,
  port: number,
  hostKeyFile: string,
  authorizedKeysFile: string,
): Promise<Running> {
  const configFile = join(options.dir, `sshd_config-${port}`);
  await writeFile(configFile, sshdConfig({ port, hostKeyFile, authorizedKeysFile, dir: options.dir }));
  const child = await spawnSshd(options, configFile);
  let output = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  const exited = new Promise<void>((resolveExit) => child.once("exit", () => resolveExit()));
  await waitForListening(child, port, () => output);
  return {
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

function sshdConfig(options: { port: number; hostKeyFile: string; authorizedKeysFile: string; dir: string }) {
  // git-upload-pack runs in the login session, whose PATH sshd sets itself: name git's folder first.
  const gitDir = findGitDir();
  return [
    `Port ${options.port}`,
    "ListenAddress 127.0.0.1",
    `HostKey ${options.hostKeyFile}`,
    `AuthorizedKeysFile ${options.authorizedKeysFile}`,
    `PidFile ${join(options.dir, `sshd-${options.port}.pid`)}`,
    // The test's files live in a temporary folder whose modes sshd would otherwise judge.
    "StrictModes no",
    "UsePAM no",
    "PubkeyAuthentication yes",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "PermitRootLogin prohibit-password",
    "UseDNS no",
    `SetEnv PATH=${gitDir}:/usr/bin:/bin`,
    "",
  ].join("\n");
}

function findGitDir(): string {
  const git = (process.env.PATH ?? "")
    .split(delimiter)
    .filter(isAbsolute)
    .map((dir) => join(dir, "git"))
    .find(isExecutableFile);
  return git === undefined ? "/usr/bin" : dirname(git);
}

async function spawnSshd(options: SshServerOptions, configFile: string): Promise<ChildProcess> {
  const args = ["-D", "-e", "-f", configFile];
  const stdio: ["ignore", "ignore", "pipe"] = ["ignore", "ignore", "pipe"];
  if (process.getuid?.() !== 0) return spawn(options.sshd, args, { stdio });
  const passwdFile = join(options.dir, "passwd");
  await writeFile(passwdFile, withPrivsepUser(readFileSync("/etc/passwd", "utf8")));
  // Inside the namespace only; `exec` keeps sshd as the process we signal.
  const script = [
    'mount --bind "$1" /etc/passwd',
    existsSync("/run/sshd") ? "true" : "mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -m 0755 /run/sshd",
    'shift && exec "$@"',
  ].join(" && ");
  return spawn("unshare", ["--mount", "sh", "-c", script, "sh", passwdFile, options.sshd, ...args], {
    stdio,
  });
}

function withPrivsepUser(passwd: string): string {
  if (/^sshd:/m.test(passwd)) return passwd;
  const lines = passwd.endsWith("\n") || passwd === "" ? passwd : `${passwd}\n`;
  return `${lines}sshd:x:65534:65534:sshd privilege separation:/run/sshd:/usr/sbin/nologin\n`;
}

function waitForListening(child: ChildProcess, port: number, output: () => string): Promise<void> {
  return new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`sshd did not listen on port ${port} within ${START_TIMEOUT_MS} ms:\n${output()}`));
    }, START_TIMEOUT_MS);
    const onData = () => {
      if (!output().includes(`Server listening on 127.0.0.1 port ${port}.`)) return;
      clearTimeout(timer);
      child.stderr?.off("data", onData);
      resolveReady();
    };
    child.stderr?.on("data", onData);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`sshd exited (${signal ?? code}) before listening:\n${output()}`));
    });
  });
}
