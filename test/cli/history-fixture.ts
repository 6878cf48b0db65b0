// The fixed store the history CLI tests read (fixtures/history-state/history): what each record stands
// for is said here; `UPDATE_GOLDEN=1 npx vitest run test/cli/history.test.ts` writes the store and the
// golden outputs again from it.
import type { DecisionRecord } from "../../src/core/decision-record.js";
import { sampleRecord } from "../support/decision-records.js";

const IMAGE = "spec.template.spec.containers[name=web].image";

export const FIXTURE_RECORDS: DecisionRecord[] = [
  // alice's denied image change in shop/web (enforce).
  sampleRecord({}, 0),
  // bob's image change let through by a break-glass RoleBinding.
  sampleRecord(
    {
      requester: { username: "bob", groups: ["oncall", "system:authenticated"] },
      verdict: { outcome: "warn", reason: "exempted", wouldDenyInEnforce: false },
      why: {
        mode: "enforce",
        decision: "judged",
        grants: [
          {
            description:
              "RoleBinding shop/break-glass (Role shop/override-image, expires 2026-12-03T00:00:00Z)",
            binding: { kind: "RoleBinding", namespace: "shop", name: "break-glass" },
            expiresAt: "2026-12-03T00:00:00Z",
            paths: [IMAGE],
          },
        ],
      },
      fields: [{ ...sampleRecord().fields[0]!, role: "exempted", requested: "nginx:1.28-hotfix" }],
    },
    1,
  ),
  // A CI service account's env change in audit mode (a secret value: masked), on a rendered app.
  sampleRecord(
    {
      requester: {
        username: "system:serviceaccount:ci:deployer",
        groups: ["system:serviceaccounts", "system:serviceaccounts:ci"],
        serviceAccount: "ci/deployer",
      },
      object: { namespace: "team-a", name: "api", uid: "0b3f6c7e-aaaa-4bbb-8ccc-ddddeeeeffff" },
      verdict: { outcome: "warn", reason: "drift", wouldDenyInEnforce: true },
      why: { mode: "audit", decision: "judged", grants: [] },
      fields: [
        {
          path: "spec.template.spec.containers[name=api].env[name=DB_PASSWORD].value",
          segments: [
            "spec",
            "template",
            "spec",
            "containers",
            "[name=api]",
            "env",
            "[name=DB_PASSWORD]",
            "value",
          ],
          group: "env",
          change: "changed",
          role: "violation",
          git: "<masked>",
          old: "<masked>",
          requested: "<masked>",
          masked: true,
        },
        {
          path: "spec.replicas",
          segments: ["spec", "replicas"],
          group: "replicas",
          change: "changed",
          role: "preexisting",
          git: 2,
          old: 5,
          requested: 5,
          masked: false,
        },
      ],
      git: {
        source: "platform",
        commit: "9f8e7d6c5b4a3210",
        file: "apps/api",
        app: { type: "kustomize", renderedFrom: "apps/api/base/deployment.yaml" },
      },
    },
    2,
  ),
  // Argo CD's controller applying content no recent revision holds, scaled: denied.
  sampleRecord(
    {
      requester: {
        username: "system:serviceaccount:argocd:argocd-application-controller",
        groups: ["system:serviceaccounts"],
        serviceAccount: "argocd/argocd-application-controller",
      },
      subresource: "scale",
      why: { mode: "enforce", decision: "judged", gitops: "no-matching-revision", grants: [] },
      fields: [
        {
          path: "spec.replicas",
          segments: ["spec", "replicas"],
          group: "replicas",
          change: "changed",
          role: "violation",
          git: 3,
          old: 3,
          requested: 0,
          masked: false,
        },
      ],
    },
    3,
  ),
  // alice changing a Deployment no Git source holds, with unmanaged: deny.
  withoutGit(
    sampleRecord(
      {
        object: { namespace: "team-a", name: "scratch", uid: "1c2d3e4f-1111-4222-8333-999988887777" },
        verdict: { outcome: "deny", reason: "unmanaged", wouldDenyInEnforce: true },
        why: { mode: "enforce", decision: "unmanaged", grants: [] },
        fields: [],
      },
      4,
    ),
  ),
].map((record) => JSON.parse(JSON.stringify(record)) as DecisionRecord);

function withoutGit(record: DecisionRecord): DecisionRecord {
  const { git: _git, ...rest } = record;
  return rest;
}
