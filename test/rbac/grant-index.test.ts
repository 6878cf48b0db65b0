// docs/contract.md §5 RBAC grants, as a table: which bindings let which requester override which field group of
// Deployment shop/web. Every case builds a fresh index from plain RBAC objects.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FIELD_GROUPS, type FieldGroup, type ObjectKey, type Requester } from "../../src/core/types.js";
import { aggregateClusterRoles } from "../../src/rbac/aggregate.js";
import { buildGrantIndex, grantResolverFor } from "../../src/rbac/grant-index.js";
import type { ClusterRole, PolicyRule, RbacObjects, RoleBinding, Subject } from "../../src/rbac/types.js";

const KEY = { namespace: "shop", name: "web" };
const NOW = Date.parse("2026-11-24T12:00:00Z");
const ALICE: Requester = { username: "alice", groups: ["team-a", "system:authenticated"] };
const BOB: Requester = { username: "bob", groups: ["team-b", "system:authenticated"] };
const SHOP_SA: Requester = {
  username: "system:serviceaccount:shop:deployer",
  groups: ["system:serviceaccounts", "system:serviceaccounts:shop", "system:authenticated"],
};

const rule = (resources: string[], extra: Partial<PolicyRule> = {}): PolicyRule => ({
  apiGroups: ["driftguard.io"],
  resources,
  verbs: ["override"],
  ...extra,
});
const user = (name: string): Subject => ({ kind: "User", apiGroup: "rbac.authorization.k8s.io", name });
const group = (name: string): Subject => ({ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name });
const sa = (name: string, namespace?: string): Subject => ({
  kind: "ServiceAccount",
  name,
  ...(namespace ? { namespace } : {}),
});

function objects(parts: Partial<RbacObjects>): RbacObjects {
  return { roles: [], clusterRoles: [], roleBindings: [], clusterRoleBindings: [], ...parts };
}
const role = (name: string, namespace: string, rules: PolicyRule[]) => ({
  metadata: { name, namespace },
  rules,
});
const clusterRole = (name: string, rules: PolicyRule[], labels?: Record<string, string>): ClusterRole => ({
  metadata: { name, ...(labels ? { labels } : {}) },
  rules,
});
const roleBinding = (
  name: string,
  namespace: string,
  ref: { kind: string; name: string },
  subjects: Subject[],
  annotations?: Record<string, string>,
): RoleBinding => ({
  metadata: { name, namespace, ...(annotations ? { annotations } : {}) },
  roleRef: { apiGroup: "rbac.authorization.k8s.io", ...ref },
  subjects,
});
const crb = (
  name: string,
  ref: string,
  subjects: Subject[],
  annotations?: Record<string, string>,
): RoleBinding => ({
  metadata: { name, ...(annotations ? { annotations } : {}) },
  roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: ref },
  subjects,
});

function grantOf(rbac: RbacObjects, requester: Requester, fieldGroup: FieldGroup, now = NOW, key = KEY) {
  return grantResolverFor(buildGrantIndex(rbac), requester, key, now)?.(fieldGroup)?.description;
}

const imageRole = role("image", "shop", [rule(["deployments/image"])]);

interface Case {
  name: string;
  rbac: RbacObjects;
  requester: Requester;
  group: FieldGroup;
  granted: string | undefined;
}

