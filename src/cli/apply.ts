// `driftguard apply`: puts Git's state back on drifted managed Deployments (docs/contract.md §11,
// "Putting Git back"). Per object: the plan's JSON Patch (core/revert-patch.ts) after a server-side
// dry-run, refused by the API server when the object changed since the plan; a DriftReverted Event
// after success. The webhook allows the patch: its result is Git's.
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline/promises";
import type { Config } from "../config/types.js";
import { revertedEventFor } from "../core/drift-events.js";
import { driftReport } from "../core/drift-report.js";
import type { LiveDrift } from "../core/live-drift.js";
import { planText } from "../core/plan-text.js";
import { type PlanItem, planItemOf, readPlan, staleReason } from "../core/revert-plan.js";
import type { JsonObject } from "../core/types.js";
import { DriftguardError, describeFileError } from "../errors.js";
import { deploymentPatcherOf, type RevertResult, revertDeployment } from "../kube/deployment-revert.js";
import { createEventRecorder, eventsApiOf } from "../kube/event-recorder.js";
import { loadKubeConfig } from "../kube/kubeconfig.js";
import type { Runtime } from "../runtime.js";
import { parse } from "./args.js";
import { CliError } from "./errors.js";
import { createLogger } from "./logger.js";
import { keyText, readDrifts, SELECT_OPTIONS } from "./plan.js";
import { withSyncedRuntime } from "./synced-runtime.js";

const HELP = `driftguard apply --config FILE [--namespace NS] [--name N] [--plan FILE] [--yes] [--dry-run]

Puts Git's state back on every drifted managed Deployment: Git's values where they were changed,
fields added by hand removed, fields of Git's that are gone added back. Per object a JSON Patch whose
first op tests the resourceVersion the plan saw: an object changed since is refused by the API server,
never overwritten. Each patch is sent as a server-side dry-run first, then for real (field manager
driftguard); a DriftReverted Event records it. Needs get, list and patch on deployments.

--plan FILE   apply a plan saved with \`driftguard plan -o json\` (only its objects; an item whose
              object or Git commit moved since is refused: run plan again)
--yes         do not ask; without it the plan is shown and confirmed on a terminal (no terminal: refused)
--dry-run     only the server-side dry-run: nothing is changed, no Event
--namespace NS, --name N   only these objects
Exit status: 0 every object reverted (or nothing to do), 1 some refused or failed, 2 usage or config error.`;

interface Target {
  item: PlanItem;
  drift: LiveDrift;
  live: JsonObject | undefined;
  /** Why it is refused before anything is sent. */
  stale?: string;
}

export async function runApply(args: string[]): Promise<number> {
  const options = {
    ...SELECT_OPTIONS,
    plan: { type: "string" },
    yes: { type: "boolean", short: "y" },
    "dry-run": { type: "boolean" },
  } as const;
  const parsed = parse(args, options, HELP);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length > 0)
    throw new CliError("apply takes no input file", "give a saved plan with --plan FILE");
  const saved = values.plan === undefined ? undefined : await loadPlan(values.plan);
  return withSyncedRuntime(values.config, async (runtime, config) => {
    const { drifts, objects, errors } = await readDrifts(runtime, config, values);
    if (errors.length > 0) {
      for (const error of errors) process.stderr.write(`error: ${error.namespace ?? ""} ${error.message}\n`);
      return 2;
    }
    const targets = saved === undefined ? fromDrifts(drifts, objects) : fromPlan(saved, drifts, objects);
    if (targets.length === 0) {
      process.stdout.write("Nothing to put back: every managed Deployment selected is in sync with Git.\n");
      return 0;
    }
    const shown = targets.map((target) => ({ drift: target.drift }));
    process.stdout.write(planText(driftReport(shown, new Date())));
    if (!values.yes && !values["dry-run"]) await confirm(targets.length);
    return revertAll(targets, runtime, config, values["dry-run"] === true);
  });
}

