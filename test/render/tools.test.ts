// The render tools the tests found (DRIFTGUARD_KUSTOMIZE / DRIFTGUARD_HELM, else the PATH) are the versions
// scripts/render-tools.sh pins: renders compared with the stored corpus outputs only mean something then.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { pinnedRenderToolVersions, type RenderTool, requireRenderTools } from "../support/render-tools.js";

const run = promisify(execFile);
const tools = requireRenderTools(); // under DRIFTGUARD_REQUIRE_RENDERERS=1 a missing tool fails this file

const VERSION_COMMANDS: readonly { tool: RenderTool; args: readonly string[] }[] = [
  { tool: "kustomize", args: ["version"] },
  { tool: "helm", args: ["version", "--short"] },
];

describe.skipIf(tools.skipReason !== undefined)("render tools at the pinned versions", () => {
  if (tools.skipReason) console.warn(tools.skipReason);
  const pinned = pinnedRenderToolVersions();

  it.each(VERSION_COMMANDS)("$tool prints the version scripts/render-tools.sh pins", async (command) => {
    const binary = tools[command.tool];
    if (!binary) throw new Error(`${command.tool} was not found`);
    // A bare environment, as driftguard's renders get: the version must not depend on the caller's.
    const { stdout } = await run(binary, [...command.args], {
      env: { PATH: "/usr/bin:/bin" },
      timeout: 10_000,
    });
    expect(stdout.trim()).toBe(pinned[command.tool]);
  });
});