const CASES: Case[] = [
  {
    name: "RoleBinding to a Role in the object's namespace",
    rbac: objects({
      roles: [imageRole],
      roleBindings: [roleBinding("rb", "shop", { kind: "Role", name: "image" }, [user("alice")])],
    }),
    requester: ALICE,
    group: "image",
    granted: "RoleBinding shop/rb (Role shop/image)",
  },
  {
    name: "the same binding does not cover another group",
    rbac: objects({
      roles: [imageRole],
      roleBindings: [roleBinding("rb", "shop", { kind: "Role", name: "image" }, [user("alice")])],
    }),
    requester: ALICE,
    group: "env",
    granted: undefined,
  },
  {
    name: "nor another user",
    rbac: objects({
      roles: [imageRole],
      roleBindings: [roleBinding("rb", "shop", { kind: "Role", name: "image" }, [user("alice")])],
    }),
    requester: BOB,
    group: "image",
    granted: undefined,
  },
  {
    name: "a RoleBinding in another namespace counts nothing here",
    rbac: objects({
      roles: [role("image", "other", [rule(["deployments/image"])])],
      roleBindings: [roleBinding("rb", "other", { kind: "Role", name: "image" }, [user("alice")])],
    }),
    requester: ALICE,
    group: "image",
    granted: undefined,
  },
  {
    name: "a RoleBinding cannot use a Role of another namespace",
    rbac: objects({
      roles: [role("image", "other", [rule(["deployments/image"])])],
      roleBindings: [roleBinding("rb", "shop", { kind: "Role", name: "image" }, [user("alice")])],
    }),
    requester: ALICE,
    group: "image",
    granted: undefined,
  },
  {
    name: "RoleBinding to a ClusterRole",
    rbac: objects({
      clusterRoles: [clusterRole("image", [rule(["deployments/image"])])],
      roleBindings: [roleBinding("rb", "shop", { kind: "ClusterRole", name: "image" }, [group("team-a")])],
    }),
    requester: ALICE,
    group: "image",
    granted: "RoleBinding shop/rb (ClusterRole image)",
  },
  {
    name: "ClusterRoleBinding counts in every namespace",
    rbac: objects({
      clusterRoles: [clusterRole("replicas", [rule(["deployments/replicas"])])],
      clusterRoleBindings: [crb("crb", "replicas", [group("team-b")])],
    }),
    requester: BOB,
    group: "replicas",
    granted: "ClusterRoleBinding crb (ClusterRole replicas)",
  },
  {
    name: "resourceNames naming the Deployment",
    rbac: objects({
      roles: [role("r", "shop", [rule(["deployments/env"], { resourceNames: ["api", "web"] })])],
      roleBindings: [roleBinding("rb", "shop", { kind: "Role", name: "r" }, [user("alice")])],
    }),
    requester: ALICE,
    group: "env",
    granted: "RoleBinding shop/rb (Role shop/r)",
  },
  {
    name: "resourceNames naming other Deployments only",
    rbac: objects({
      roles: [role("r", "shop", [rule(["deployments/env"], { resourceNames: ["api"] })])],
      roleBindings: [roleBinding("rb", "shop", { kind: "Role", name: "r" }, [user("alice")])],
    }),
    requester: ALICE,
    group: "env",
    granted: undefined,
  },
  {
    name: "service account by namespace and name",
    rbac: objects({
      roles: [imageRole],
      roleBindings: [roleBinding("rb", "shop", { kind: "Role", name: "image" }, [sa("deployer", "shop")])],
    }),
    requester: SHOP_SA,
    group: "image",
    granted: "RoleBinding shop/rb (Role shop/image)",
  },
  {
    name: "service account without a namespace: the RoleBinding's own",
    rbac: objects({
      roles: [imageRole],
      roleBindings: [roleBinding("rb", "shop", { kind: "Role", name: "image" }, [sa("deployer")])],
    }),
    requester: SHOP_SA,
    group: "image",
    granted: "RoleBinding shop/rb (Role shop/image)",
  },
  {
    name: "service account of another namespace",
    rbac: objects({
      roles: [imageRole],
      roleBindings: [roleBinding("rb", "shop", { kind: "Role", name: "image" }, [sa("deployer", "ci")])],
    }),
    requester: SHOP_SA,
    group: "image",
    granted: undefined,
  },
  {
    name: "service accounts' implied group",
    rbac: objects({
      roles: [imageRole],
      roleBindings: [
        roleBinding("rb", "shop", { kind: "Role", name: "image" }, [group("system:serviceaccounts:shop")]),
      ],
    }),
    requester: SHOP_SA,
    group: "image",
    granted: "RoleBinding shop/rb (Role shop/image)",
  },
  {
    name: "a user named like a group is not the group",
    rbac: objects({
      roles: [imageRole],
      roleBindings: [roleBinding("rb", "shop", { kind: "Role", name: "image" }, [user("team-a")])],
    }),
    requester: ALICE,
    group: "image",
    granted: undefined,
  },
  {
    name: "`deployments` covers every group",
    rbac: objects({
      clusterRoles: [clusterRole("all", [rule(["deployments"])])],
      clusterRoleBindings: [crb("crb", "all", [user("alice")])],
    }),
    requester: ALICE,
    group: "paused",
    granted: "ClusterRoleBinding crb (ClusterRole all)",
  },
  {
    name: "`deployments` covers `*` (paths in no group)",
    rbac: objects({
      clusterRoles: [clusterRole("all", [rule(["deployments"])])],
      clusterRoleBindings: [crb("crb", "all", [user("alice")])],
    }),
    requester: ALICE,
    group: "*",
    granted: "ClusterRoleBinding crb (ClusterRole all)",
  },
  {
    name: "`deployments/image` does not cover `*`",
    rbac: objects({
      roles: [imageRole],
      roleBindings: [roleBinding("rb", "shop", { kind: "Role", name: "image" }, [user("alice")])],
    }),
    requester: ALICE,
    group: "*",
    granted: undefined,
  },
  {
    name: "a ClusterRoleBinding cannot refer to a Role",
    rbac: objects({
      roles: [imageRole],
      clusterRoleBindings: [
        {
          ...crb("crb", "image", [user("alice")]),
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "image" },
        },
      ],
    }),
    requester: ALICE,
    group: "image",
    granted: undefined,
  },
  {
    name: "a dangling roleRef grants nothing",
    rbac: objects({
      roleBindings: [roleBinding("rb", "shop", { kind: "ClusterRole", name: "missing" }, [user("alice")])],
    }),
    requester: ALICE,
    group: "image",
    granted: undefined,
  },
  {
    name: "another verb grants nothing",
    rbac: objects({
      roles: [role("r", "shop", [rule(["deployments/image"], { verbs: ["update", "patch"] })])],
      roleBindings: [roleBinding("rb", "shop", { kind: "Role", name: "r" }, [user("alice")])],
    }),
    requester: ALICE,
    group: "image",
    granted: undefined,
  },
  {
    name: "another API group grants nothing",
    rbac: objects({
      roles: [role("r", "shop", [rule(["deployments/image"], { apiGroups: ["apps"] })])],
      roleBindings: [roleBinding("rb", "shop", { kind: "Role", name: "r" }, [user("alice")])],
    }),
    requester: ALICE,
    group: "image",
    granted: undefined,
  },
  {
    name: "a future expiry still counts, and says so",
    rbac: objects({
      roles: [imageRole],
      roleBindings: [
        roleBinding("rb", "shop", { kind: "Role", name: "image" }, [user("alice")], {
          "driftguard.io/expires-at": "2026-11-24T13:00:00Z",
        }),
      ],
    }),
    requester: ALICE,
    group: "image",
    granted: "RoleBinding shop/rb (Role shop/image, expires 2026-11-24T13:00:00Z)",
  },
  {
    name: "a past expiry grants nothing",
    rbac: objects({
      roles: [imageRole],
      roleBindings: [
        roleBinding("rb", "shop", { kind: "Role", name: "image" }, [user("alice")], {
          "driftguard.io/expires-at": "2026-11-24T11:59:59Z",
        }),
      ],
    }),
    requester: ALICE,
    group: "image",
    granted: undefined,
  },
  {
    name: "a user subject named as the service account's user name matches the service account",
    rbac: objects({
      roles: [imageRole],
      roleBindings: [
        roleBinding("rb", "shop", { kind: "Role", name: "image" }, [
          user("system:serviceaccount:shop:deployer"),
        ]),
      ],
    }),
    requester: SHOP_SA,
    group: "image",
    granted: "RoleBinding shop/rb (Role shop/image)",
  },
  {
    name: "every service account's group (system:serviceaccounts) through a ClusterRoleBinding",
    rbac: objects({
      clusterRoles: [clusterRole("image", [rule(["deployments/image"])])],
      clusterRoleBindings: [crb("crb", "image", [group("system:serviceaccounts")])],
    }),
    requester: SHOP_SA,
    group: "image",
    granted: "ClusterRoleBinding crb (ClusterRole image)",
  },
  {
    name: "a service account of another namespace is not in system:serviceaccounts:shop",
    rbac: objects({
      roles: [imageRole],
      roleBindings: [
        roleBinding("rb", "shop", { kind: "Role", name: "image" }, [group("system:serviceaccounts:shop")]),
      ],
    }),
    requester: {
      username: "system:serviceaccount:ci:deployer",
      groups: ["system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"],
    },
    group: "image",
    granted: undefined,
  },
  {
    name: "a service account without a namespace in a ClusterRoleBinding matches nobody",
    rbac: objects({
      clusterRoles: [clusterRole("image", [rule(["deployments/image"])])],
      clusterRoleBindings: [crb("crb", "image", [sa("deployer")])],
    }),
    requester: SHOP_SA,
    group: "image",
    granted: undefined,
  },
  {
    name: "an unknown subject kind matches nobody",
    rbac: objects({
      roles: [imageRole],
      roleBindings: [
        roleBinding("rb", "shop", { kind: "Role", name: "image" }, [{ kind: "Robot", name: "alice" }]),
      ],
    }),
    requester: ALICE,
    group: "image",
    granted: undefined,
  },
  {
    name: "resourceNames empty: every Deployment of the namespace",
    rbac: objects({
      roles: [role("r", "shop", [rule(["deployments/env"], { resourceNames: [] })])],
      roleBindings: [roleBinding("rb", "shop", { kind: "Role", name: "r" }, [user("alice")])],
    }),
    requester: ALICE,
    group: "env",
    granted: "RoleBinding shop/rb (Role shop/r)",
  },
  {
    name: "one explicit rule grants even when another rule of the role has a wildcard",
    rbac: objects({
      roles: [role("r", "shop", [rule(["*"]), rule(["deployments/image"])])],
      roleBindings: [roleBinding("rb", "shop", { kind: "Role", name: "r" }, [user("alice")])],
    }),
    requester: ALICE,
    group: "image",
    granted: "RoleBinding shop/rb (Role shop/r)",
  },
  {
    name: "a RoleBinding is named before a ClusterRoleBinding that grants the same",
    rbac: objects({
      roles: [imageRole],
      clusterRoles: [clusterRole("all", [rule(["deployments"])])],
      clusterRoleBindings: [crb("crb", "all", [user("alice")])],
      roleBindings: [roleBinding("rb", "shop", { kind: "Role", name: "image" }, [group("team-a")])],
    }),
    requester: ALICE,
    group: "image",
    granted: "RoleBinding shop/rb (Role shop/image)",
  },
  {
    name: "an expired grant gives way to another that still counts",
    rbac: objects({
      roles: [imageRole],
      roleBindings: [
        roleBinding("old", "shop", { kind: "Role", name: "image" }, [user("alice")], {
          "driftguard.io/expires-at": "2026-11-24T11:00:00Z",
        }),
        roleBinding("new", "shop", { kind: "Role", name: "image" }, [user("alice")]),
      ],
    }),
    requester: ALICE,
    group: "image",
    granted: "RoleBinding shop/new (Role shop/image)",
  },
  {
    name: "an expiry on a day that does not exist counts as expired (Date.parse would roll it over)",
    rbac: objects({
      roles: [imageRole],
      roleBindings: [
        roleBinding("rb", "shop", { kind: "Role", name: "image" }, [user("alice")], {
          "driftguard.io/expires-at": "2026-11-31T00:00:00Z",
        }),
      ],
    }),
    requester: ALICE,
    group: "image",
    granted: undefined,
  },
  ...["tomorrow", "2026-11-25", "2026-11-25 12:00:00", ""].map((expiry) => ({
    name: `an unparsable expiry (${JSON.stringify(expiry)}) counts as expired`,
    rbac: objects({
      roles: [imageRole],
      roleBindings: [
        roleBinding("rb", "shop", { kind: "Role", name: "image" }, [user("alice")], {
          "driftguard.io/expires-at": expiry,
        }),
      ],
    }),
    requester: ALICE,
    group: "image" as FieldGroup,
    granted: undefined,
  })),
];

