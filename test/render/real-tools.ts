// kustomize and helm for the tests that run the real tools: DRIFTGUARD_KUSTOMIZE / DRIFTGUARD_HELM,
// else the PATH. A small stand-in until the shared test/support/render-tools.ts is merged.
import { findBinary } from "../../src/render/tool-env.js";

export type RealTool = "kustomize" | "helm";

const VARIABLES: Record<RealTool, string> = { kustomize: "DRIFTGUARD_KUSTOMIZE", helm: "DRIFTGUARD_HELM" };

export function realTool(tool: RealTool): string | undefined {
  const given = process.env[VARIABLES[tool]];
  return given ? findBinary(given) : findBinary(tool);
}

export function realToolSkipReason(tool: RealTool): string {
  return `${tool} is not on PATH and ${VARIABLES[tool]} is not set: the real ${tool} renders are skipped (build it with scripts/render-tools.sh, or go install)`;
}
