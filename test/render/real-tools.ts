// kustomize and helm for the leaf tests that run the real tools, through the shared lookup
// (test/support/render-tools.ts): under DRIFTGUARD_REQUIRE_RENDERERS=1 a missing tool fails, never skips.
import { requireRenderTools } from "../support/render-tools.js";

export type RealTool = "kustomize" | "helm";

export function realTool(tool: RealTool): string | undefined {
  return requireRenderTools([tool])[tool];
}

export function realToolSkipReason(tool: RealTool): string {
  return requireRenderTools([tool]).skipReason ?? `${tool} was found`;
}
