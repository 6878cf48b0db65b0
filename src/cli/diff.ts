// `driftguard diff`: how live Deployments (`kubectl get deploy -o yaml`, a List too) differ from Git.
import { parseAllDocuments } from "yaml";
import { normalizeLive } from "../core/desired.js";
import { diff } from "../core/diff.js";
import { isSensitive } from "../core/field-groups.js";
import { describeOrigin, formatValue } from "../core/format.js";
import { asObject } from "../core/json.js";
import { formatPath } from "../core/paths.js";
import type { JsonObject } from "../core/types.js";
import type { Runtime } from "../runtime.js";
import { parse } from "./args.js";
import { CliError } from "./errors.js";
import { readInput } from "./input.js";
import { withSyncedRuntime } from "./synced-runtime.js";

const HELP = `driftguard diff --config FILE [LIVE.yaml | -]

Syncs the config's Git sources once and reports, for every Deployment in the input (the output of
\`kubectl get deployments -o yaml\`, one object or a List), the fields where it differs from Git.
Exit status: 0 no drift, 1 drift (or objects not in Git), 2 error.`;

export async function runDiff(args: string[]): Promise<number> {
  const parsed = parse(args, { config: { type: "string", short: "c" } }, HELP);
  if (!parsed) return 0;
  const objects = readDeployments(await readInput(parsed.positionals[0]));
  return withSyncedRuntime(parsed.values.config, async (runtime) => {
    const lines: string[] = [];
    let drifted = 0;
    for (const object of objects) drifted += report(object, runtime, lines) ? 1 : 0;
    lines.push(`${objects.length} Deployment(s) compared, ${drifted} drifted from Git.`);
    process.stdout.write(`${lines.join("\n")}\n`);
    return drifted > 0 ? 1 : 0;
  });
}

function report(object: JsonObject, runtime: Runtime, lines: string[]): boolean {
  const metadata = asObject(object.metadata) ?? {};
  const key = { namespace: String(metadata.namespace ?? "default"), name: String(metadata.name ?? "") };
  const title = `Deployment ${key.namespace}/${key.name}`;
  const lookup = runtime.state.lookup(key);
  if (lookup.kind !== "managed") {
    lines.push(
      `${title}: ${lookup.kind === "unmanaged" ? "not in Git" : `desired state unknown (${lookup.kind})`}`,
    );
    return lookup.kind !== "unmanaged";
  }
  const { desired } = lookup;
  const differences = diff(desired.normalized, normalizeLive(object, desired), desired.lenient);
  if (differences.length === 0) {
    lines.push(`${title}: in sync with Git (${describeOrigin(desired.origin)})`);
    return false;
  }
  lines.push(`${title}: ${differences.length} field(s) differ from Git (${describeOrigin(desired.origin)})`);
  for (const { path, left, right } of differences) {
    const sensitive = isSensitive(path, [left, right]);
    lines.push(
      `  ${formatPath(path)}\n    Git:  ${formatValue(left, sensitive)}\n    live: ${formatValue(right, sensitive)}`,
    );
  }
  return true;
}

function readDeployments(text: string): JsonObject[] {
  const out: JsonObject[] = [];
  for (const doc of parseAllDocuments(text, { version: "1.1", merge: true })) {
    if (doc.errors.length > 0)
      throw new CliError(`input is not YAML: ${doc.errors[0]?.message ?? "parse error"}`);
    const value = asObject(doc.toJS({ maxAliasCount: 100 }));
    if (!value) continue;
    const items =
      value.kind === "List" || value.kind === "DeploymentList" ? (value.items as JsonObject[]) : [value];
    out.push(...items.filter((item) => asObject(item)?.kind === "Deployment"));
  }
  return out;
}
