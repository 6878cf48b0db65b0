// Checks an RBAC object from a file the way the API server would before storing it, as far as the
// grant index and the aggregation read it. In a cluster only valid objects exist; offline, a file can
// hold anything, and a wrong shape must neither crash the index nor read as a grant: a string where a
// list belongs (`verbs: overrides-nothing`) would otherwise be searched as text, and match `override`.
// Pure. Returns the first problem as `<field path> <what is wrong>`.

type Json = Record<string, unknown>;
type Check = string | undefined;

const RBAC_GROUP = "rbac.authorization.k8s.io";
const OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"];

export type RbacKind = "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding";

export function rbacObjectProblem(kind: RbacKind, object: Json): Check {
  const namespaced = kind === "Role" || kind === "RoleBinding";
  const problem = metadataProblem(object.metadata, namespaced);
  if (problem !== undefined) return problem;
  switch (kind) {
    case "Role":
      return rulesProblem(object.rules);
    case "ClusterRole":
      return rulesProblem(object.rules) ?? aggregationProblem(object.aggregationRule);
    case "RoleBinding":
    case "ClusterRoleBinding":
      return roleRefProblem(object.roleRef, kind) ?? subjectsProblem(object.subjects, namespaced);
  }
}

function metadataProblem(metadata: unknown, namespaced: boolean): Check {
  if (!isObject(metadata)) return "metadata is missing";
  if (typeof metadata.name !== "string" || metadata.name === "") return "metadata.name is missing";
  if (namespaced && (typeof metadata.namespace !== "string" || metadata.namespace === "")) {
    return "metadata.namespace is missing (kubectl would use the namespace of the apply; write it in the file)";
  }
  return (
    stringMap(metadata.labels, "metadata.labels") ?? stringMap(metadata.annotations, "metadata.annotations")
  );
}

function rulesProblem(rules: unknown): Check {
  if (rules === undefined || rules === null) return undefined;
  if (!Array.isArray(rules)) return "rules must be a list";
  for (const [i, rule] of rules.entries()) {
    const at = `rules[${i}]`;
    if (!isObject(rule)) return `${at} must be an object`;
    for (const field of ["apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs"]) {
      const problem = stringList(rule[field], `${at}.${field}`);
      if (problem !== undefined) return problem;
    }
  }
  return undefined;
}

function aggregationProblem(rule: unknown): Check {
  if (rule === undefined || rule === null) return undefined;
  if (!isObject(rule)) return "aggregationRule must be an object";
  const selectors = rule.clusterRoleSelectors;
  if (!Array.isArray(selectors) || selectors.length === 0) {
    return "aggregationRule.clusterRoleSelectors must list at least one selector";
  }
  for (const [i, selector] of selectors.entries()) {
    const problem = selectorProblem(selector, `aggregationRule.clusterRoleSelectors[${i}]`);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function selectorProblem(selector: unknown, at: string): Check {
  if (!isObject(selector)) return `${at} must be an object`;
  const labels = stringMap(selector.matchLabels, `${at}.matchLabels`);
  if (labels !== undefined) return labels;
  const expressions = selector.matchExpressions;
  if (expressions === undefined || expressions === null) return undefined;
  if (!Array.isArray(expressions)) return `${at}.matchExpressions must be a list`;
  for (const [i, expression] of expressions.entries()) {
    const problem = expressionProblem(expression, `${at}.matchExpressions[${i}]`);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function expressionProblem(expression: unknown, at: string): Check {
  if (!isObject(expression)) return `${at} must be an object`;
  if (typeof expression.key !== "string" || expression.key === "") return `${at}.key is missing`;
  const { operator, values } = expression;
  if (typeof operator !== "string" || !OPERATORS.includes(operator)) {
    return `${at}.operator must be one of ${OPERATORS.join(", ")}`;
  }
  const listed = stringList(values, `${at}.values`);
  if (listed !== undefined) return listed;
  const count = Array.isArray(values) ? values.length : 0;
  if ((operator === "In" || operator === "NotIn") && count === 0)
    return `${at}.values must not be empty for ${operator}`;
  if ((operator === "Exists" || operator === "DoesNotExist") && count > 0) {
    return `${at}.values must be empty for ${operator}`;
  }
  return undefined;
}

function roleRefProblem(ref: unknown, kind: RbacKind): Check {
  if (!isObject(ref)) return "roleRef is missing";
  const kinds = kind === "RoleBinding" ? ["Role", "ClusterRole"] : ["ClusterRole"];
  if (typeof ref.kind !== "string" || !kinds.includes(ref.kind))
    return `roleRef.kind must be ${kinds.join(" or ")}`;
  if (typeof ref.name !== "string" || ref.name === "") return "roleRef.name is missing";
  // Left out, the API server fills it in; anything else it refuses.
  if (!blankOr(ref.apiGroup, RBAC_GROUP)) return `roleRef.apiGroup must be ${RBAC_GROUP}`;
  return undefined;
}

function subjectsProblem(subjects: unknown, namespaced: boolean): Check {
  if (subjects === undefined || subjects === null) return undefined;
  if (!Array.isArray(subjects)) return "subjects must be a list";
  for (const [i, subject] of subjects.entries()) {
    const problem = subjectProblem(subject, `subjects[${i}]`, namespaced);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function subjectProblem(subject: unknown, at: string, namespaced: boolean): Check {
  if (!isObject(subject)) return `${at} must be an object`;
  const { kind, name, namespace, apiGroup } = subject;
  if (typeof name !== "string" || name === "") return `${at}.name is missing`;
  if (namespace !== undefined && typeof namespace !== "string") return `${at}.namespace must be a string`;
  if (kind === "ServiceAccount") {
    if (!blankOr(apiGroup, "")) return `${at}.apiGroup must be empty for a ServiceAccount`;
    if (!namespaced && !namespace) return `${at}.namespace is missing (a ClusterRoleBinding names it)`;
    return undefined;
  }
  if (kind !== "User" && kind !== "Group") return `${at}.kind must be User, Group or ServiceAccount`;
  // The API server fills in the group of User and Group subjects when it is left out.
  return blankOr(apiGroup, RBAC_GROUP) ? undefined : `${at}.apiGroup must be ${RBAC_GROUP}`;
}

/** Absent, empty, or the one value allowed. */
function blankOr(value: unknown, allowed: string): boolean {
  return value === undefined || value === null || value === "" || value === allowed;
}

function stringList(value: unknown, at: string): Check {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) return `${at} must be a list of strings`;
  const index = value.findIndex((item) => typeof item !== "string");
  return index < 0 ? undefined : `${at}[${index}] must be a string (quote it)`;
}

function stringMap(value: unknown, at: string): Check {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) return `${at} must be a map of strings`;
  const key = Object.keys(value).find((k) => typeof value[k] !== "string");
  return key === undefined ? undefined : `${at}[${JSON.stringify(key)}] must be a string (quote it)`;
}

export function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
