// A config with apps and no tool to render them fails at start, in one line that says how to get it
// (docs/contract.md §2a), rather than serving a desired state with holes where the apps should be.
import { DriftguardError } from "../errors.js";
import type { AppConfig } from "../sources/types.js";
import type { AppRendering } from "./app-step.js";
import type { ToolName } from "./tools.js";

/** Which tools the apps need: those of a stated type; for `auto` apps, at least one of the two. */
export async function checkRenderTools(apps: readonly AppConfig[], rendering: AppRendering): Promise<void> {
  if (!apps.some((app) => app.type !== "directory")) return;
  const tools = await rendering.tools();
  const needed = new Set<ToolName>();
  for (const app of apps) if (app.type === "kustomize" || app.type === "helm") needed.add(app.type);
  const missing = [...needed].map((name) => tools[name]).filter((tool) => tool.kind === "missing");
  const first = missing[0];
  if (first?.kind === "missing") throw new DriftguardError("DG_RENDER_TOOL_MISSING", first.message);
  const auto = apps.some((app) => app.type === "auto");
  if (auto && tools.kustomize.kind === "missing" && tools.helm.kind === "missing")
    throw new DriftguardError("DG_RENDER_TOOL_MISSING", tools.kustomize.message);
  if (tools.network.kind === "not-isolated" && rendering.settings.isolateNetwork === "always")
    throw new DriftguardError(
      "DG_RENDER_TOOL_MISSING",
      `renders cannot run without the network: ${tools.network.reason}; allow unprivileged user namespaces, or set renderers.isolateNetwork to auto`,
    );
}