const WILDCARD_RULES: [string, PolicyRule][] = [
  ["verbs [*]", rule(["deployments"], { verbs: ["*"] })],
  ["verbs [override, *]", rule(["deployments"], { verbs: ["override", "*"] })],
  ["apiGroups [*]", rule(["deployments"], { apiGroups: ["*"] })],
  ["resources [*]", rule(["*"])],
  ["resources [*/*]", rule(["*/*"])],
  ["resources [deployments/*]", rule(["deployments/*"])],
  ["resources [*/image]", rule(["*/image"])],
  ["resources [deployments, deployments/*]", rule(["deployments", "deployments/*"])],
];

describe("RBAC grants of override (docs/contract.md §5)", () => {
  it.each(CASES)("$name", ({ rbac, requester, group, granted }) => {
    expect(grantOf(rbac, requester, group)).toBe(granted);
  });

  it.each(WILDCARD_RULES)(
    "a rule with a wildcard (%s) grants nothing, not even cluster-admin",
    (_name, wild) => {
      const rbac = objects({
        clusterRoles: [clusterRole("wild", [wild])],
        clusterRoleBindings: [crb("crb", "wild", [group("system:masters")])],
      });
      const admin = { username: "admin", groups: ["system:masters"] };
      for (const g of ["image", "*"] as FieldGroup[]) expect(grantOf(rbac, admin, g)).toBeUndefined();
    },
  );

  it("the same index stops granting once its expiry passes, without a rebuild", () => {
    const rbac = objects({
      roles: [imageRole],
      roleBindings: [
        roleBinding("rb", "shop", { kind: "Role", name: "image" }, [user("alice")], {
          "driftguard.io/expires-at": "2026-11-24T12:30:00+00:00",
        }),
      ],
    });
    const index = buildGrantIndex(rbac);
    expect(grantResolverFor(index, ALICE, KEY, NOW)?.("image")).toBeDefined();
    expect(
      grantResolverFor(index, ALICE, KEY, Date.parse("2026-11-24T12:30:00Z"))?.("image"),
    ).toBeUndefined();
  });

  it("the grant names its binding and the expiry as written, beside the unchanged description", () => {
    const rbac = objects({
      roles: [imageRole],
      roleBindings: [
        roleBinding("break-glass", "shop", { kind: "Role", name: "image" }, [user("alice")], {
          "driftguard.io/expires-at": "2026-11-24T12:30:00+00:00",
        }),
      ],
      clusterRoles: [clusterRole("overrides", [rule(["deployments"])])],
      clusterRoleBindings: [crb("crb", "overrides", [user("bob")])],
    });
    const index = buildGrantIndex(rbac);
    expect(grantResolverFor(index, ALICE, KEY, NOW)?.("image")).toEqual({
      description: "RoleBinding shop/break-glass (Role shop/image, expires 2026-11-24T12:30:00+00:00)",
      binding: { kind: "RoleBinding", namespace: "shop", name: "break-glass" },
      expiresAt: "2026-11-24T12:30:00+00:00",
    });
    expect(grantResolverFor(index, BOB, KEY, NOW)?.("env")).toEqual({
      description: "ClusterRoleBinding crb (ClusterRole overrides)",
      binding: { kind: "ClusterRoleBinding", namespace: "", name: "crb" },
    });
  });

  it("aggregated ClusterRoles: offline aggregation gives the rules the controller would store", () => {
    const aggregated: ClusterRole = {
      metadata: { name: "overrides" },
      aggregationRule: {
        clusterRoleSelectors: [{ matchLabels: { "driftguard.io/aggregate-to-overrides": "true" } }],
      },
      rules: [],
    };
    const rbac = objects({
      clusterRoles: [
        aggregated,
        clusterRole("image-part", [rule(["deployments/image"])], {
          "driftguard.io/aggregate-to-overrides": "true",
        }),
        clusterRole("env-part", [rule(["deployments/env"])], { other: "label" }),
      ],
      clusterRoleBindings: [crb("crb", "overrides", [user("alice")])],
    });
    expect(grantOf(rbac, ALICE, "image")).toBeUndefined(); // stored rules empty: nothing yet
    const filled = { ...rbac, clusterRoles: aggregateClusterRoles(rbac.clusterRoles) };
    expect(grantOf(filled, ALICE, "image")).toBe("ClusterRoleBinding crb (ClusterRole overrides)");
    expect(grantOf(filled, ALICE, "env")).toBeUndefined();
  });

  it("index size counts only bindings that grant something", () => {
    const rbac = objects({
      roles: [
        imageRole,
        role("plain", "shop", [{ apiGroups: ["apps"], resources: ["deployments"], verbs: ["get"] }]),
      ],
      roleBindings: [
        roleBinding("rb", "shop", { kind: "Role", name: "image" }, [user("alice")]),
        roleBinding("plain", "shop", { kind: "Role", name: "plain" }, [user("alice")]),
      ],
    });
    expect(buildGrantIndex(rbac).size).toBe(1);
  });
});

