// The unit suite's global setup for the SSH transport tests: when DRIFTGUARD_SSHD is unset and no sshd is
// installed, scripts/sshd.sh fetches Debian's (cached outside the repository: instant when warm, seconds
// cold) and DRIFTGUARD_SSHD names it; the test workers are forked after this and inherit it.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { requireSshd, SSHD_ENV, SSHD_SCRIPT } from "./sshd.js";

export function setup(): void {
  if (process.env[SSHD_ENV]) return;
  const got = runScript();
  if ("folder" in got) {
    process.env[SSHD_ENV] = join(got.folder, "sshd");
    return;
  }
  process.stdout.write(`sshd: ${got.problem}; ${whatTestsWillDo()}\n`);
}

/** One line, whatever the cause: whether the SSH tests run, skip or fail. */
function whatTestsWillDo(): string {
  try {
    return requireSshd().skipReason ?? "the sshd found on PATH is used";
  } catch (error) {
    return (error as Error).message;
  }
}

function runScript(): { folder: string } | { problem: string } {
  try {
    const output = execFileSync("bash", [SSHD_SCRIPT], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"], // apt's progress lines are noise in a test run
      timeout: 300_000,
    });
    const folder = output.trim().split("\n").at(-1);
    return folder ? { folder } : { problem: "scripts/sshd.sh printed no folder" };
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? "")
      .trim()
      .split("\n")
      .at(-1);
    return { problem: `scripts/sshd.sh failed (${stderr || (error as Error).message.split("\n")[0]})` };
  }
}
