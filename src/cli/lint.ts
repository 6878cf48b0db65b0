// `driftguard lint`: sync every configured source once and list what keeps manifests from being served,
// for CI. Exit 0 clean, 1 problems, 2 error (a bad config, a source that cannot be synced).
import { loadConfig } from "../config/load-config.js";
import { DriftguardError } from "../errors.js";
import { createRuntime, type Runtime } from "../runtime.js";
import { SCHEMA_KUBERNETES_VERSION } from "../sources/schema-check.js";
import { parse } from "./args.js";
import { CliError } from "./errors.js";
import { requireConfig } from "./input.js";
import { formatLintText, type LintResult, lintResult } from "./lint-result.js";
import { createLogger } from "./logger.js";

const HELP = `driftguard lint --config FILE [-o json]

Syncs every Git source of the config once and lists what keeps its manifests from being served: files
that do not parse, Deployments the API server would refuse (checked against the apps/v1 schema of
Kubernetes ${SCHEMA_KUBERNETES_VERSION}), and Deployments that two files claim with different content.
Notices (documents skipped, folders left to a renderer) are listed too, but do not fail.

-o json   print one LintResult document (apiVersion driftguard.io/v1alpha1) instead of text
Exit status: 0 clean, 1 problems, 2 error (a bad config, a source that cannot be synced).`;

export async function runLint(args: string[]): Promise<number> {
  const parsed = parse(
    args,
    { config: { type: "string", short: "c" }, output: { type: "string", short: "o" } },
    HELP,
  );
  if (!parsed) return 0;
  const json = isJson(parsed.values.output);
  const [extra] = parsed.positionals;
  if (extra !== undefined)
    throw new CliError(
      `unexpected argument "${extra}"`,
      "lint reads the config's sources: give only --config",
    );
  const config = loadConfig(requireConfig(parsed.values.config));
  // The report is the output: the sources' own warnings about the same files would only repeat it.
  const level = config.logLevel === "info" || config.logLevel === "warn" ? "error" : config.logLevel;
  const runtime = createRuntime(config, createLogger(level));
  try {
    await runtime.started;
    const result = collect(runtime);
    process.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : formatLintText(result));
    return result.clean ? 0 : 1;
  } finally {
    await runtime.stop();
  }
}

function isJson(output: string | undefined): boolean {
  if (output === undefined || output === "text") return false;
  if (output === "json") return true;
  throw new CliError(`-o ${output}: unknown output format`, "use -o json, or leave -o out for text");
}

/** Every source must have synced: a report on a snapshot, or on nothing, would pass a broken CI. */
function collect(runtime: Runtime): LintResult {
  const sources = runtime.sources.map((source) => ({ status: source.status(), revision: source.current() }));
  for (const { status } of sources) {
    if (status.state.kind === "synced") continue;
    const reason = status.state.kind === "failing" ? status.state.error : "it was never synced";
    throw new DriftguardError(
      "DG_SOURCE_FETCH_FAILED",
      `source "${status.name}" could not be synced: ${reason}`,
      {
        where: status.url,
        hint: "check the source's url, ref and credentials; lint needs every source",
      },
    );
  }
  return lintResult({
    sources,
    conflicts: runtime.state.conflicts(),
    kubernetesVersion: SCHEMA_KUBERNETES_VERSION,
  });
}
