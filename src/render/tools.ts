// Finds kustomize and helm once per process and asks each for its version: the version is part of every
// render's fingerprint (another tool version may render differently) and shows in /readyz.
import { execFile } from "node:child_process";
import { tmpdir } from "node:os";
import type { RendererSettings } from "../sources/types.js";
import { type IsolationStatus, probeNetworkIsolation } from "./network-isolation.js";
import { findBinary } from "./tool-env.js";

export type ToolName = "kustomize" | "helm";

export type ToolStatus =
  | { kind: "found"; name: ToolName; binary: string; version: string }
  | { kind: "missing"; name: ToolName; message: string };

export interface RenderTools {
  kustomize: ToolStatus;
  helm: ToolStatus;
  network: IsolationStatus;
}

const VERSION_ARGS: Record<ToolName, string[]> = {
  kustomize: ["version"],
  helm: ["version", "--short"],
};

/** The config's defaults (src/config/schema.ts says the same). */
export const DEFAULT_RENDERER_SETTINGS: RendererSettings = {
  kustomize: "kustomize",
  helm: "helm",
  timeoutMs: 60_000,
  concurrency: 2,
  maxOutputBytes: 64 * 1024 * 1024,
  kubeVersion: "1.36.0",
  isolateNetwork: "auto",
};

export const HOW_TO_GET_TOOLS =
  "build them with `bash scripts/render-tools.sh` (kustomize v5.8.2, helm v3.22.0; needs Go) and put the folder it prints on PATH, or set renderers.kustomize / renderers.helm to their paths";

export async function findRenderTools(
  settings: RendererSettings,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<RenderTools> {
  const [kustomize, helm, network] = await Promise.all([
    findTool("kustomize", settings.kustomize, env),
    findTool("helm", settings.helm, env),
    probeNetworkIsolation(settings.isolateNetwork),
  ]);
  return { kustomize, helm, network };
}

async function findTool(
  name: ToolName,
  configured: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<ToolStatus> {
  const binary = findBinary(configured, env.PATH ?? "");
  if (binary === undefined) {
    return { kind: "missing", name, message: `${name} not found (${configured}); ${HOW_TO_GET_TOOLS}` };
  }
  try {
    return { kind: "found", name, binary, version: await versionOf(binary, name) };
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n", 1)[0] : String(error);
    return {
      kind: "missing",
      name,
      message: `${name} at ${binary} does not run (${reason}); ${HOW_TO_GET_TOOLS}`,
    };
  }
}

function versionOf(binary: string, name: ToolName): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      binary,
      VERSION_ARGS[name],
      { timeout: 10_000, env: { PATH: "/usr/bin:/bin", HOME: tmpdir() } },
      (error, stdout) => {
        if (error) reject(error);
        else resolve(stdout.trim().split("\n", 1)[0] ?? "");
      },
    );
  });
}
