// Putting Git back on one live Deployment (docs/contract.md §11): the one place that sends the revert
// patch, for `driftguard apply` and for the in-cluster revert after a grant expires. The patch
// (core/revert-patch.ts) is sent first as a server-side dry-run (dryRun=All: admission, this webhook
// included, and validation run, nothing is stored), then for real, with field manager `driftguard`.
// An object changed since the plan fails the patch's resourceVersion test: the API server refuses it
// and nothing is overwritten.
import { AppsV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { Desired } from "../core/desired.js";
import { type PatchOp, revertPatch } from "../core/revert-patch.js";
import type { Drift, JsonObject, ObjectKey } from "../core/types.js";
import { describeError } from "../errors.js";
import { describeApiError, statusOf } from "./self-managed/api-status.js";

export const FIELD_MANAGER = "driftguard";

/** The one call a revert makes; the real one is client-node's AppsV1Api (deploymentPatcherOf). */
export type DeploymentPatcher = (key: ObjectKey, ops: readonly PatchOp[], dryRun: boolean) => Promise<void>;

export type RevertOutcome = "reverted" | "refused" | "failed";
export const REVERT_OUTCOMES: readonly RevertOutcome[] = ["reverted", "refused", "failed"];

export interface RevertResult {
  outcome: RevertOutcome;
  /** Why it was refused or failed (the API server's own message, one line); never a value. */
  reason?: string;
  /** The ops sent (or that would have been), for --dry-run and tests. Not for printing: values. */
  ops: readonly PatchOp[];
}

export interface RevertRequest {
  key: ObjectKey;
  /** The live object's raw JSON as read (or as the scan holds it). */
  live: JsonObject;
  desired: Desired;
  drifts: readonly Drift[];
  /** The version the patch may apply to: the plan's, or the scan's. */
  resourceVersion: string;
  /** Only the server-side dry-run: nothing is changed. */
  dryRunOnly?: boolean;
}

const GENERIC_422 = /the server rejected our request due to an error in our request/;

export const CHANGED_SINCE_PLAN = "changed since the plan: run plan again";

export async function revertDeployment(
  patch: DeploymentPatcher,
  request: RevertRequest,
): Promise<RevertResult> {
  const ops = revertPatch(request.live, request.desired, request.drifts, request.resourceVersion);
  if (ops.length <= 1) return { outcome: "refused", reason: "nothing to put back: in sync with Git", ops };
  for (const dryRun of request.dryRunOnly ? [true] : [true, false]) {
    try {
      await patch(request.key, ops, dryRun);
    } catch (error) {
      return { ...classify(error, dryRun), ops };
    }
  }
  return { outcome: "reverted", ops };
}

/**
 * A refusal is an answer about this object (changed since the plan, denied by admission, invalid);
 * anything else (the API server unreachable, a 5xx) failed.
 */
function classify(error: unknown, dryRun: boolean): { outcome: RevertOutcome; reason: string } {
  const status = statusOf(error);
  const causes = causesOf(error);
  const message = [describeApiError(error, describeError), ...causes].join("; ");
  const stage = dryRun ? "server-side dry-run" : "patch";
  // A lost race on the version is a 409. An op the API server cannot apply is a 422 with a generic
  // message (kube-apiserver drops the JSON Patch library's words): the ops were built against the
  // object as read, so the one op that can fail is the resourceVersion test, or an op after a change
  // made since (a list shortened). Either way the object changed since the plan. Validation errors
  // are 422 too, but say "… is invalid: field: why".
  if (status === 409 || (status === 422 && (GENERIC_422.test(message) || /testing value/i.test(message))))
    return { outcome: "refused", reason: CHANGED_SINCE_PLAN };
  if (status === 404) return { outcome: "refused", reason: "the object is gone" };
  if (status !== undefined && status >= 400 && status < 500)
    return { outcome: "refused", reason: `the API server refused the ${stage}: ${message}` };
  return { outcome: "failed", reason: `the ${stage} failed: ${message}` };
}

/**
 * The Status body's `details.causes` messages: a JSON Patch the API server cannot apply is a 422 whose
 * message is generic ("the server rejected our request…") and whose cause says which op failed.
 */
function causesOf(error: unknown): string[] {
  const body = error !== null && typeof error === "object" ? (error as { body?: unknown }).body : undefined;
  try {
    const parsed = (typeof body === "string" ? JSON.parse(body) : body) as {
      details?: { causes?: { message?: unknown }[] };
    } | null;
    return (parsed?.details?.causes ?? [])
      .map((cause) => cause.message)
      .filter((text): text is string => typeof text === "string")
      .map((text) => text.slice(0, 300));
  } catch {
    return [];
  }
}

/** client-node's patch: its first content type for a list body is application/json-patch+json. */
export function deploymentPatcherOf(kubeConfig: KubeConfig): DeploymentPatcher {
  const api = kubeConfig.makeApiClient(AppsV1Api);
  return async (key, ops, dryRun) => {
    await api.patchNamespacedDeployment({
      name: key.name,
      namespace: key.namespace,
      body: ops,
      fieldManager: FIELD_MANAGER,
      ...(dryRun ? { dryRun: "All" } : {}),
    });
  };
}
