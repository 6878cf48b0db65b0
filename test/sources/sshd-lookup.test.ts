// How test/support/sshd.ts finds the sshd the SSH tests run, and when a missing one skips or fails them.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { requireSshd, SshdMissingError } from "../support/sshd.js";

const root = mkdtempSync(join(tmpdir(), "driftguard-sshd-lookup-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A folder holding a file `sshd`; `mode` 0o755 makes it executable. */
function folder(name: string, mode = 0o755): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "sshd"), "#!/bin/sh\n");
  chmodSync(join(dir, "sshd"), mode);
  return dir;
}

const installed = folder("installed");
const sbin = folder("sbin");
const notExecutable = folder("not-executable", 0o644);
const empty = join(root, "empty");
mkdirSync(empty);

describe("requireSshd", () => {
  it.each([
    {
      name: "the PATH first",
      env: { PATH: [notExecutable, installed].join(delimiter) },
      extra: [sbin],
      sshd: join(installed, "sshd"),
    },
    { name: "then the extra folders (sbin)", env: { PATH: empty }, extra: [sbin], sshd: join(sbin, "sshd") },
    {
      name: "DRIFTGUARD_SSHD over the PATH",
      env: { PATH: installed, DRIFTGUARD_SSHD: join(sbin, "sshd") },
      extra: [],
      sshd: join(sbin, "sshd"),
    },
  ])("finds it: $name", ({ env, extra, sshd }) => {
    expect(requireSshd(env, extra)).toEqual({ sshd, skipReason: undefined });
  });

  it.each([
    { name: "nowhere", env: { PATH: empty }, problem: "sshd is not on PATH and DRIFTGUARD_SSHD is not set" },
    {
      name: "a relative DRIFTGUARD_SSHD",
      env: { PATH: installed, DRIFTGUARD_SSHD: "bin/sshd" },
      problem: "DRIFTGUARD_SSHD is not an absolute path",
    },
    {
      name: "a DRIFTGUARD_SSHD that cannot run",
      env: { PATH: installed, DRIFTGUARD_SSHD: join(notExecutable, "sshd") },
      problem: "DRIFTGUARD_SSHD does not name an executable file",
    },
  ])("skips, saying why and how to get one: $name", ({ env, problem }) => {
    const { sshd, skipReason } = requireSshd(env, []);
    expect(sshd).toBeUndefined();
    expect(skipReason).toContain(problem);
    expect(skipReason).toContain("bash scripts/sshd.sh");
  });

  it("fails instead under DRIFTGUARD_REQUIRE_SSHD=1", () => {
    expect(() => requireSshd({ PATH: empty, DRIFTGUARD_REQUIRE_SSHD: "1" }, [])).toThrow(SshdMissingError);
    expect(() => requireSshd({ PATH: empty, DRIFTGUARD_REQUIRE_SSHD: "1" }, [])).toThrow(
      /DRIFTGUARD_REQUIRE_SSHD=1 makes that a failure/,
    );
  });
});
