// What the admission service asks of the cluster, answered from memory: RBAC grants (docs/contract.md §5) and
// whether a namespace is being deleted (docs/contract.md §4). Informers (src/kube) or RBAC files (check --rbac)
// provide it; without either, nobody holds an RBAC grant and no namespace is terminating.
import { aggregateClusterRoles } from "../rbac/aggregate.js";
import { buildGrantIndex, grantResolverFor } from "../rbac/grant-index.js";
import type { RbacObjects } from "../rbac/types.js";
import type { ClusterView } from "./contract.js";

export type { ClusterView } from "./contract.js";

/** RBAC objects from files, aggregated as the controller would; no namespace is terminating. */
export function staticClusterView(objects: RbacObjects, now: () => number = Date.now): ClusterView {
  const index = buildGrantIndex({ ...objects, clusterRoles: aggregateClusterRoles(objects.clusterRoles) });
  return {
    grantsFor: (requester, key) => grantResolverFor(index, requester, key, now()),
    namespaceTerminating: () => false,
  };
}
