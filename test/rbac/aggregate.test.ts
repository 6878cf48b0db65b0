// Offline aggregation of ClusterRoles (check --rbac) gives the rules kube-controller-manager's
// clusterrole-aggregation controller would store: the union of the rules of every other ClusterRole
// whose labels one of the selectors matches.
import { describe, expect, it } from "vitest";
import { staticClusterView } from "../../src/admission/cluster-view.js";
import { aggregateClusterRoles, selects } from "../../src/rbac/aggregate.js";
import type { ClusterRole, LabelSelector, PolicyRule } from "../../src/rbac/types.js";

const rule = (resource: string): PolicyRule => ({
  apiGroups: ["driftguard.io"],
  resources: [resource],
  verbs: ["override"],
});
const part = (name: string, labels: Record<string, string>, rules: PolicyRule[]): ClusterRole => ({
  metadata: { name, labels },
  rules,
});
const aggregated = (name: string, selectors: LabelSelector[], rules: PolicyRule[] = []): ClusterRole => ({
  metadata: { name },
  aggregationRule: { clusterRoleSelectors: selectors },
  rules,
});
const resourcesOf = (roles: ClusterRole[], name: string) =>
  roles
    .find((r) => r.metadata?.name === name)
    ?.rules?.flatMap((r) => r.resources ?? [])
    .sort();

const PARTS = [
  part("image", { "driftguard.io/aggregate": "true", tier: "gold" }, [rule("deployments/image")]),
  part("env", { "driftguard.io/aggregate": "true", tier: "silver" }, [rule("deployments/env")]),
  part("replicas", { tier: "bronze" }, [rule("deployments/replicas")]),
  part("plain", {}, [rule("deployments/paused")]),
];

describe("selects (label selectors as the API server reads them)", () => {
  const labels = { tier: "gold", team: "a" };
  it.each<[string, LabelSelector, boolean]>([
    ["empty selector: everything", {}, true],
    ["matchLabels equal", { matchLabels: { tier: "gold" } }, true],
    ["matchLabels other value", { matchLabels: { tier: "silver" } }, false],
    ["matchLabels absent key", { matchLabels: { zone: "x" } }, false],
    ["In", { matchExpressions: [{ key: "tier", operator: "In", values: ["gold", "silver"] }] }, true],
    ["In, not listed", { matchExpressions: [{ key: "tier", operator: "In", values: ["silver"] }] }, false],
    ["In, key absent", { matchExpressions: [{ key: "zone", operator: "In", values: ["x"] }] }, false],
    ["NotIn, listed", { matchExpressions: [{ key: "tier", operator: "NotIn", values: ["gold"] }] }, false],
    ["NotIn, key absent", { matchExpressions: [{ key: "zone", operator: "NotIn", values: ["x"] }] }, true],
    ["Exists", { matchExpressions: [{ key: "team", operator: "Exists" }] }, true],
    ["Exists, absent", { matchExpressions: [{ key: "zone", operator: "Exists" }] }, false],
    ["DoesNotExist", { matchExpressions: [{ key: "zone", operator: "DoesNotExist" }] }, true],
    ["DoesNotExist, present", { matchExpressions: [{ key: "team", operator: "DoesNotExist" }] }, false],
    [
      "matchLabels and matchExpressions must both hold",
      { matchLabels: { team: "a" }, matchExpressions: [{ key: "tier", operator: "In", values: ["silver"] }] },
      false,
    ],
  ])("%s", (_name, selector, expected) => {
    expect(selects(selector, labels)).toBe(expected);
  });
});

describe("aggregateClusterRoles", () => {
  it("unions the rules of the ClusterRoles a selector matches, and only those", () => {
    const roles = aggregateClusterRoles([
      ...PARTS,
      aggregated("agg", [{ matchLabels: { "driftguard.io/aggregate": "true" } }]),
    ]);
    expect(resourcesOf(roles, "agg")).toEqual(["deployments/env", "deployments/image"]);
  });

  it("any selector matching is enough (selectors are ORed)", () => {
    const roles = aggregateClusterRoles([
      ...PARTS,
      aggregated("agg", [
        { matchLabels: { tier: "gold" } },
        { matchExpressions: [{ key: "tier", operator: "In", values: ["bronze"] }] },
      ]),
    ]);
    expect(resourcesOf(roles, "agg")).toEqual(["deployments/image", "deployments/replicas"]);
  });

  it("replaces the stored rules, as the controller does", () => {
    const roles = aggregateClusterRoles([
      ...PARTS,
      aggregated("agg", [{ matchLabels: { tier: "gold" } }], [rule("deployments")]),
    ]);
    expect(resourcesOf(roles, "agg")).toEqual(["deployments/image"]);
  });

  it("never selects itself, and keeps one copy of a rule found twice", () => {
    const roles = aggregateClusterRoles([
      part("image-again", { tier: "gold" }, [rule("deployments/image")]),
      ...PARTS,
      {
        ...aggregated("agg", [{ matchLabels: { tier: "gold" } }]),
        metadata: { name: "agg", labels: { tier: "gold" } },
      },
    ]);
    expect(resourcesOf(roles, "agg")).toEqual(["deployments/image"]);
  });

  it("follows aggregated roles that aggregate others", () => {
    const roles = aggregateClusterRoles([
      aggregated("outer", [{ matchLabels: { layer: "inner" } }]),
      {
        ...aggregated("inner", [{ matchLabels: { tier: "silver" } }]),
        metadata: { name: "inner", labels: { layer: "inner" } },
      },
      ...PARTS,
    ]);
    expect(resourcesOf(roles, "outer")).toEqual(["deployments/env"]);
  });

  it("leaves ClusterRoles without an aggregationRule as they are", () => {
    const roles = aggregateClusterRoles(PARTS);
    expect(roles).toEqual(PARTS);
  });

  it("the offline view grants through an aggregated ClusterRole (the cluster view reads stored rules)", () => {
    const view = staticClusterView(
      {
        roles: [],
        clusterRoles: [...PARTS, aggregated("agg", [{ matchLabels: { "driftguard.io/aggregate": "true" } }])],
        roleBindings: [
          {
            metadata: { name: "rb", namespace: "shop" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "agg" },
            subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "alice" }],
          },
        ],
        clusterRoleBindings: [],
      },
      () => Date.parse("2026-11-24T12:00:00Z"),
    );
    const grant = view.grantsFor({ username: "alice", groups: [] }, { namespace: "shop", name: "web" });
    expect(grant?.("env")?.description).toBe("RoleBinding shop/rb (ClusterRole agg)");
    expect(grant?.("replicas")).toBeUndefined();
  });
});
