// The test bed's binaries: test/testbed/build.sh builds them on first use (Go module proxy, cached outside
// the repository) and prints their folder on its last line. The e2e setup and the bench both start here.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "./driftguard.js";

export function buildTestbed(): string {
  const output = execFileSync("bash", [join(REPO_ROOT, "test", "testbed", "build.sh")], {
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  });
  const binDir = output.trim().split("\n").at(-1);
  if (!binDir) throw new Error("test/testbed/build.sh printed no binary directory");
  return binDir;
}
