// The one command a denial and an audit warning print to turn the request into a Git change
// (docs/contract.md §11): only for a recorded request a person made that changes fields Git holds.
import { describe, expect, it } from "vitest";
import type { AdmissionRequest } from "../../src/core/admission.js";
import { decide } from "../../src/core/decide.js";
import type { Policy } from "../../src/core/policy.js";
import { respond } from "../../src/core/respond.js";
import { deploymentManifest, storedDeployment } from "../support/deployments.js";
import { testPolicy } from "../support/policy.js";
import { desiredFor, managed, request } from "../support/reviews.js";

const COMMAND = "driftguard propose --config team/driftguard.yaml --request {uid}";
const UID = "0c9a6f4e-1111-4a2b-9c3d-5e6f7a8b9c0d";
const EXPECTED = `driftguard propose --config team/driftguard.yaml --request ${UID}`;
const GITOPS_SA = { username: "system:serviceaccount:argocd:argocd-application-controller", groups: [] };

const live = () => storedDeployment(deploymentManifest({ image: "nginx:1.25" }));
const edited = () => storedDeployment(deploymentManifest({ image: "nginx:6.6" }));

function answer(req: AdmissionRequest, policy: Policy = testPolicy(), command: string | null = COMMAND) {
  const decision = decide({
    request: req,
    lookup: managed(desiredFor(deploymentManifest({ image: "nginx:1.25" }), policy)),
    policy,
    namespaceTerminating: false,
  });
  const response = respond(req.uid, decision, { proposeCommand: command ?? undefined });
  return [response.status?.message ?? "", ...(response.warnings ?? [])].join("\n");
}

const update = (extra: Partial<Parameters<typeof request>[0]> = {}) =>
  request({ uid: UID, operation: "UPDATE", object: edited(), oldObject: live(), ...extra });

describe("the propose command in answers", () => {
  it.each([
    ["a denied edit", () => answer(update()), true],
    [
      "an audit-mode allowance with drift (a warning)",
      () => answer(update(), testPolicy({ mode: "audit" })),
      true,
    ],
    ["a dry-run (never recorded)", () => answer(update({ dryRun: true })), false],
    [
      "a DELETE (no file edit says gone)",
      () => answer(request({ uid: UID, operation: "DELETE", oldObject: edited() })),
      false,
    ],
    ["a GitOps identity's unknown content", () => answer(update({ user: GITOPS_SA })), false],
    ["an edit that changes nothing against Git", () => answer(update({ object: live() })), false],
    ["history off (no command configured)", () => answer(update(), testPolicy(), null), false],
  ])("%s", (_what, run, shown) => {
    const text = run();
    if (shown) expect(text).toContain(EXPECTED);
    else expect(text).not.toContain("driftguard propose");
  });

  it("names the request's own uid wherever the command puts {uid}", () => {
    const text = answer(update(), testPolicy(), "propose {uid} / {uid}");
    expect(text).toContain(`propose ${UID} / ${UID}`);
  });
});
