// LiveObject's memo: the drift from Git is computed once per desired normalized form, so a new Git
// revision that wraps an unchanged manifest in a new Desired (a new commit in its origin) costs no diff,
// while a changed manifest is compared again.
import { describe, expect, it } from "vitest";
import { liveObject } from "../../src/core/live-object.js";
import { deploymentManifest, storedDeployment } from "../support/deployments.js";
import { testPolicy } from "../support/policy.js";
import { desiredFor } from "../support/reviews.js";

describe("liveObject", () => {
  it("keeps the drift for an unchanged manifest at a new commit, and computes it again for a changed one", () => {
    const policy = testPolicy();
    const desired = desiredFor(deploymentManifest(), policy, "shop", "c1");
    const live = liveObject(storedDeployment({ image: "nginx:hand" }));
    const first = live.driftFrom(desired);
    expect(first.map((drift) => drift.path)).toEqual(["spec.template.spec.containers[name=web].image"]);
    // What DesiredState does for an unchanged document at a new commit: the same form, a new origin.
    const nextCommit = { ...desired, origin: { ...desired.origin, commit: "c2" } };
    expect(live.driftFrom(nextCommit)).toBe(first);
    const changed = desiredFor(deploymentManifest({ image: "nginx:hand" }), policy, "shop", "c3");
    expect(live.driftFrom(changed)).toEqual([]);
  });
});
