// Part 4: RBAC grants. A cluster's RBAC objects change often (every chart install, every namespace);
// driftguard rebuilds its grant index after each burst, and every admission request asks it once.
// Measured: the rebuild for 10,000 bindings (the budget is the SPEC's "within a second"), and the
// per-request lookup (it runs inside the decision, so it must stay in microseconds).

import type { FieldGroup } from "../../src/core/types.js";
import { buildGrantIndex, grantResolverFor } from "../../src/rbac/grant-index.js";
import type { RbacObjects } from "../../src/rbac/types.js";
import { intBetween, seeded } from "./random.js";
import { below, info, type Row } from "./report.js";
import { percentile, sorted } from "./stats.js";

const NAMESPACES = 500;
const BINDINGS = 10_000;
const GRANTING_SHARE = 0.1; // most bindings in a cluster grant ordinary verbs, not override
const LOOKUPS = 100_000;
const GROUPS: FieldGroup[] = ["replicas", "image", "env", "resources", "delete", "*"];

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

export async function runRbac(): Promise<Row[]> {
  const objects = clusterRbac();
  const builds: number[] = [];
  let index = buildGrantIndex(objects);
  for (let i = 0; i < 7; i++) {
    const start = process.hrtime.bigint();
    index = buildGrantIndex(objects);
    builds.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const random = seeded(11);
  const lookups = new Float64Array(LOOKUPS);
  let granted = 0;
  for (let i = 0; i < LOOKUPS; i++) {
    const requester = { username: `user-${intBetween(random, 0, 999)}`, groups: ["system:authenticated"] };
    const key = {
      namespace: `ns-${intBetween(random, 0, NAMESPACES - 1)}`,
      name: `app-${intBetween(random, 0, 6)}`,
    };
    const group = GROUPS[intBetween(random, 0, GROUPS.length - 1)] as FieldGroup;
    const start = process.hrtime.bigint();
    if (grantResolverFor(index, requester, key, Date.now())?.(group) !== undefined) granted++;
    lookups[i] = Number(process.hrtime.bigint() - start) / 1_000;
  }
  const buildMs = sorted(Float64Array.from(builds));
  const lookupUs = sorted(lookups);
  return [
    info(
      "rbac",
      "RBAC objects",
      `${BINDINGS} bindings + ${BINDINGS} roles in ${NAMESPACES} namespaces; ${index.size} grant override`,
    ),
    below("rbac", "grant index rebuild, median", percentile(buildMs, 0.5), 250, " ms"),
    info("rbac", "grant index rebuild, max", `${percentile(buildMs, 1).toFixed(1)} ms`),
    below("rbac", "grant lookup per request, median", percentile(lookupUs, 0.5), 5, " µs"),
    info(
      "rbac",
      "grant lookup per request, p99",
      `${percentile(lookupUs, 0.99).toFixed(2)} µs (${granted} of ${LOOKUPS} granted)`,
    ),
  ];
}
