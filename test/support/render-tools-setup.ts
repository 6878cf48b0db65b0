// The unit suite's global setup: kustomize and helm at the pinned versions for every test that needs them.
// It runs scripts/render-tools.sh (cached outside the repository: seconds when warm, minutes cold) and sets
// DRIFTGUARD_KUSTOMIZE / DRIFTGUARD_HELM; the test workers are forked after it and inherit them.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import {
  findOnPath,
  RENDER_TOOL_ENV,
  RENDER_TOOLS,
  RENDER_TOOLS_SCRIPT,
  requireRenderTools,
} from "./render-tools.js";

export function setup(): void {
  // A tool named by its variable is the caller's choice, built or not: never replaced.
  const unnamed = RENDER_TOOLS.filter((tool) => !process.env[RENDER_TOOL_ENV[tool]]);
  if (unnamed.length === 0) return;
  const built = findOnPath("go") ? buildRenderTools() : { problem: "Go is not on PATH to build them" };
  if ("folder" in built) {
    for (const tool of unnamed) process.env[RENDER_TOOL_ENV[tool]] = join(built.folder, tool);
    return;
  }
  process.stdout.write(`render tools: ${built.problem}; ${whatTestsWillDo()}\n`);
}

/** One line, whatever the cause: whether the tests that need the tools run, skip or fail. */
function whatTestsWillDo(): string {
  try {
    return requireRenderTools().skipReason ?? "the kustomize and helm found on PATH are used";
  } catch (error) {
    return (error as Error).message;
  }
}

function buildRenderTools(): { folder: string } | { problem: string } {
  try {
    const output = execFileSync("bash", [RENDER_TOOLS_SCRIPT], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"], // the script's progress lines go straight to the terminal
    });
    const folder = output.trim().split("\n").at(-1);
    return folder ? { folder } : { problem: "scripts/render-tools.sh printed no folder" };
  } catch (error) {
    return { problem: `scripts/render-tools.sh failed (${(error as Error).message.split("\n")[0]})` };
  }
}