async function loadPlan(file: string) {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new DriftguardError(
      "DG_APPLY_PLAN_UNREADABLE",
      `cannot read the plan: ${describeFileError(error)}`,
      {
        where: file,
        hint: "save one with `driftguard plan -o json > FILE`",
        cause: error,
      },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return readPlan(undefined, file);
  }
  return readPlan(value, file);
}

function fromDrifts(drifts: readonly LiveDrift[], objects: ReadonlyMap<string, JsonObject>): Target[] {
  const out: Target[] = [];
  for (const drift of drifts) {
    const item = planItemOf(drift);
    if (item) out.push({ item, drift, live: objects.get(keyText(drift.key)) });
  }
  return out;
}

function fromPlan(
  plan: { items: readonly PlanItem[] },
  drifts: readonly LiveDrift[],
  objects: ReadonlyMap<string, JsonObject>,
): Target[] {
  const byKey = new Map(drifts.map((drift) => [keyText(drift.key), drift]));
  return plan.items.flatMap((item) => {
    const drift = byKey.get(keyText(item));
    if (drift === undefined) return [];
    const stale = staleReason(item, drift);
    return [{ item, drift, live: objects.get(keyText(item)), ...(stale ? { stale } : {}) }];
  });
}

/** Only `yes` confirms, as Terraform asks; no terminal to ask on is a refusal, never a silent yes. */
async function confirm(count: number): Promise<void> {
  const refused = (message: string) =>
    new DriftguardError("DG_APPLY_NOT_CONFIRMED", message, {
      hint: "read the plan above, then run again with --yes (or save it: plan -o json, apply --plan FILE --yes)",
    });
  if (!process.stdin.isTTY || !process.stdout.isTTY)
    throw refused("apply changes the cluster and there is no terminal to confirm on");
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await prompt.question(
      `Put Git's state back on ${count} Deployment(s)? Only 'yes' is accepted: `,
    );
    if (answer.trim() !== "yes") throw refused("not confirmed");
  } finally {
    prompt.close();
  }
}

async function revertAll(targets: readonly Target[], runtime: Runtime, config: Config, dryRun: boolean) {
  const kubeConfig = loadKubeConfig(config.kubernetes, process.env);
  const patch = deploymentPatcherOf(kubeConfig);
  const logger = createLogger(config.logLevel === "info" ? "warn" : config.logLevel);
  const recorder = createEventRecorder({ api: eventsApiOf(kubeConfig), logger, maxQueue: 1000 });
  let allReverted = true;
  for (const target of targets) {
    const result = await revertOne(target, runtime, patch, dryRun);
    allReverted &&= result.outcome === "reverted";
    const head = `Deployment ${keyText(target.item)}`;
    const fields = `${target.drift.drifts.length} field(s)`;
    if (result.outcome === "reverted") {
      process.stdout.write(
        `${head}: ${dryRun ? "would be reverted (server-side dry-run passed)" : "reverted"}, ${fields}\n`,
      );
      const origin = target.drift.origin;
      if (!dryRun && origin)
        recorder.record(
          revertedEventFor(
            target.drift.key,
            target.item.uid,
            origin,
            target.drift.drifts,
            "driftguard apply",
          ),
        );
    } else process.stdout.write(`${head}: ${result.outcome}: ${result.reason ?? ""}\n`);
  }
  await recorder.drain();
  return allReverted ? 0 : 1;
}

async function revertOne(
  target: Target,
  runtime: Runtime,
  patch: ReturnType<typeof deploymentPatcherOf>,
  dryRun: boolean,
): Promise<Pick<RevertResult, "outcome" | "reason">> {
  if (target.stale) return { outcome: "refused", reason: target.stale };
  const lookup = runtime.state.lookup(target.drift.key);
  if (lookup.kind !== "managed" || target.live === undefined)
    return { outcome: "refused", reason: "not managed by Git now" };
  return revertDeployment(patch, {
    key: target.drift.key,
    live: target.live,
    desired: lookup.desired,
    drifts: target.drift.drifts,
    resourceVersion: target.item.resourceVersion,
    dryRunOnly: dryRun,
  });
}
