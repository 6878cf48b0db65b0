// `driftguard diff`: how live Deployments (`kubectl get deploy -o yaml`, a List too) differ from Git.
import { parseAllDocuments, type YAMLError } from "yaml";
import { normalizeLive } from "../core/desired.js";
import { diff } from "../core/diff.js";
import { isSensitive } from "../core/field-groups.js";
import { describeOrigin, formatValue } from "../core/format.js";
import { asObject } from "../core/json.js";
import { formatPath } from "../core/paths.js";
import type { JsonObject } from "../core/types.js";
import { DriftguardError, describeError } from "../errors.js";
import type { Runtime } from "../runtime.js";
import { parse } from "./args.js";
import { inputName, readInput } from "./input.js";
import { withSyncedRuntime } from "./synced-runtime.js";

const HELP = `driftguard diff --config FILE [LIVE.yaml | -]

Syncs the config's Git sources once and reports, for every Deployment in the input (the output of
\`kubectl get deployments -o yaml\`, one object or a List), the fields where it differs from Git.
Exit status: 0 no drift, 1 drift (or objects not in Git), 2 error.`;

export async function runDiff(args: string[]): Promise<number> {
  const parsed = parse(args, { config: { type: "string", short: "c" } }, HELP);
  if (!parsed) return 0;
  const input = parsed.positionals[0];
  const objects = readDeployments(await readInput(input), inputName(input));
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

function notYaml(error: YAMLError, input: string): DriftguardError {
  // The yaml package ends its first line with ` at line L, column C:`; the position goes to `where`.
  const reason = describeError(error).replace(/ at line \d+, column \d+:?$/, "");
  const at = error.linePos?.[0];
  return new DriftguardError("DG_INPUT_INVALID", `the input is not YAML: ${reason}`, {
    where: at ? `${input}, line ${at.line}, column ${at.col}` : input,
    hint: "give the output of `kubectl get deployments -o yaml` (one object or a List)",
  });
}

function readDeployments(text: string, where: string): JsonObject[] {
  const out: JsonObject[] = [];
  for (const doc of parseAllDocuments(text, { version: "1.1", merge: true })) {
    const error = doc.errors[0];
    if (error) throw notYaml(error, where);
    const value = asObject(doc.toJS({ maxAliasCount: 100 }));
    if (!value) continue;
    const list = value.kind === "List" || value.kind === "DeploymentList";
    // A List without items is an empty list, as kubectl prints it; never a crash on `items: null`.
    const items = list ? (Array.isArray(value.items) ? value.items : []) : [value];
    for (const item of items) {
      const object = asObject(item);
      if (object?.kind === "Deployment") out.push(object);
    }
  }
  return out;
}
