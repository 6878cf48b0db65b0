// Aggregated ClusterRoles, filled the way kube-controller-manager's clusterrole-aggregation controller
// fills them: the union of the rules of every ClusterRole whose labels match one of the selectors.
// In a cluster the controller has already done this and the stored rules are read as they are; the
// offline loader (`driftguard check --rbac DIR`) does it itself so that both agree.
import type { ClusterRole, LabelSelector, PolicyRule } from "./types.js";

export function aggregateClusterRoles(roles: readonly ClusterRole[]): ClusterRole[] {
  let current = roles.map((role) => ({ ...role }));
  // Aggregated roles can select other aggregated roles: repeat until nothing changes (bounded).
  for (let round = 0; round < roles.length + 1; round++) {
    let changed = false;
    current = current.map((role) => {
      const selectors = role.aggregationRule?.clusterRoleSelectors;
      if (!selectors) return role;
      const rules = aggregatedRules(role, selectors, current);
      if (JSON.stringify(rules) === JSON.stringify(role.rules ?? [])) return role;
      changed = true;
      return { ...role, rules };
    });
    if (!changed) break;
  }
  return current;
}

function aggregatedRules(
  self: ClusterRole,
  selectors: readonly LabelSelector[],
  roles: readonly ClusterRole[],
) {
  const rules: PolicyRule[] = [];
  const seen = new Set<string>();
  const sources = roles
    .filter((role) => role.metadata?.name !== self.metadata?.name)
    .filter((role) => selectors.some((selector) => selects(selector, role.metadata?.labels ?? {})))
    .sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
  for (const role of sources) {
    for (const rule of role.rules ?? []) {
      const key = JSON.stringify(rule);
      if (!seen.has(key)) {
        seen.add(key);
        rules.push(rule);
      }
    }
  }
  return rules;
}

/** A Kubernetes label selector; an empty one selects everything. */
export function selects(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {}))
    if (labels[key] !== value) return false;
  return (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    const has = Object.hasOwn(labels, key);
    switch (operator) {
      case "In":
        return has && values.includes(labels[key] ?? "");
      case "NotIn":
        return !has || !values.includes(labels[key] ?? "");
      case "Exists":
        return has;
      case "DoesNotExist":
        return !has;
      default:
        return false;
    }
  });
}
