// The verdict table: for every kind of lookup, mode and policy, the one verdict decide computes, and
// the response, audit annotations and Event that read it. The response never disagrees with it.
import { describe, expect, it } from "vitest";
import { decide } from "../../src/core/decide.js";
import { admissionEventFor } from "../../src/core/drift-events.js";
import type { Lookup } from "../../src/core/lookup.js";
import type { Policy } from "../../src/core/policy.js";
import { respond } from "../../src/core/respond.js";
import type { JsonObject, Mode } from "../../src/core/types.js";
import type { Outcome, VerdictReason } from "../../src/core/verdict.js";
import { deploymentManifest, storedDeployment } from "../support/deployments.js";
import { testPolicy } from "../support/policy.js";
import { clone, desiredFor, managed, request } from "../support/reviews.js";

type O = JsonObject;
const GIT = deploymentManifest({ replicas: 2, image: "nginx:1" });
const live = (image = "nginx:1", labels: O = {}) => {
  const object = storedDeployment(GIT);
  ((((object.spec as O).template as O).spec as O).containers as O[])[0]!.image = image;
  (object.metadata as O).labels = labels;
  return object;
};
const ORIGIN = { source: "apps", commit: "abcdef0123", file: "apps/web.yaml" };

type LookupKind = "managed" | "unmanaged" | "unsynced" | "conflict";
interface Row {
  name: string;
  mode: Mode;
  lookup: LookupKind;
  policy?: Partial<Policy>;
  operation?: "UPDATE" | "DELETE" | "CREATE";
  /** The image the request sets; the old object holds nginx:1 with `oldLabels`. */
  image?: string;
  oldLabels?: O;
  outcome: Outcome;
  reason: VerdictReason;
  wouldDeny: boolean;
  annotation?: string;
}

const ROWS: Row[] = [
  {
    name: "in sync",
    mode: "enforce",
    lookup: "managed",
    outcome: "allow",
    reason: "in-sync",
    wouldDeny: false,
  },
  {
    name: "drift, enforce",
    mode: "enforce",
    lookup: "managed",
    image: "evil:1",
    outcome: "deny",
    reason: "drift",
    wouldDeny: true,
    annotation: "denied",
  },
  {
    name: "drift, audit",
    mode: "audit",
    lookup: "managed",
    image: "evil:1",
    outcome: "warn",
    reason: "drift",
    wouldDeny: true,
    annotation: "allowed-drift",
  },
  {
    name: "drift, off",
    mode: "off",
    lookup: "managed",
    image: "evil:1",
    outcome: "allow",
    reason: "mode-off",
    wouldDeny: false,
  },
  {
    name: "drift already live",
    mode: "enforce",
    lookup: "managed",
    oldLabels: { x: "1" },
    outcome: "warn",
    reason: "preexisting-drift",
    wouldDeny: false,
    annotation: "allowed",
  },
  {
    name: "delete, enforce",
    mode: "enforce",
    lookup: "managed",
    operation: "DELETE",
    outcome: "deny",
    reason: "drift",
    wouldDeny: true,
    annotation: "denied",
  },
  {
    name: "unmanaged allow",
    mode: "enforce",
    lookup: "unmanaged",
    outcome: "allow",
    reason: "unmanaged",
    wouldDeny: false,
  },
  {
    name: "unmanaged warn",
    mode: "enforce",
    lookup: "unmanaged",
    policy: { unmanaged: "warn" },
    outcome: "warn",
    reason: "unmanaged",
    wouldDeny: false,
    annotation: "unmanaged-warn",
  },
  {
    name: "unmanaged deny, enforce",
    mode: "enforce",
    lookup: "unmanaged",
    policy: { unmanaged: "deny" },
    outcome: "deny",
    reason: "unmanaged",
    wouldDeny: true,
    annotation: "unmanaged-deny",
  },
  // The fix: audit mode lets it through, and says so; it used to be annotated as a denial.
  {
    name: "unmanaged deny, audit",
    mode: "audit",
    lookup: "unmanaged",
    policy: { unmanaged: "deny" },
    outcome: "warn",
    reason: "unmanaged",
    wouldDeny: true,
    annotation: "unmanaged-warn",
  },
  {
    name: "unmanaged deny, DELETE",
    mode: "enforce",
    lookup: "unmanaged",
    policy: { unmanaged: "deny" },
    operation: "DELETE",
    outcome: "allow",
    reason: "unmanaged",
    wouldDeny: false,
  },
  {
    name: "unsynced allow",
    mode: "enforce",
    lookup: "unsynced",
    outcome: "warn",
    reason: "desired-unknown",
    wouldDeny: false,
    annotation: "allowed-unknown",
  },
  {
    name: "unsynced deny, enforce",
    mode: "enforce",
    lookup: "unsynced",
    policy: { onUnsynced: "deny" },
    outcome: "deny",
    reason: "desired-unknown",
    wouldDeny: true,
    annotation: "denied-unknown",
  },
  {
    name: "unsynced deny, audit",
    mode: "audit",
    lookup: "unsynced",
    policy: { onUnsynced: "deny" },
    outcome: "warn",
    reason: "desired-unknown",
    wouldDeny: true,
    annotation: "allowed-unknown",
  },
  {
    name: "conflict deny, enforce",
    mode: "enforce",
    lookup: "conflict",
    policy: { onUnsynced: "deny" },
    outcome: "deny",
    reason: "desired-unknown",
    wouldDeny: true,
    annotation: "denied-unknown",
  },
  {
    name: "unsynced, off",
    mode: "off",
    lookup: "unsynced",
    policy: { onUnsynced: "deny" },
    outcome: "allow",
    reason: "mode-off",
    wouldDeny: false,
  },
];