describe("RBAC grants: properties", () => {
  const groups = FIELD_GROUPS;
  const resources = [
    "deployments",
    ...groups.filter((g) => g !== "*").map((g) => `deployments/${g}`),
    "deployments/*",
    "*",
  ];
  const arbitraryRule = fc.record({
    apiGroups: fc.subarray(["driftguard.io", "apps", "*"], { minLength: 1 }),
    resources: fc.subarray(resources, { minLength: 1 }),
    verbs: fc.subarray(["override", "get", "*"], { minLength: 1 }),
    resourceNames: fc.subarray(["web", "api"]),
  });
  const arbitraryBinding = fc.record({
    rules: fc.array(arbitraryRule, { minLength: 1, maxLength: 3 }),
    subject: fc.constantFrom(user("alice"), group("team-a"), user("bob")),
    cluster: fc.boolean(),
  });
  const build = (bindings: { rules: PolicyRule[]; subject: Subject; cluster: boolean }[]) =>
    objects({
      clusterRoles: bindings.map((b, i) => clusterRole(`r${i}`, b.rules)),
      roleBindings: bindings.flatMap((b, i) =>
        b.cluster ? [] : [roleBinding(`b${i}`, "shop", { kind: "ClusterRole", name: `r${i}` }, [b.subject])],
      ),
      clusterRoleBindings: bindings.flatMap((b, i) =>
        b.cluster ? [crb(`b${i}`, `r${i}`, [b.subject])] : [],
      ),
    });

  it("adding a binding never takes a grant away", () => {
    fc.assert(
      fc.property(
        fc.array(arbitraryBinding, { maxLength: 6 }),
        arbitraryBinding,
        fc.constantFrom(...groups),
        (bindings, extra, g) => {
          const before = grantOf(build(bindings), ALICE, g) !== undefined;
          const after = grantOf(build([...bindings, extra]), ALICE, g) !== undefined;
          return !before || after;
        },
      ),
    );
  });

  it("a rule with a wildcard never grants", () => {
    // Every generated rule gets a `*` in one of its three lists (never vacuous), whatever else it says.
    const wildcards = [
      (r: PolicyRule): PolicyRule => ({ ...r, verbs: [...(r.verbs ?? []), "*"] }),
      (r: PolicyRule): PolicyRule => ({ ...r, apiGroups: [...(r.apiGroups ?? []), "*"] }),
      (r: PolicyRule): PolicyRule => ({ ...r, resources: [...(r.resources ?? []), "deployments/*"] }),
    ];
    fc.assert(
      fc.property(
        fc.array(arbitraryBinding, { minLength: 1, maxLength: 6 }),
        fc.nat(),
        fc.constantFrom(...groups),
        (bindings, which, g) => {
          const wild = bindings.map((b) => ({
            ...b,
            rules: b.rules.map((r, i) =>
              (wildcards[(which + i) % wildcards.length] as (r: PolicyRule) => PolicyRule)(r),
            ),
          }));
          return grantOf(build(wild), ALICE, g) === undefined;
        },
      ),
    );
  });
});

