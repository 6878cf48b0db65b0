// `driftguard plan`: what `apply` would change (docs/contract.md §11, "Putting Git back"), from the
// same reading as `diff --cluster`. Text is diff --cluster's plan; `-o json` is the versioned
// RevertPlan that `apply --plan FILE` takes.

import type { Config } from "../config/types.js";
import { driftReport } from "../core/drift-report.js";
import { keyOfLive, type LiveDrift } from "../core/live-drift.js";
import { planText } from "../core/plan-text.js";
import { revertPlanOf } from "../core/revert-plan.js";
import type { JsonObject } from "../core/types.js";
import type { Runtime } from "../runtime.js";
import { parse } from "./args.js";
import { driftOf, readCluster } from "./diff.js";
import { CliError } from "./errors.js";
import { withSyncedRuntime } from "./synced-runtime.js";

const HELP = `driftguard plan --config FILE [--namespace NS] [--name N] [-o text|json]

Syncs Git once, reads the live Deployments (as diff --cluster does) and prints what \`driftguard apply\`
would change: per drifted managed Deployment, each field Git's value goes back to (~), each field added
by hand that would be removed (+ …), each field of Git's that would be added back (- …). Sensitive
values are masked.

--namespace NS  only this namespace
--name N        only Deployments of this name
-o, --output    text (default) or json: a RevertPlan (apiVersion driftguard.io/v1alpha1) to save and
                give to \`driftguard apply --plan FILE\`; each item pins the object's resourceVersion and
                Git's commit, and apply refuses an item when either moved.
Exit status: 0 the plan is made (with or without changes), 2 error.`;

export const SELECT_OPTIONS = {
  config: { type: "string", short: "c" },
  namespace: { type: "string", short: "n" },
  name: { type: "string" },
} as const;

export async function runPlan(args: string[]): Promise<number> {
  const parsed = parse(args, { ...SELECT_OPTIONS, output: { type: "string", short: "o" } }, HELP);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length > 0) throw new CliError("plan takes no input file", "drop the file");
  const output = values.output ?? "text";
  if (output !== "text" && output !== "json")
    throw new CliError(`-o ${output}: not an output format`, "give -o text or -o json");
  return withSyncedRuntime(values.config, async (runtime, config) => {
    const { drifts, errors } = await readDrifts(runtime, config, values);
    if (output === "json") {
      process.stdout.write(`${JSON.stringify(revertPlanOf(drifts, new Date()), null, 2)}\n`);
    } else {
      process.stdout.write(
        planText(
          driftReport(
            drifts.map((drift) => ({ drift })),
            new Date(),
            errors,
          ),
        ),
      );
    }
    return errors.length > 0 ? 2 : 0;
  });
}

/** The drift of every live Deployment the selection names. */
export async function readDrifts(
  runtime: Runtime,
  config: Config,
  select: { namespace?: string | undefined; name?: string | undefined },
): Promise<{
  drifts: LiveDrift[];
  objects: Map<string, JsonObject>;
  errors: { namespace?: string; message: string }[];
}> {
  const namespaces = select.namespace === undefined ? [] : [select.namespace];
  const { objects, errors } = await readCluster(config.kubernetes, namespaces, config.policy);
  const chosen = objects.filter(
    (object) => select.name === undefined || keyOfLive(object).name === select.name,
  );
  const byKey = new Map(chosen.map((object) => [keyText(keyOfLive(object)), object]));
  return { drifts: chosen.map((object) => driftOf(object, runtime, config.policy)), objects: byKey, errors };
}

export function keyText(key: { namespace: string; name: string }): string {
  return `${key.namespace}/${key.name}`;
}
