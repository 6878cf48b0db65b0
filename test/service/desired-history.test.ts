// DesiredState.loadHistory on a real Git source, and the admission service's GitOps hook: a fresh
// runtime knows an object's past from Git, lookup() keeps it for the commit it was read at, and a
// history read that takes too long never holds a request past refresh.timeout.
import pino from "pino";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { createAdmit } from "../../src/admission/admit.js";
import { DesiredState } from "../../src/admission/desired-state.js";
import { loadHistoryWithin } from "../../src/admission/history-hook.js";
import type { AdmissionRequest } from "../../src/core/admission.js";
import { createSourceFixture, type SourceFixture } from "../sources/source-fixture.js";
import { deploymentManifest, deploymentYaml } from "../support/deployments.js";
import { testPolicy } from "../support/policy.js";
import { deploymentReview } from "../support/reviews.js";

let fx: SourceFixture;
beforeEach(async () => {
  fx = await createSourceFixture();
});
afterEach(async () => {
  await fx.cleanup();
});

const WEB = { namespace: "shop", name: "web" };
const CONTROLLER = "system:serviceaccount:argocd:argocd-application-controller";
const yaml = (image: string) => deploymentYaml({ image, container: "main" });
const live = (image: string) => deploymentManifest({ image, container: "main" });
const rollback = (image: string) =>
  deploymentReview({ username: CONTROLLER, object: live(image), oldObject: live("web:3") })
    .request as AdmissionRequest;

async function freshState(revisions = 10) {
  const source = fx.createSource();
  await source.start();
  const state = new DesiredState([source], testPolicy(), revisions);
  state.rebuild();
  return { source, state };
}

describe("DesiredState.loadHistory", () => {
  test("a fresh state reads the past from Git once; lookup() keeps it while the commit stays", async () => {
    const c1 = await fx.repo.commit("v1", { "apps/web.yaml": yaml("web:1") });
    const c2 = await fx.repo.commit("v2", { "apps/web.yaml": yaml("web:2") });
    const c3 = await fx.repo.commit("v3", { "apps/web.yaml": yaml("web:3") });
    const { state } = await freshState(2);
    const before = state.lookup(WEB);
    expect(before.kind === "managed" && before.recent().map((r) => r.commit)).toEqual([c3]);
    const recent = await state.loadHistory(WEB);
    // gitops.revisions (2 here) bounds the distinct states.
    expect(recent.map((r) => [r.commit, r.desired?.origin.commit])).toEqual([
      [c3, c3],
      [c2, c2],
    ]);
    expect(recent.map((r) => r.commit)).not.toContain(c1);
    const after = state.lookup(WEB);
    expect(after.kind === "managed" && after.recent().map((r) => r.commit)).toEqual([c3, c2]);
    // Normalized once: the same desired object on every lookup.
    const again = state.lookup(WEB);
    expect(again.kind === "managed" && again.recent()[1]?.desired).toBe(
      after.kind === "managed" && after.recent()[1]?.desired,
    );
  });

  test("the admission service allows a GitOps rollback a fresh replica only finds in Git", async () => {
    await fx.repo.commit("v1", { "apps/web.yaml": yaml("web:1") });
    await fx.repo.commit("v2", { "apps/web.yaml": yaml("web:2") });
    await fx.repo.commit("v3", { "apps/web.yaml": yaml("web:3") });
    const { source, state } = await freshState();
    const admit = createAdmit({
      state,
      sources: [source],
      policy: testPolicy(),
      refresh: { onDemandAfterMs: 5_000, timeoutMs: 10_000 },
      logger: pino({ level: "silent" }),
    });
    expect(await admit(rollback("web:1"))).toMatchObject({ allowed: true });
    expect(await admit(rollback("web:2"))).toMatchObject({ allowed: true });
    expect(await admit(rollback("web:9"))).toMatchObject({ allowed: false });
  });

  test("a history read slower than the bound answers with what is known, and says so", async () => {
    await fx.repo.commit("v1", { "apps/web.yaml": yaml("web:1") });
    const { state } = await freshState();
    const never = new Promise<never>(() => undefined);
    const slow = Object.assign(Object.create(state) as DesiredState, { loadHistory: () => never });
    expect(await loadHistoryWithin(slow, WEB, 20, fx.log.logger)).toBe(false);
    expect(
      fx.log.lines.some(
        (e) => e.msg === "Git history took too long; deciding on the revisions already known",
      ),
    ).toBe(true);
    expect(await loadHistoryWithin(state, WEB, 10_000, fx.log.logger)).toBe(true);
  });
});
