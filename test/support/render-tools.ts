// Where the tests find kustomize and helm: DRIFTGUARD_KUSTOMIZE / DRIFTGUARD_HELM (absolute paths, set by
// the unit suite's global setup from scripts/render-tools.sh), else the PATH. Under
// DRIFTGUARD_REQUIRE_RENDERERS=1 (CI) a missing tool fails the tests that need it instead of skipping them.
import { accessSync, constants, readFileSync, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";

export const RENDER_TOOLS_SCRIPT = resolve(import.meta.dirname, "../../scripts/render-tools.sh");
export const HOW_TO_GET_RENDER_TOOLS =
  "get them with `bash scripts/render-tools.sh` (needs Go; it prints a folder to put first on PATH), " +
  "or set DRIFTGUARD_KUSTOMIZE and DRIFTGUARD_HELM to the binaries";

export type RenderTool = "kustomize" | "helm";
export const RENDER_TOOLS: readonly RenderTool[] = ["kustomize", "helm"];

/** The environment variable that names each tool's binary. */
export const RENDER_TOOL_ENV: Readonly<Record<RenderTool, string>> = {
  kustomize: "DRIFTGUARD_KUSTOMIZE",
  helm: "DRIFTGUARD_HELM",
};

export interface RenderTools {
  kustomize: string | undefined;
  helm: string | undefined;
  /** Undefined when every tool asked for was found; otherwise which are missing and how to get them. */
  skipReason: string | undefined;
}

export class RenderToolsMissingError extends Error {
  override readonly name = "RenderToolsMissingError";
}

/** Looks both tools up; `skipReason` names what is missing. Never fails. */
export function renderTools(env: NodeJS.ProcessEnv = process.env): RenderTools {
  const { paths, problems } = lookUp(RENDER_TOOLS, env);
  return { ...paths, skipReason: skipReason(RENDER_TOOLS, problems) };
}

/**
 * For a test file that needs `needed`: the tools, with a `skipReason` when one is missing (skip with
 * `describe.skipIf(tools.skipReason !== undefined)` and print it). Under DRIFTGUARD_REQUIRE_RENDERERS=1 a
 * missing tool throws instead, so that the file fails, red, with the same how-to.
 */
export function requireRenderTools(
  needed: readonly RenderTool[] = RENDER_TOOLS,
  env: NodeJS.ProcessEnv = process.env,
): RenderTools {
  const { paths, problems } = lookUp(needed, env);
  if (problems.length > 0 && renderersRequired(env))
    throw new RenderToolsMissingError(
      `${problems.join("; ")}, and DRIFTGUARD_REQUIRE_RENDERERS=1 makes that a failure; ${HOW_TO_GET_RENDER_TOOLS}`,
    );
  return { ...paths, skipReason: skipReason(needed, problems) };
}

export function renderersRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.DRIFTGUARD_REQUIRE_RENDERERS === "1";
}

/** The versions scripts/render-tools.sh pins (its defaults): the one place they are written. */
export function pinnedRenderToolVersions(): Record<RenderTool, string> {
  const script = readFileSync(RENDER_TOOLS_SCRIPT, "utf8");
  const pinned = (variable: string): string => {
    const match = new RegExp(`\\$\\{${variable}:-(v[0-9][^}]*)\\}`).exec(script);
    if (!match?.[1]) throw new Error(`scripts/render-tools.sh pins no default for ${variable}`);
    return match[1];
  };
  return { kustomize: pinned("DRIFTGUARD_KUSTOMIZE_VERSION"), helm: pinned("DRIFTGUARD_HELM_VERSION") };
}

function lookUp(
  needed: readonly RenderTool[],
  env: NodeJS.ProcessEnv,
): { paths: Record<RenderTool, string | undefined>; problems: string[] } {
  const found = { kustomize: find("kustomize", env), helm: find("helm", env) };
  return {
    paths: { kustomize: found.kustomize.path, helm: found.helm.path },
    problems: needed.flatMap((tool) => found[tool].problem ?? []),
  };
}

function skipReason(needed: readonly RenderTool[], problems: readonly string[]): string | undefined {
  if (problems.length === 0) return undefined;
  return `${problems.join("; ")}: tests that need ${needed.join(" or ")} are skipped; ${HOW_TO_GET_RENDER_TOOLS}`;
}

interface Found {
  path: string | undefined;
  problem: string | undefined;
}

/** The variable, when set, is the answer (a wrong value is reported, not silently replaced by the PATH). */
function find(tool: RenderTool, env: NodeJS.ProcessEnv): Found {
  const variable = RENDER_TOOL_ENV[tool];
  const given = env[variable];
  if (given !== undefined && given !== "") {
    if (!isAbsolute(given)) return { path: undefined, problem: `${variable} is not an absolute path` };
    if (!isExecutableFile(given))
      return { path: undefined, problem: `${variable} does not name an executable file` };
    return { path: given, problem: undefined };
  }
  const onPath = findOnPath(tool, env);
  return onPath
    ? { path: onPath, problem: undefined }
    : { path: undefined, problem: `${tool} is not on PATH and ${variable} is not set` };
}

/** The first executable `name` in the PATH's absolute folders, as a shell would find it. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return (env.PATH ?? "")
    .split(delimiter)
    .filter((dir) => isAbsolute(dir))
    .map((dir) => join(dir, name))
    .find(isExecutableFile);
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
