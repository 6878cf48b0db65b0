// `driftguard history`: who tried what (docs/contract.md §11 Decision history). Reads the DecisionRecord
// objects every replica creates, with the caller's own kubeconfig, so that the answer covers whichever
// replica served the request; or, with --state-dir, one replica's store on disk.
import { join } from "node:path";
import { parseDuration } from "../config/durations.js";
import { loadConfig } from "../config/load-config.js";
import type { KubernetesConfig } from "../config/types.js";
import type { DecisionRecord } from "../core/decision-record.js";
import { type HistoryFilter, historyOf, historyText } from "../core/history.js";
import { HISTORY_DIR, readDiskStore } from "../history/disk-store.js";
import { kubeConfigFetcher } from "../kube/deployment-list.js";
import { loadKubeConfig } from "../kube/kubeconfig.js";
import { listRecords } from "../kube/record-list.js";
import { parse } from "./args.js";
import { CliError } from "./errors.js";

const HELP = `driftguard history [--namespace NS] [--name N] [--user U] [--since 24h] [-o text|json]
                   [--kubeconfig FILE | --config FILE] [--state-dir DIR]

Lists the decisions driftguard recorded: denials, allowances with drift in audit mode, allowances by an
exemption or an RBAC break-glass grant, and GitOps content in no recent revision (docs/contract.md §11).
Each record says when, who (user, groups, service account), the operation and object, the fields with
Git's, the old and the requested value (secrets masked), the verdict and why (mode, grant and binding),
the request uid, and Git's source, commit and file.

By default the DecisionRecord objects are read from the API server, so the answer covers every replica.
Needs list on decisionrecords.driftguard.io (all namespaces, or the one --namespace names).

--namespace NS    only records of Deployments in this namespace
--name N          only records of the Deployment named N
--user U          only records of this user (a service account also as namespace/name)
--since D         only records of the last D (a duration: 30m, 24h, 7d as 168h)
-o, --output      text (default: one block per record, newest last) or json: a DecisionHistory
                  (apiVersion driftguard.io/v1alpha1, kind DecisionHistory, items: the records)
--kubeconfig FILE the kubeconfig to read with; default KUBECONFIG or ~/.kube/config
--config FILE     read with the kubeconfig a driftguard config names (kubernetes.kubeconfig)
--state-dir DIR   read a replica's store on disk (DIR is its stateDir; the store is DIR/history)
                  instead of the API server
Exit status: 0 listed (also when nothing matches), 2 error (DG_CLUSTER_UNREACHABLE: the API server
unreachable or refusing; DG_HISTORY_UNREADABLE: the store cannot be read).`;

const OPTIONS = {
  namespace: { type: "string", short: "n" },
  name: { type: "string" },
  user: { type: "string" },
  since: { type: "string" },
  output: { type: "string", short: "o" },
  kubeconfig: { type: "string" },
  config: { type: "string", short: "c" },
  "state-dir": { type: "string" },
} as const;

export async function runHistory(args: string[], now = Date.now()): Promise<number> {
  const parsed = parse(args, OPTIONS, HELP);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length > 0)
    throw new CliError(`unexpected argument "${positionals[0]}"`, "history takes only flags; see --help");
  const output = values.output ?? "text";
  if (output !== "text" && output !== "json")
    throw new CliError(`-o ${output}: not an output format`, "give -o text or -o json");
  if (values.kubeconfig !== undefined && values.config !== undefined)
    throw new CliError("--kubeconfig and --config both name credentials", "give one of them");
  const filter: HistoryFilter = {
    namespace: values.namespace,
    name: values.name,
    user: values.user,
    since: sinceOf(values.since, now),
  };
  const records =
    values["state-dir"] !== undefined
      ? (await readDiskStore(join(values["state-dir"], HISTORY_DIR))).records
      : await readCluster(kubernetesOf(values), filter);
  const history = historyOf(records, filter);
  process.stdout.write(output === "json" ? `${JSON.stringify(history, null, 2)}\n` : historyText(history));
  return 0;
}

function sinceOf(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined)
    throw new CliError(`--since ${value}: not a duration`, 'give a duration like "30m", "24h" or "168h"');
  return now - ms;
}

function kubernetesOf(values: {
  kubeconfig?: string | undefined;
  config?: string | undefined;
}): KubernetesConfig {
  if (values.config !== undefined) return loadConfig(values.config).kubernetes;
  return {
    watch: "on",
    resyncMs: 0,
    ...(values.kubeconfig === undefined ? {} : { kubeconfig: values.kubeconfig }),
  };
}

async function readCluster(kubernetes: KubernetesConfig, filter: HistoryFilter): Promise<DecisionRecord[]> {
  const { fetchPage, server } = kubeConfigFetcher(loadKubeConfig(kubernetes, process.env));
  return listRecords(fetchPage, server, filter);
}
