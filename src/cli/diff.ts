// `driftguard diff`: how live Deployments (`kubectl get deploy -o yaml`, a List too) differ from Git.
import { describeOrigin, formatValue } from "../core/format.js";
import { asObject } from "../core/json.js";
import { keyOfLive, liveDriftOf } from "../core/live-drift.js";
import type { Policy } from "../core/policy.js";
import type { JsonObject } from "../core/types.js";
import { DriftguardError } from "../errors.js";
import type { Runtime } from "../runtime.js";
import { readYamlDocuments } from "../sources/yaml-reader.js";
import { parse } from "./args.js";
import { inputName, readInput } from "./input.js";
import { withSyncedRuntime } from "./synced-runtime.js";

const HELP = `driftguard diff --config FILE [LIVE.yaml | -]

Syncs the config's Git sources once and reports, for every Deployment in the input (the output of
\`kubectl get deployments -o yaml\`, one object or a List), the fields where it differs from Git.
Labels and annotations a GitOps tool writes at apply time (config gitops.marks) are listed as such and
do not count as drift.
Exit status: 0 no drift, 1 drift (or objects not in Git), 2 error.`;

export async function runDiff(args: string[]): Promise<number> {
  const parsed = parse(args, { config: { type: "string", short: "c" } }, HELP);
  if (!parsed) return 0;
  const input = parsed.positionals[0];
  const objects = readDeployments(await readInput(input), inputName(input));
  return withSyncedRuntime(parsed.values.config, async (runtime, config) => {
    const lines: string[] = [];
    let drifted = 0;
    for (const object of objects) drifted += report(object, runtime, config.policy, lines) ? 1 : 0;
    lines.push(`${objects.length} Deployment(s) compared, ${drifted} drifted from Git.`);
    process.stdout.write(`${lines.join("\n")}\n`);
    return drifted > 0 ? 1 : 0;
  });
}

function report(object: JsonObject, runtime: Runtime, policy: Policy, lines: string[]): boolean {
  const key = keyOfLive(object);
  const title = `Deployment ${key.namespace}/${key.name}`;
  const drift = liveDriftOf(runtime.state.lookup(key), object, policy);
  if (drift.state === "unmanaged" || drift.state === "unknown") {
    lines.push(
      `${title}: ${drift.state === "unmanaged" ? "not in Git" : `desired state unknown (${drift.reason})`}`,
    );
    // Not in Git is not drift (nothing to compare); an unknown desired state is reported as one.
    return drift.state === "unknown";
  }
  const origin = drift.origin ? describeOrigin(drift.origin) : "";
  // Marks are what the GitOps tool applied on top of Git: shown, but the object is Git's as applied.
  if (drift.state === "drifted")
    lines.push(`${title}: ${drift.drifts.length} field(s) differ from Git (${origin})`);
  else {
    const apart = drift.marks.length === 0 ? "" : `, apart from ${drift.marks.length} GitOps mark(s)`;
    lines.push(`${title}: in sync with Git (${origin})${apart}`);
  }
  const marks = new Set(drift.marks);
  for (const field of [...drift.drifts, ...drift.marks]) {
    const git = formatValue(field.desired, field.sensitive);
    const value = formatValue(field.actual, field.sensitive);
    const mark = marks.has(field) ? " (GitOps mark)" : "";
    lines.push(`  ${field.path}${mark}\n    Git:  ${git}\n    live: ${value}`);
  }
  return drift.state === "drifted";
}

/** Read as the Git sources read manifests (YAML 1.1 as kubectl parses it); Lists expanded one level. */
function readDeployments(text: string, where: string): JsonObject[] {
  const read = readYamlDocuments(text);
  if (!read.ok) {
    throw new DriftguardError("DG_INPUT_INVALID", `the input is not YAML: ${read.message}`, {
      where: read.line === undefined ? where : `${where}, line ${read.line}`,
      hint: "give the output of `kubectl get deployments -o yaml` (one object or a List)",
    });
  }
  const out: JsonObject[] = [];
  for (const doc of read.docs) {
    const value = asObject(doc.value as JsonObject);
    if (value === undefined) continue;
    const list = typeof value.kind === "string" && value.kind.endsWith("List");
    // A List without items is an empty list, as kubectl prints it; never a crash on `items: null`.
    const items = list ? (Array.isArray(value.items) ? value.items : []) : [value];
    for (const item of items) {
      const object = asObject(item);
      if (object?.kind === "Deployment") out.push(object);
    }
  }
  return out;
}
