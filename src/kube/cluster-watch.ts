// What driftguard knows of the cluster, kept in memory by watches: RBAC objects (for exemptions granted
// with verb `override`, docs/contract.md §5) and Namespaces (deletes in a terminating namespace pass, docs/contract.md §4).
// Admission requests read the prebuilt grant index; nothing here is called on the request path.
import {
  CoreV1Api,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  RbacAuthorizationV1Api,
  type V1Namespace,
} from "@kubernetes/client-node";
import type pino from "pino";
import type { ClusterView } from "../admission/contract.js";
import type { GrantResolver } from "../core/exemptions.js";
import type { ObjectKey, Requester } from "../core/types.js";
import {
  buildGrantIndex,
  type ExpiredGrant,
  expiredGrants,
  type GrantIndex,
  grantResolverFor,
} from "../rbac/grant-index.js";
import type { ClusterRole, ClusterRoleBinding, RbacObjects, Role, RoleBinding } from "../rbac/types.js";
import { type CollectionStatus, type WatchedCollection, watchCollection } from "./watched-collection.js";

export interface ClusterWatchOptions {
  kubeConfig: KubeConfig;
  logger: pino.Logger;
  /** A fresh list and watch this often, whatever happens (guards against silently dead watches). */
  resyncMs: number;
  now?: () => number;
}

export interface ClusterWatch extends ClusterView {
  readonly firstSync: Promise<void>;
  /** Watch states, bindings that grant override now, and index rebuilds so far (for /readyz). */
  status(): { collections: CollectionStatus[]; grants: number; rebuilds: number };
  /** Times the grant index was rebuilt (tests and metrics). */
  rebuilds(): number;
  /** Break-glass grants expired at `at` (the in-cluster revert, docs/contract.md §11). */
  expiredGrants(at: number): ExpiredGrant[];
  stop(): Promise<void>;
}

const RBAC = "/apis/rbac.authorization.k8s.io/v1";

export function watchCluster(options: ClusterWatchOptions): ClusterWatch {
  const rbacApi = options.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
  const coreApi = options.kubeConfig.makeApiClient(CoreV1Api);
  const now = options.now ?? Date.now;
  let index: GrantIndex = buildGrantIndex(emptyObjects());
  let rebuilds = 0;
  let pending: NodeJS.Timeout | undefined;

  const rebuildNow = () => {
    clearTimeout(pending);
    pending = undefined;
    index = buildGrantIndex(rbacObjects());
    rebuilds++;
  };
  // Changes arrive in bursts (a chart install, a relist): rebuild once per burst, within a second.
  const scheduleRebuild = () => {
    pending ??= setTimeout(rebuildNow, 50);
  };
  const watch = <T extends KubernetesObject>(
    name: string,
    path: string,
    list: () => Promise<KubernetesListObject<T>>,
    onChange: () => void,
  ) =>
    watchCollection({
      kubeConfig: options.kubeConfig,
      logger: options.logger,
      resyncMs: options.resyncMs,
      now,
      name,
      path,
      list,
      onChange,
    });
  const roles = watch("roles", `${RBAC}/roles`, () => rbacApi.listRoleForAllNamespaces(), scheduleRebuild);
  const clusterRoles = watch(
    "clusterroles",
    `${RBAC}/clusterroles`,
    () => rbacApi.listClusterRole(),
    scheduleRebuild,
  );
  const roleBindings = watch(
    "rolebindings",
    `${RBAC}/rolebindings`,
    () => rbacApi.listRoleBindingForAllNamespaces(),
    scheduleRebuild,
  );
  const clusterRoleBindings = watch(
    "clusterrolebindings",
    `${RBAC}/clusterrolebindings`,
    () => rbacApi.listClusterRoleBinding(),
    scheduleRebuild,
  );
  // Namespaces are read per request (terminating or not); nothing to rebuild.
  const namespaces = watch<V1Namespace>(
    "namespaces",
    "/api/v1/namespaces",
    () => coreApi.listNamespace(),
    () => {},
  );
  const collections: WatchedCollection<KubernetesObject>[] = [
    roles,
    clusterRoles,
    roleBindings,
    clusterRoleBindings,
    namespaces,
  ];

  // The informers hold client-node's model objects; RBAC's field names are the API's own, so they
  // read as the plain shapes the grant index takes.
  function rbacObjects(): RbacObjects {
    return {
      roles: roles.list() as unknown as Role[],
      clusterRoles: clusterRoles.list() as unknown as ClusterRole[],
      roleBindings: roleBindings.list() as unknown as RoleBinding[],
      clusterRoleBindings: clusterRoleBindings.list() as unknown as ClusterRoleBinding[],
    };
  }

  return {
    // Readiness waits for this: the index must hold every listed grant by then, not 50 ms later.
    firstSync: Promise.all(collections.map((c) => c.firstSync)).then(rebuildNow),
    grantsFor(requester: Requester, key: ObjectKey): GrantResolver | undefined {
      return grantResolverFor(index, requester, key, now());
    },
    namespaceTerminating(namespace: string): boolean {
      const found = namespaces.get(namespace);
      return (
        found !== undefined && (found.status?.phase === "Terminating" || !!found.metadata?.deletionTimestamp)
      );
    },
    status: () => ({ collections: collections.map((c) => c.status()), grants: index.size, rebuilds }),
    rebuilds: () => rebuilds,
    expiredGrants: (at) => expiredGrants(index, at),
    async stop() {
      clearTimeout(pending);
      await Promise.all(collections.map((c) => c.stop()));
    },
  };
}

function emptyObjects(): RbacObjects {
  return { roles: [], clusterRoles: [], roleBindings: [], clusterRoleBindings: [] };
}
