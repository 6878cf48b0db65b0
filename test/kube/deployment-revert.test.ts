// The one sender of revert patches (docs/contract.md §11): dry-run first, then the real patch; the API
// server's answers mapped to reverted / refused (changed since the plan, denied, invalid) / failed.
import { describe, expect, it } from "vitest";
import { compare } from "../../src/core/compare.js";
import { liveObject } from "../../src/core/live-object.js";
import type { PatchOp } from "../../src/core/revert-patch.js";
import type { JsonObject, ObjectKey } from "../../src/core/types.js";
import {
  CHANGED_SINCE_PLAN,
  type DeploymentPatcher,
  revertDeployment,
} from "../../src/kube/deployment-revert.js";
import { deploymentManifest, storedDeployment } from "../support/deployments.js";
import { testPolicy } from "../support/policy.js";
import { clone, desiredFor } from "../support/reviews.js";

type O = JsonObject;
const GIT = deploymentManifest({ image: "nginx:1" });
const desired = desiredFor(GIT, testPolicy(), "shop");
const live = clone(storedDeployment(GIT, { metadata: { resourceVersion: "7" } }));
((((live.spec as O).template as O).spec as O).containers as O[]).forEach((c) => {
  c.image = "nginx:hand";
});
const drifts = compare(desired, liveObject(live));
const KEY = { namespace: "shop", name: "web" };

function recording(fail?: { dryRun: boolean; error: unknown }) {
  const calls: { key: ObjectKey; ops: readonly PatchOp[]; dryRun: boolean }[] = [];
  const patch: DeploymentPatcher = async (key, ops, dryRun) => {
    calls.push({ key, ops, dryRun });
    if (fail && fail.dryRun === dryRun) throw fail.error;
  };
  return { calls, patch };
}
const apiError = (code: number, message: string, cause?: string) => ({
  code,
  body: JSON.stringify({ message, ...(cause ? { details: { causes: [{ message: cause }] } } : {}) }),
});

describe("revertDeployment", () => {
  it("sends the dry-run, then the same patch for real", async () => {
    const { calls, patch } = recording();
    const result = await revertDeployment(patch, { key: KEY, live, desired, drifts, resourceVersion: "7" });
    expect(result.outcome).toBe("reverted");
    expect(calls.map((call) => call.dryRun)).toEqual([true, false]);
    expect(calls[0]?.ops).toEqual(calls[1]?.ops);
    expect(calls[0]?.ops[0]).toEqual({ op: "test", path: "/metadata/resourceVersion", value: "7" });
  });

  it("--dry-run sends the dry-run only", async () => {
    const { calls, patch } = recording();
    const result = await revertDeployment(patch, {
      ...{ key: KEY, live, desired, drifts, resourceVersion: "7" },
      dryRunOnly: true,
    });
    expect(result.outcome).toBe("reverted");
    expect(calls.map((call) => call.dryRun)).toEqual([true]);
  });

  const CASES = [
    {
      // As kube-apiserver answers it: a generic message, the failed op in details.causes.
      name: "a failed resourceVersion test (422)",
      error: apiError(
        422,
        "the server rejected our request due to an error in our request",
        "testing value /metadata/resourceVersion failed: test failed",
      ),
      outcome: "refused",
      reason: CHANGED_SINCE_PLAN,
    },
    {
      // kube-apiserver's own answer to a failed op: the generic message alone.
      name: "a JSON Patch op the server could not apply (422, generic)",
      error: apiError(422, "the server rejected our request due to an error in our request"),
      outcome: "refused",
      reason: CHANGED_SINCE_PLAN,
    },
    {
      name: "a patched object the server finds invalid (422)",
      error: apiError(
        422,
        'Deployment.apps "web" is invalid: spec.replicas: must be greater than or equal to 0',
      ),
      outcome: "refused",
      reason: "is invalid",
    },
    {
      name: "a conflict (409)",
      error: apiError(409, "the object has been modified"),
      outcome: "refused",
      reason: CHANGED_SINCE_PLAN,
    },
    {
      name: "a webhook denial (403)",
      error: apiError(403, 'admission webhook "deployments.driftguard.io" denied the request'),
      outcome: "refused",
      reason: "denied the request",
    },
    { name: "the object gone (404)", error: apiError(404, "not found"), outcome: "refused", reason: "gone" },
    {
      name: "the API server failing (500)",
      error: apiError(500, "etcdserver: timeout"),
      outcome: "failed",
      reason: "etcdserver",
    },
    {
      name: "no answer at all",
      error: new Error("connect ECONNREFUSED"),
      outcome: "failed",
      reason: "ECONNREFUSED",
    },
  ] as const;
  for (const { name, error, outcome, reason } of CASES)
    it(`${name} in the dry-run: ${outcome}, and nothing is sent for real`, async () => {
      const { calls, patch } = recording({ dryRun: true, error });
      const result = await revertDeployment(patch, { key: KEY, live, desired, drifts, resourceVersion: "7" });
      expect(result.outcome).toBe(outcome);
      expect(result.reason).toContain(reason);
      expect(calls).toHaveLength(1);
    });

  it("an object in sync is refused without a call", async () => {
    const { calls, patch } = recording();
    const result = await revertDeployment(patch, {
      key: KEY,
      live,
      desired,
      drifts: [],
      resourceVersion: "7",
    });
    expect(result.outcome).toBe("refused");
    expect(calls).toHaveLength(0);
  });
});
