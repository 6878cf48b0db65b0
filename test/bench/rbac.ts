// Part 4: RBAC grants. A cluster's RBAC objects change often (every chart install, every namespace);
// driftguard rebuilds its grant index after each burst, and every admission request asks it once.
// Measured: the rebuild for 10,000 bindings (the budget is the README's "within a second"), and the
// per-request lookup (it runs inside the decision, so it must stay in microseconds), over a cluster
// where grants are spread thin and over one namespace dense with the per-user, per-Deployment grants
// that denials suggest (the lookup must not grow with the number of grants).

import type { FieldGroup, ObjectKey, Requester } from "../../src/core/types.js";
import { buildGrantIndex, type GrantIndex, grantResolverFor } from "../../src/rbac/grant-index.js";
import type { RbacObjects } from "../../src/rbac/types.js";
import { intBetween, seeded } from "./random.js";
import { below, info, type Row } from "./report.js";
import { percentile, sorted } from "./stats.js";

const NAMESPACES = 500;
const BINDINGS = 10_000;
const GRANTING_SHARE = 0.1; // most bindings in a cluster grant ordinary verbs, not override
const LOOKUPS = 100_000;
const GROUPS: FieldGroup[] = ["replicas", "image", "env", "resources", "delete", "*"];
const DENSE_GRANTS = 5_000; // in one namespace: one per user and Deployment
const DENSE_TEAMS = 500; // ClusterRoleBindings, one per team group

function clusterRbac(): RbacObjects {
  const random = seeded(7);
  const roles = [];
  const roleBindings = [];
  for (let i = 0; i < BINDINGS; i++) {
    const namespace = `ns-${i % NAMESPACES}`;
    const granting = random() < GRANTING_SHARE;
    roles.push({
      metadata: { name: `role-${i}`, namespace },
      rules: granting
        ? [
            {
              apiGroups: ["driftguard.io"],
              resources: [`deployments/${GROUPS[i % 5]}`],
              verbs: ["override"],
              resourceNames: [`app-${i % 7}`],
            },
          ]
        : [{ apiGroups: ["", "apps"], resources: ["pods", "deployments"], verbs: ["get", "list", "watch"] }],
    });
    roleBindings.push({
      metadata: { name: `binding-${i}`, namespace },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: `role-${i}` },
      subjects: [
        { kind: "User", apiGroup: "rbac.authorization.k8s.io", name: `user-${intBetween(random, 0, 999)}` },
      ],
    });
  }
  return { roles, clusterRoles: [], roleBindings, clusterRoleBindings: [] };
}

const rule = (resource: string, resourceNames: string[] = []) => ({
  apiGroups: ["driftguard.io"],
  resources: [resource],
  verbs: ["override"],
  resourceNames,
});
const subject = (kind: string, name: string) => ({ kind, apiGroup: "rbac.authorization.k8s.io", name });
const ref = (kind: string, name: string) => ({ apiGroup: "rbac.authorization.k8s.io", kind, name });

/** One namespace holding thousands of grants (one per user and Deployment), and one binding per team. */
function denseRbac(): RbacObjects {
  const indexes = Array.from({ length: DENSE_GRANTS }, (_, i) => i);
  return {
    roles: indexes.map((i) => ({
      metadata: { name: `override-${i}`, namespace: "hot" },
      rules: [rule("deployments/image", [`app-${i % 50}`])],
    })),
    clusterRoles: [{ metadata: { name: "override-replicas" }, rules: [rule("deployments/replicas")] }],
    roleBindings: indexes.map((i) => ({
      metadata: { name: `override-${i}`, namespace: "hot" },
      roleRef: ref("Role", `override-${i}`),
      subjects: [subject("User", `user-${i % 1000}`)],
    })),
    clusterRoleBindings: Array.from({ length: DENSE_TEAMS }, (_, i) => ({
      metadata: { name: `team-${i}` },
      roleRef: ref("ClusterRole", "override-replicas"),
      subjects: [subject("Group", `team-${i}`)],
    })),
  };
}

interface Question {
  requester: Requester;
  key: ObjectKey;
  group: FieldGroup;
}

/** Microseconds per lookup, for `LOOKUPS` random questions; and how many were granted. */
function timeLookups(index: GrantIndex, question: () => Question) {
  const lookups = new Float64Array(LOOKUPS);
  let granted = 0;
  for (let i = 0; i < LOOKUPS; i++) {
    const { requester, key, group } = question();
    const start = process.hrtime.bigint();
    if (grantResolverFor(index, requester, key, Date.now())?.(group) !== undefined) granted++;
    lookups[i] = Number(process.hrtime.bigint() - start) / 1_000;
  }
  return { us: sorted(lookups), granted };
}

function timeBuilds(objects: RbacObjects) {
  const builds: number[] = [];
  let index = buildGrantIndex(objects);
  for (let i = 0; i < 7; i++) {
    const start = process.hrtime.bigint();
    index = buildGrantIndex(objects);
    builds.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { index, ms: sorted(Float64Array.from(builds)) };
}

export async function runRbac(): Promise<Row[]> {
  const { index, ms: buildMs } = timeBuilds(clusterRbac());
  const random = seeded(11);
  const spread = timeLookups(index, () => ({
    requester: { username: `user-${intBetween(random, 0, 999)}`, groups: ["system:authenticated"] },
    key: {
      namespace: `ns-${intBetween(random, 0, NAMESPACES - 1)}`,
      name: `app-${intBetween(random, 0, 6)}`,
    },
    group: GROUPS[intBetween(random, 0, GROUPS.length - 1)] as FieldGroup,
  }));
  const dense = timeBuilds(denseRbac());
  const hot = timeLookups(dense.index, () => ({
    requester: {
      username: `user-${intBetween(random, 0, 999)}`,
      groups: [
        `team-${intBetween(random, 0, 999)}`,
        `team-${intBetween(random, 0, 999)}`,
        "system:authenticated",
      ],
    },
    key: { namespace: "hot", name: `app-${intBetween(random, 0, 49)}` },
    group: GROUPS[intBetween(random, 0, GROUPS.length - 1)] as FieldGroup,
  }));
  return [
    info(
      "rbac",
      "RBAC objects",
      `${BINDINGS} bindings + ${BINDINGS} roles in ${NAMESPACES} namespaces; ${index.size} grant override`,
    ),
    below("rbac", "grant index rebuild, median", percentile(buildMs, 50), 250, " ms"),
    info("rbac", "grant index rebuild, max", `${percentile(buildMs, 100).toFixed(1)} ms`),
    below("rbac", "grant lookup per request, median", percentile(spread.us, 50), 5, " µs"),
    info(
      "rbac",
      "grant lookup per request, p99",
      `${percentile(spread.us, 99).toFixed(2)} µs (${spread.granted} of ${LOOKUPS} granted)`,
    ),
    info(
      "rbac",
      "dense: RBAC objects",
      `${DENSE_GRANTS} grants in one namespace + ${DENSE_TEAMS} team ClusterRoleBindings; ${dense.index.size} grant override`,
    ),
    below("rbac", "dense: grant lookup per request, median", percentile(hot.us, 50), 5, " µs"),
    info(
      "rbac",
      "dense: grant lookup per request, p99",
      `${percentile(hot.us, 99).toFixed(2)} µs (${hot.granted} of ${LOOKUPS} granted)`,
    ),
  ];
}