function lookupOf(kind: LookupKind, policy: Policy): Lookup {
  switch (kind) {
    case "managed":
      return managed(desiredFor(GIT, policy, "shop", ORIGIN.commit));
    case "unmanaged":
      return { kind: "unmanaged" };
    case "unsynced":
      return { kind: "unsynced", reason: "Git source apps has not synced yet" };
    case "conflict":
      return { kind: "conflict", origins: [ORIGIN, { ...ORIGIN, file: "apps/copy.yaml" }] };
  }
}

function run(row: Row) {
  const policy = testPolicy({ mode: row.mode, ...row.policy });
  const operation = row.operation ?? "UPDATE";
  const req = request({
    operation,
    object: operation === "DELETE" ? null : live(row.image, row.oldLabels),
    oldObject: operation === "CREATE" ? null : live("nginx:1", row.oldLabels),
  });
  const decision = decide({
    request: req,
    lookup: lookupOf(row.lookup, policy),
    policy,
    namespaceTerminating: false,
  });
  return { decision, response: respond(req.uid, decision) };
}

describe("the verdict", () => {
  it.each(ROWS.map((row) => [row.name, row] as const))("%s", (_name, row) => {
    const { decision, response } = run(row);
    expect(decision.verdict).toMatchObject({
      outcome: row.outcome,
      reason: row.reason,
      wouldDenyInEnforce: row.wouldDeny,
    });
    // The response obeys the verdict: denied exactly on deny, warnings exactly on warn.
    expect(response.allowed).toBe(row.outcome !== "deny");
    expect((response.warnings?.length ?? 0) > 0).toBe(row.outcome === "warn");
    expect(response.auditAnnotations?.decision).toBe(row.annotation);
  });

  it("leaves DriftWarned exactly when enforce would have denied what audit let through, DriftDenied on a managed denial", () => {
    for (const row of ROWS) {
      const { decision } = run(row);
      const warned =
        row.mode === "audit" && row.outcome === "warn" && row.wouldDeny && row.lookup === "managed";
      const denied = row.outcome === "deny" && row.lookup === "managed";
      const expected = warned ? "DriftWarned" : denied ? "DriftDenied" : undefined;
      expect(admissionEventFor(decision, undefined)?.reason, row.name).toBe(expected);
    }
  });

  it("keeps the verdict's mode: a manifest's own annotation wins over the namespace and the global mode", () => {
    const policy = testPolicy({ mode: "audit", namespaceModes: new Map([["shop", "audit"]]) });
    const manifest = clone(GIT);
    (manifest.metadata as O).annotations = { "driftguard.io/mode": "enforce" };
    const req = request({ operation: "UPDATE", object: live("evil:1"), oldObject: live() });
    const decision = decide({
      request: req,
      lookup: managed(desiredFor(manifest, policy, "shop")),
      policy,
      namespaceTerminating: false,
    });
    expect(decision.verdict).toMatchObject({ outcome: "deny", mode: "enforce" });
  });
});