// docs/contract.md §5 read directly, binding by binding, with no index: the reference the index must agree with.
function referenceGrants(
  rbac: RbacObjects,
  requester: Requester,
  key: ObjectKey,
  g: FieldGroup,
  now: number,
) {
  const applies = (subject: Subject, namespace: string) => {
    if (subject.kind === "User") return subject.name === requester.username;
    if (subject.kind === "Group") return requester.groups.includes(subject.name);
    const ns = subject.namespace || namespace;
    return (
      subject.kind === "ServiceAccount" &&
      ns !== "" &&
      requester.username === `system:serviceaccount:${ns}:${subject.name}`
    );
  };
  const allows = (r: PolicyRule) =>
    ![...(r.apiGroups ?? []), ...(r.resources ?? []), ...(r.verbs ?? [])].some((x) => x.includes("*")) &&
    (r.apiGroups ?? []).includes("driftguard.io") &&
    (r.verbs ?? []).includes("override") &&
    ((r.resourceNames ?? []).length === 0 || (r.resourceNames ?? []).includes(key.name)) &&
    ((r.resources ?? []).includes("deployments") ||
      (g !== "*" && (r.resources ?? []).includes(`deployments/${g}`)));
  const live = (b: RoleBinding) => {
    const at = b.metadata?.annotations?.["driftguard.io/expires-at"];
    return at === undefined || now < Date.parse(at);
  };
  const granting = (b: RoleBinding, namespace: string, rules: PolicyRule[] | null | undefined) =>
    live(b) && (b.subjects ?? []).some((s) => applies(s, namespace)) && (rules ?? []).some(allows);
  const viaRoleBindings = rbac.roleBindings
    .filter((b) => b.metadata?.namespace === key.namespace)
    .filter((b) => {
      const { kind, name } = b.roleRef;
      const found =
        kind === "Role"
          ? rbac.roles.find((r) => r.metadata?.namespace === key.namespace && r.metadata?.name === name)
          : rbac.clusterRoles.find((r) => r.metadata?.name === name);
      return granting(b, key.namespace, found?.rules);
    });
  const viaClusterBindings = rbac.clusterRoleBindings.filter(
    (b) =>
      b.roleRef.kind === "ClusterRole" &&
      granting(b, "", rbac.clusterRoles.find((r) => r.metadata?.name === b.roleRef.name)?.rules),
  );
  return [...viaRoleBindings, ...viaClusterBindings];
}

