// The RBAC objects driftguard reads, as the API serves them (rbac.authorization.k8s.io/v1), reduced to
// the fields that decide a grant. Informers and YAML files both produce these shapes.

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Set by the API server; informers carry it, files may not. */
  resourceVersion?: string;
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
}

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface Role {
  metadata?: ObjectMeta;
  rules?: PolicyRule[] | null;
}

export interface ClusterRole extends Role {
  aggregationRule?: { clusterRoleSelectors?: LabelSelector[] };
}

export interface Subject {
  kind: string;
  name: string;
  namespace?: string;
  apiGroup?: string;
}

export interface RoleRef {
  kind: string;
  name: string;
  apiGroup?: string;
}

export interface RoleBinding {
  metadata?: ObjectMeta;
  subjects?: Subject[] | null;
  roleRef: RoleRef;
}

export type ClusterRoleBinding = RoleBinding;

export interface RbacObjects {
  roles: readonly Role[];
  clusterRoles: readonly ClusterRole[];
  roleBindings: readonly RoleBinding[];
  clusterRoleBindings: readonly ClusterRoleBinding[];
}

/** The annotation that makes a binding a break-glass grant: it stops counting at this RFC 3339 time. */
export const EXPIRES_AT_ANNOTATION = "driftguard.io/expires-at";
/** The API group, verb and resource of driftguard's grants (docs/contract.md §5). */
export const OVERRIDE_GROUP = "driftguard.io";
export const OVERRIDE_VERB = "override";
export const OVERRIDE_RESOURCE = "deployments";
