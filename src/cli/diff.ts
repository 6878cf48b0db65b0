// `driftguard diff`: how live Deployments differ from Git. From a file or standard input (`kubectl get
// deploy -o yaml`, a List too), or read from the cluster itself with --cluster (a plan: docs/contract.md §7).
import type { KubernetesConfig } from "../config/types.js";
import { driftReport, type ReportError, type ReportInput } from "../core/drift-report.js";
import { describeOrigin, formatValue } from "../core/format.js";
import { asObject } from "../core/json.js";
import { keyOfLive, liveDriftOf, modeOf } from "../core/live-drift.js";
import { planText } from "../core/plan-text.js";
import type { Policy } from "../core/policy.js";
import type { JsonObject } from "../core/types.js";
import { DriftguardError } from "../errors.js";
import { kubeConfigFetcher, listDeployments } from "../kube/deployment-list.js";
import { loadKubeConfig } from "../kube/kubeconfig.js";
import type { Runtime } from "../runtime.js";
import { readYamlDocuments } from "../sources/yaml-reader.js";
import { parse } from "./args.js";
import { CliError } from "./errors.js";
import { inputName, readInput } from "./input.js";
import { withSyncedRuntime } from "./synced-runtime.js";

const HELP = `driftguard diff --config FILE [-o text|json] [LIVE.yaml | -]
driftguard diff --config FILE --cluster [--namespace NS]... [-o text|json] [--exit-code=false]

Syncs the config's Git sources once and reports, for every Deployment in the input (the output of
\`kubectl get deployments -o yaml\`, one object or a List), the fields where it differs from Git.
Labels and annotations a GitOps tool writes at apply time (config gitops.marks) are listed as such and
do not count as drift.

--cluster         read the live Deployments from the cluster (config kubernetes.kubeconfig, else
                  KUBECONFIG or ~/.kube/config) instead of an input, and print a plan: a header per
                  drifted object (Deployment ns/name — source, commit, file), a line per field
                  (~ path: Git → live, + added by hand, - removed from Git's), secrets as <masked> or
                  <changed>, then "N drifted, M in sync, K unmanaged, E errors". Namespaces in mode off
                  and kube-system are left out; a namespace the credentials may not list is an error
                  entry. Needs list on deployments (all namespaces, or each --namespace).
--namespace NS    only this namespace (repeatable); default all namespaces.
-o, --output      text (default) or json: the versioned DriftReport (apiVersion driftguard.io/v1alpha1,
                  kind DriftReport; docs/contract.md §7).
--exit-code=false exit 0 whatever the drift, for reports that must not fail a pipeline (errors still 2).
Exit status: 0 no drift, 1 drift (or objects whose desired state is unknown; in file mode also objects
not in Git), 2 error (the cluster unreachable, a namespace that could not be listed).`;

const OPTIONS = {
  config: { type: "string", short: "c" },
  cluster: { type: "boolean" },
  namespace: { type: "string", short: "n", multiple: true },
  output: { type: "string", short: "o" },
  "exit-code": { type: "string" },
} as const;

type Output = "text" | "json";

export async function runDiff(args: string[]): Promise<number> {
  const parsed = parse(args, OPTIONS, HELP);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const output = outputOf(values.output);
  const exitOnDrift = exitCodeOf(values["exit-code"]);
  if (values.cluster) {
    if (positionals.length > 0)
      throw new CliError(
        "--cluster reads the cluster: give no input file",
        "drop the file, or drop --cluster",
      );
    return withSyncedRuntime(values.config, async (runtime, config) => {
      const { objects, errors } = await readCluster(config.kubernetes, values.namespace ?? [], config.policy);
      const entries = objects.map((object) => ({ drift: driftOf(object, runtime, config.policy) }));
      return answer(entries, errors, output, exitOnDrift);
    });
  }
  if (values.namespace !== undefined || values["exit-code"] !== undefined)
    throw new CliError("--namespace and --exit-code go with --cluster", "add --cluster, or drop them");
  const input = positionals[0];
  const objects = readDeployments(await readInput(input), inputName(input));
  return withSyncedRuntime(values.config, async (runtime, config) => {
    if (output === "json") {
      const entries = objects.map((object) => ({ drift: driftOf(object, runtime, config.policy) }));
      return answer(entries, [], output, true);
    }
    const lines: string[] = [];
    let drifted = 0;
    for (const object of objects) drifted += report(object, runtime, config.policy, lines) ? 1 : 0;
    lines.push(`${objects.length} Deployment(s) compared, ${drifted} drifted from Git.`);
    process.stdout.write(`${lines.join("\n")}\n`);
    return drifted > 0 ? 1 : 0;
  });
}

function outputOf(value: string | undefined): Output {
  if (value === undefined || value === "text" || value === "json") return value ?? "text";
  throw new CliError(`-o ${value}: not an output format`, "give -o text or -o json");
}

function exitCodeOf(value: string | undefined): boolean {
  if (value === undefined || value === "true") return true;
  if (value === "false") return false;
  throw new CliError(
    `--exit-code=${value}: not true or false`,
    "give --exit-code=false to always exit 0 on drift",
  );
}

export function driftOf(object: JsonObject, runtime: Runtime, policy: Policy) {
  return liveDriftOf(runtime.state.lookup(keyOfLive(object)), object, policy);
}

/** Namespaces a scan never reports on: the control plane's own, as the webhook skips it. */
const SKIPPED_NAMESPACES = new Set(["kube-system"]);

/** The live Deployments `diff --cluster`, `plan` and `apply` read: mode-off namespaces and kube-system left out. */
export async function readCluster(
  kubernetes: KubernetesConfig,
  namespaces: readonly string[],
  policy: Policy,
) {
  const { fetchPage, server } = kubeConfigFetcher(loadKubeConfig(kubernetes, process.env));
  const listed = await listDeployments(fetchPage, namespaces, server);
  const objects = listed.objects.filter((object) => {
    const { namespace } = keyOfLive(object);
    return !SKIPPED_NAMESPACES.has(namespace) && modeOf(policy, namespace) !== "off";
  });
  return { objects, errors: listed.errors };
}

function answer(entries: ReportInput[], errors: ReportError[], output: Output, exitOnDrift: boolean): number {
  const report = driftReport(entries, new Date(), errors);
  process.stdout.write(output === "json" ? `${JSON.stringify(report, null, 2)}\n` : planText(report));
  if (errors.length > 0) return 2;
  const drifted = report.summary.drifted + report.summary.unknown > 0;
  return drifted && exitOnDrift ? 1 : 0;
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
