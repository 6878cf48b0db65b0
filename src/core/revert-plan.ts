// The RevertPlan (docs/contract.md §11, "Putting Git back"): what `apply` would change, saved by
// `plan -o json` and taken back by `apply --plan`, as Terraform saves a plan. Versioned like the
// DriftReport. Each item pins the object's uid and resourceVersion and Git's commit: `apply --plan`
// refuses an item when either moved. Values come from Drift, so sensitive ones are `<masked>`. Pure.
import { DriftguardError } from "../errors.js";
import { asObject } from "./json.js";
import type { LiveDrift } from "./live-drift.js";
import type { DriftChange, Json } from "./types.js";

export const REVERT_PLAN_API_VERSION = "driftguard.io/v1alpha1";
export const REVERT_PLAN_KIND = "RevertPlan";

export interface RevertPlan {
  apiVersion: typeof REVERT_PLAN_API_VERSION;
  kind: typeof REVERT_PLAN_KIND;
  /** RFC 3339 time the plan was made. */
  generatedAt: string;
  items: PlanItem[];
}

export interface PlanItem {
  namespace: string;
  name: string;
  uid: string;
  /** The version the patch is tested against: any later write makes the API server refuse it. */
  resourceVersion: string;
  source: string;
  commit: string;
  file: string;
  changes: PlanChange[];
}

export interface PlanChange {
  path: string;
  /** `changed`: Git's value goes back; `added` (by hand): removed; `removed` (from Git's): added back. */
  change: DriftChange;
  /** Git's value; absent for a field added by hand. `<masked>` when sensitive. */
  desired?: Json;
  /** The live value; absent for a field Git has that is gone. `<masked>` when sensitive. */
  live?: Json;
  masked?: true;
}

/** The plan of every drifted managed object (GitOps marks are not drift: they stay). */
export function revertPlanOf(drifts: readonly LiveDrift[], now: Date): RevertPlan {
  const items = drifts
    .map(planItemOf)
    .filter((item) => item !== undefined)
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  return {
    apiVersion: REVERT_PLAN_API_VERSION,
    kind: REVERT_PLAN_KIND,
    generatedAt: now.toISOString(),
    items,
  };
}

export function planItemOf(drift: LiveDrift): PlanItem | undefined {
  const { origin, uid, resourceVersion } = drift;
  if (drift.state !== "drifted" || origin === undefined || uid === undefined || resourceVersion === undefined)
    return undefined;
  return {
    namespace: drift.key.namespace,
    name: drift.key.name,
    uid,
    resourceVersion,
    source: origin.source,
    commit: origin.commit,
    file: origin.file,
    changes: drift.drifts.map((field) => {
      const change: PlanChange = { path: field.path, change: field.change };
      if (field.desired !== undefined) change.desired = field.desired;
      if (field.actual !== undefined) change.live = field.actual;
      if (field.sensitive) change.masked = true;
      return change;
    }),
  };
}

/**
 * Why an item of a saved plan cannot be applied to the object as it is now; undefined when it can.
 * The resourceVersion is not checked here: the patch's test op makes the API server check it.
 */
export function staleReason(item: PlanItem, now: LiveDrift): string | undefined {
  if (now.uid !== item.uid) return "the object was deleted and made again since the plan: run plan again";
  if (now.state !== "drifted") return `it is ${now.state === "in-sync" ? "in sync with Git" : now.state} now`;
  if (now.origin?.commit !== item.commit || now.origin.file !== item.file)
    return `Git moved since the plan (commit ${now.origin?.commit.slice(0, 7) ?? "none"}, planned ${item.commit.slice(0, 7)}): run plan again`;
  return undefined;
}

/** A plan file's content, checked; a DG_APPLY_PLAN_INVALID error says what is wrong. */
export function readPlan(value: unknown, where: string): RevertPlan {
  const invalid = (what: string) =>
    new DriftguardError("DG_APPLY_PLAN_INVALID", `the plan file is not a RevertPlan: ${what}`, {
      where,
      hint: "save a plan with `driftguard plan -o json > FILE` and give that file to --plan",
    });
  const plan = asObject(value as Json);
  if (plan === undefined) throw invalid("not a JSON object");
  if (plan.apiVersion !== REVERT_PLAN_API_VERSION || plan.kind !== REVERT_PLAN_KIND)
    throw invalid(`apiVersion/kind is ${String(plan.apiVersion)}/${String(plan.kind)}`);
  if (!Array.isArray(plan.items)) throw invalid("items is not a list");
  const items = plan.items.map((raw, index) => {
    const item = asObject(raw);
    const text = (key: string) => {
      const found = item?.[key];
      if (typeof found !== "string" || found === "") throw invalid(`items[${index}].${key} is not a string`);
      return found;
    };
    const changes = item?.changes;
    if (!Array.isArray(changes)) throw invalid(`items[${index}].changes is not a list`);
    return {
      namespace: text("namespace"),
      name: text("name"),
      uid: text("uid"),
      resourceVersion: text("resourceVersion"),
      source: text("source"),
      commit: text("commit"),
      file: text("file"),
      changes: changes as unknown as PlanChange[],
    } satisfies PlanItem;
  });
  return {
    apiVersion: REVERT_PLAN_API_VERSION,
    kind: REVERT_PLAN_KIND,
    generatedAt: String(plan.generatedAt),
    items,
  };
}
