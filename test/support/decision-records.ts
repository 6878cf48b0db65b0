// Decision records for the history tests: one plausible record (a denied image change), varied by
// overrides. The core tests build theirs with the real decide(); these stand for records read back.
import type { DecisionRecord } from "../../src/core/decision-record.js";

export function sampleRecord(overrides: Partial<DecisionRecord> = {}, n = 0): DecisionRecord {
  return {
    apiVersion: "driftguard.io/v1alpha1",
    kind: "DecisionRecord",
    time: new Date(Date.parse("2026-12-02T03:14:00Z") + n * 60_000).toISOString(),
    requestUid: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
    requester: { username: "alice", groups: ["team-a", "system:authenticated"] },
    operation: "UPDATE",
    object: { namespace: "shop", name: "web", uid: "6f1c2c1e-1111-4222-8333-444455556666" },
    verdict: { outcome: "deny", reason: "drift", wouldDenyInEnforce: true },
    why: { mode: "enforce", decision: "judged", grants: [] },
    fields: [
      {
        path: "spec.template.spec.containers[name=web].image",
        segments: ["spec", "template", "spec", "containers", "[name=web]", "image"],
        group: "image",
        change: "changed",
        role: "violation",
        git: "nginx:1.27",
        old: "nginx:1.27",
        requested: "nginx:evil",
        masked: false,
      },
    ],
    git: { source: "apps", commit: "abc1234def5678", file: "apps/web.yaml" },
    ...overrides,
  };
}
