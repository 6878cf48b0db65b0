// A generated, seeded set of Roles, ClusterRoles and bindings without wildcards, and the questions to
// ask of it: may this subject override field group G of Deployment N in namespace NS? The same set
// goes to the real API server (whose SubjectAccessReview is the reference) and to driftguard.
import { FIELD_GROUPS } from "../../../src/core/types.js";
import { type Random, seeded } from "../../bench/random.js";

export const RBAC_NAMESPACES = ["rbac-a", "rbac-b", "rbac-c"];
export const DEPLOYMENT_NAMES = ["n1", "n2", "n3", "n4"];
/** Every field group, `*` included: the questions asked for each subject, namespace and name. */
export const QUESTION_GROUPS = FIELD_GROUPS;

export interface Who {
  username: string;
  groups: string[];
  /** How a binding names it. */
  subject: Record<string, string>;
}

/** Users with overlapping groups, and service accounts with the groups the API server gives them. */
export function subjects(): Who[] {
  // 16 users in overlapping groups g1..g6 (u1 in g1, u2 in g2, ..., u7 in g1 and g2, ...), and 4
  // service accounts with the groups the API server gives them.
  const users: Who[] = Array.from({ length: 16 }, (_, i) => {
    const name = `u${i + 1}`;
    const groups = i < 6 ? [`g${i + 1}`] : i < 12 ? [`g${(i % 6) + 1}`, `g${((i + 1) % 6) + 1}`] : [];
    return {
      username: name,
      groups: [...groups, "system:authenticated"],
      subject: { kind: "User", apiGroup: "rbac.authorization.k8s.io", name },
    };
  });
  const accounts: Who[] = [
    ["rbac-a", "sa1"],
    ["rbac-a", "sa2"],
    ["rbac-b", "sa3"],
    ["rbac-c", "sa4"],
  ].map(([ns, name]) => ({
    username: `system:serviceaccount:${ns}:${name}`,
    groups: ["system:serviceaccounts", `system:serviceaccounts:${ns}`, "system:authenticated"],
    subject: { kind: "ServiceAccount", name: name as string, namespace: ns as string },
  }));
  return [...users, ...accounts];
}

const GROUP_SUBJECTS: Record<string, string>[] = ["g1", "g2", "g3", "system:serviceaccounts:rbac-a"].map(
  (name) => ({
    kind: "Group",
    apiGroup: "rbac.authorization.k8s.io",
    name,
  }),
);

const RESOURCES = [
  "deployments",
  "deployments/image",
  "deployments/replicas",
  "deployments/env",
  "deployments/delete",
  "deployments/metadata",
  "deployments/resources",
  "deployments/restart",
  "deployments/paused",
  "pods",
];
// Mostly narrow grants, and many rules that look close but grant nothing: the set must exercise both.
const API_GROUPS = [["driftguard.io"], ["driftguard.io"], ["apps"], ["driftguard.io", "apps"], ["policy"]];
const VERBS = [["override"], ["override"], ["get"], ["override", "get"], ["update"], ["patch"]];
const RESOURCE_NAMES = [[], ["n1"], ["n1", "n2"], ["n3"], ["n2", "n4"]];

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function some<T>(random: Random, items: readonly T[], max: number): T[] {
  const count = 1 + Math.floor(random() * max);
  return [...new Set(Array.from({ length: count }, () => pick(random, items)))];
}

function rules(random: Random) {
  return Array.from({ length: 1 + Math.floor(random() * 2) }, () => {
    const resourceNames = pick(random, RESOURCE_NAMES);
    return {
      apiGroups: pick(random, API_GROUPS),
      resources: some(random, random() < 0.15 ? RESOURCES : RESOURCES.slice(1), 2),
      verbs: pick(random, VERBS),
      ...(resourceNames.length > 0 ? { resourceNames } : {}),
    };
  });
}

/** `bindings` bindings (RoleBindings and ClusterRoleBindings) over 40 roles, as one kubectl List. */
export function generateRbac(
  seed: number,
  bindings: number,
): { list: Record<string, unknown>; bindings: number } {
  const random = seeded(seed);
  const items: Record<string, unknown>[] = [];
  const who = subjects();
  for (let i = 0; i < 20; i++) {
    items.push({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: `e2e-override-${i}` },
      rules: rules(random),
    });
    const namespace = pick(random, RBAC_NAMESPACES);
    items.push({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: `e2e-override-${i}`, namespace },
      rules: rules(random),
    });
  }
  for (let i = 0; i < bindings; i++) {
    const subjectsOf = Array.from({ length: 1 + Math.floor(random() * 2) }, () =>
      random() < 0.3
        ? pick(random, GROUP_SUBJECTS)
        : withOptionalNamespace(random, pick(random, who).subject),
    );
    const role = `e2e-override-${Math.floor(random() * 21)}`; // 20 is never created: a dangling roleRef
    if (random() < 0.15) {
      items.push({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { name: `e2e-binding-${i}` },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
        subjects: subjectsOf.map((s) =>
          s.kind === "ServiceAccount" && !s.namespace ? { ...s, namespace: "rbac-a" } : s,
        ),
      });
    } else {
      items.push({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: `e2e-binding-${i}`, namespace: pick(random, RBAC_NAMESPACES) },
        roleRef: {
          apiGroup: "rbac.authorization.k8s.io",
          kind: random() < 0.5 ? "Role" : "ClusterRole",
          name: role,
        },
        subjects: subjectsOf,
      });
    }
  }
  return { list: { apiVersion: "v1", kind: "List", items }, bindings };
}

/** A RoleBinding may leave a service account's namespace out: it means the binding's own namespace. */
function withOptionalNamespace(random: Random, subject: Record<string, string>): Record<string, string> {
  if (subject.kind !== "ServiceAccount" || random() < 0.7) return subject;
  const { namespace: _dropped, ...rest } = subject;
  return rest;
}
