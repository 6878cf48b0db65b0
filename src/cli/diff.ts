// `driftguard diff`: how live Deployments (`kubectl get deploy -o yaml`, a List too) differ from Git.
import { compare } from "../core/compare.js";
import type { Desired } from "../core/desired.js";
import { describeOrigin, formatValue } from "../core/format.js";
import { type GitOpsMarks, isMark } from "../core/gitops-marks.js";
import { asObject } from "../core/json.js";
import { liveObject } from "../core/live-object.js";
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
    const marks = config.policy.gitopsMarks;
    for (const object of objects) drifted += report(object, runtime, marks, lines) ? 1 : 0;
    lines.push(`${objects.length} Deployment(s) compared, ${drifted} drifted from Git.`);
    process.stdout.write(`${lines.join("\n")}\n`);
    return drifted > 0 ? 1 : 0;
  });
}

function report(object: JsonObject, runtime: Runtime, marks: GitOpsMarks, lines: string[]): boolean {
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
  return reportManaged(title, lookup.desired, object, marks, lines);
}

function reportManaged(
  title: string,
  desired: Desired,
  object: JsonObject,
  marks: GitOpsMarks,
  lines: string[],
): boolean {
  const live = liveObject(object);
  const drifts = compare(desired, live);
  // Marks are what the GitOps tool applied on top of Git: shown, but the object is Git's as applied.
  const normalized = live.normalizedFor(desired);
  const applied = new Set(drifts.filter((drift) => isMark(drift, marks, normalized)));
  const drifted = drifts.length - applied.size;
  const origin = describeOrigin(desired.origin);
  if (drifted > 0) lines.push(`${title}: ${drifted} field(s) differ from Git (${origin})`);
  else {
    const apart = applied.size === 0 ? "" : `, apart from ${applied.size} GitOps mark(s)`;
    lines.push(`${title}: in sync with Git (${origin})${apart}`);
  }
  for (const drift of drifts) {
    const git = formatValue(drift.desired, drift.sensitive);
    const value = formatValue(drift.actual, drift.sensitive);
    const mark = applied.has(drift) ? " (GitOps mark)" : "";
    lines.push(`  ${drift.path}${mark}\n    Git:  ${git}\n    live: ${value}`);
  }
  return drifted > 0;
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