/** How a description starts for this binding: `RoleBinding ns/name (` or `ClusterRoleBinding name (`. */
function bindingLabel(binding: RoleBinding): string {
  const { name, namespace } = binding.metadata ?? {};
  return namespace ? `RoleBinding ${namespace}/${name} (` : `ClusterRoleBinding ${name} (`;
}

describe("RBAC grants: the index agrees with docs/contract.md §5 read binding by binding (property)", () => {
  const NAMESPACES = ["shop", "ci"];
  const requesters: Requester[] = [ALICE, SHOP_SA, BOB, { username: "carol", groups: [] }];
  const arbitraryRequester = fc.oneof(
    { arbitrary: fc.constantFrom(ALICE, SHOP_SA), weight: 3 },
    fc.constantFrom(...requesters),
  );
  const arbitrarySubject = fc.oneof(
    { arbitrary: fc.constantFrom(user("alice"), group("team-a"), sa("deployer")), weight: 2 },
    fc.constantFrom("alice", "bob", "carol", "system:serviceaccount:shop:deployer").map(user),
    fc.constantFrom("team-a", "team-b", "system:serviceaccounts:shop", "system:serviceaccounts").map(group),
    fc
      .tuple(fc.constantFrom("deployer", "other"), fc.constantFrom(undefined, "shop", "ci"))
      .map(([n, ns]) => sa(n, ns)),
  );
  // Mostly explicit override rules, so that grants are common; now and then a wildcard or another
  // verb or group, which must grant nothing.
  const weighted = <T>(common: T, ...rare: T[]) =>
    fc.oneof({ arbitrary: fc.constant(common), weight: 3 }, fc.constantFrom(...rare));
  const arbitraryRule = fc.record({
    apiGroups: weighted(["driftguard.io"], ["apps"], ["*"], ["apps", "driftguard.io"]),
    resources: fc.oneof(
      {
        arbitrary: fc.constantFrom<string[]>(["deployments/image"], ["deployments"], ["deployments/env"]),
        weight: 4,
      },
      fc.constantFrom<string[]>(
        ["deployments/*"],
        ["*/image"],
        ["*"],
        ["deployments/image", "*/*"],
        ["pods"],
      ),
    ),
    verbs: weighted(["override"], ["get"], ["*"], ["get", "override"]),
    resourceNames: fc.constantFrom<string[]>([], [], ["web"], ["api"], ["web", "api"]),
  });
  const ROLE_NAMES = ["r0", "r1"];
  const arbitraryRules = fc.array(arbitraryRule, { minLength: 1, maxLength: 2 });
  const arbitraryBinding = fc.record({
    namespace: fc.constantFrom(undefined, ...NAMESPACES),
    ref: fc.record({
      kind: fc.constantFrom("Role", "ClusterRole"),
      name: weighted("r0", "r1", "missing"),
    }),
    subjects: fc.array(arbitrarySubject, { minLength: 1, maxLength: 3 }),
    expiry: weighted<string | undefined>(undefined, "2026-11-24T11:00:00Z", "2026-11-24T13:00:00Z"),
  });
  // Every role name exists in each namespace and cluster-wide (a roleRef to "missing" dangles).
  const arbitraryRbac = fc
    .record({
      roles: fc.array(arbitraryRules, { minLength: 4, maxLength: 4 }),
      clusterRoles: fc.array(arbitraryRules, { minLength: 2, maxLength: 2 }),
      bindings: fc.array(arbitraryBinding, { minLength: 1, maxLength: 10 }),
    })
    .map(({ roles, clusterRoles, bindings }) => {
      const expires = (at: string | undefined) => (at ? { "driftguard.io/expires-at": at } : undefined);
      return objects({
        roles: roles.map((rules, i) => role(ROLE_NAMES[i % 2]!, NAMESPACES[i >> 1]!, rules)),
        clusterRoles: clusterRoles.map((rules, i) => clusterRole(ROLE_NAMES[i]!, rules)),
        roleBindings: bindings.flatMap((b, i) =>
          b.namespace === undefined
            ? []
            : [roleBinding(`b${i}`, b.namespace, b.ref, b.subjects, expires(b.expiry))],
        ),
        clusterRoleBindings: bindings.flatMap((b, i) =>
          b.namespace === undefined
            ? [
                {
                  ...crb(`b${i}`, b.ref.name, b.subjects, expires(b.expiry)),
                  roleRef: { apiGroup: "rbac.authorization.k8s.io", ...b.ref },
                },
              ]
            : [],
        ),
      });
    });
  const arbitraryGroup = fc.oneof(
    fc.constantFrom<FieldGroup>("image", "env", "*"),
    fc.constantFrom(...FIELD_GROUPS),
  );

  it("grants exactly when some binding grants, and names the first that does (RoleBindings first)", () => {
    fc.assert(
      fc.property(
        arbitraryRbac,
        arbitraryRequester,
        fc.constantFrom(...NAMESPACES),
        fc.constantFrom("web", "api"),
        arbitraryGroup,
        (rbac, requester, namespace, name, g) => {
          const key = { namespace, name };
          const expected = referenceGrants(rbac, requester, key, g, NOW);
          const named = grantOf(rbac, requester, g, NOW, key);
          if (expected.length === 0) return named === undefined;
          return named?.startsWith(bindingLabel(expected[0]!)) === true;
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("RoleBindings of other namespaces never change the answer", () => {
    fc.assert(
      fc.property(
        arbitraryRbac,
        fc.constantFrom(...requesters),
        fc.constantFrom(...FIELD_GROUPS),
        (rbac, requester, g) => {
          const alone = {
            ...rbac,
            roleBindings: rbac.roleBindings.filter((b) => b.metadata?.namespace === "shop"),
          };
          return grantOf(rbac, requester, g) === grantOf(alone, requester, g);
        },
      ),
    );
  });
});
