// What the e2e run puts into the fresh cluster before driftguard's webhook is registered: test users'
// RBAC, the GitOps and HPA service accounts with real tokens, namespaces, and Deployments with a
// rollout history (so that `rollout undo` has a revision to go back to).
import { join } from "node:path";
import { REPO_ROOT } from "./driftguard.js";
import { writeKubeconfigWithToken } from "./kubeconfig.js";
import { kubectlOk } from "./kubectl.js";
import {
  ARGOCD_NS,
  AUDIT_NS,
  DOOMED_NS,
  ENFORCE_NS,
  FLOW_NS,
  OLD_IMAGE,
  webDeployment,
  yamlOf,
} from "./manifests.js";
import { waitFor } from "./processes.js";
import type { TestbedInfo } from "./testbed-info.js";

/** Plain users (static tokens) and the groups the API server gives them. */
export const ALICE = { name: "alice", groups: ["team-a"] };
export const BOB = { name: "bob", groups: ["team-b"] };
/** Service-account identities, by the name tests use for their kubeconfig. */
export const GITOPS = { key: "gitops", namespace: ARGOCD_NS, name: "argocd-application-controller" };
export const HPA = { key: "hpa", namespace: "kube-system", name: "horizontal-pod-autoscaler" };

// What a developer team typically holds on Deployments (the built-in `edit` role's share of them).
const EDITOR_ROLE = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: e2e-deployment-editor}
rules:
  - apiGroups: [apps]
    resources: [deployments, deployments/scale, deployments/rollback]
    verbs: [get, list, watch, create, update, patch, delete]
  - apiGroups: [apps]
    resources: [replicasets]
    verbs: [get, list, watch]
  - apiGroups: [""]
    resources: [pods, namespaces, events]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: e2e-deployment-editors}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: e2e-deployment-editor}
subjects:
  - {kind: Group, apiGroup: rbac.authorization.k8s.io, name: team-a}
  - {kind: Group, apiGroup: rbac.authorization.k8s.io, name: team-b}
  - {kind: ServiceAccount, name: ${GITOPS.name}, namespace: ${GITOPS.namespace}}
  - {kind: ServiceAccount, name: ${HPA.name}, namespace: ${HPA.namespace}}
`;

// What driftguard itself may do (the chart's ClusterRole says the same): watch RBAC objects,
// namespaces and Deployments (the live scan), write its drift Events and the Reports, and hold the
// writers' Lease (the chart's Role limits it to the release namespace; here any). Nothing else: no Secrets.
export const DRIFTGUARD_ROLE = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: driftguard}
rules:
  - apiGroups: [rbac.authorization.k8s.io]
    resources: [roles, clusterroles, rolebindings, clusterrolebindings]
    verbs: [get, list, watch]
  - apiGroups: [""]
    resources: [namespaces]
    verbs: [get, list, watch]
  - apiGroups: [events.k8s.io]
    resources: [events]
    verbs: [create, patch, list]
  - apiGroups: [openreports.io]
    resources: [reports]
    verbs: [get, list, watch, create, update, patch, delete]
  - apiGroups: [wgpolicyk8s.io]
    resources: [policyreports]
    verbs: [get, list, watch, create, update, patch, delete]
  - apiGroups: [coordination.k8s.io]
    resources: [leases]
    verbs: [get, create, update]
  - apiGroups: [apps]
    resources: [deployments]
    verbs: [get, list, watch]
  - apiGroups: [driftguard.io]
    resources: [decisionrecords]
    verbs: [create, list, delete]
  # The web view beyond loopback: who a caller's token is, and what their own RBAC lets them read.
  - apiGroups: [authentication.k8s.io]
    resources: [tokenreviews]
    verbs: [create]
  - apiGroups: [authorization.k8s.io]
    resources: [subjectaccessreviews]
    verbs: [create]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: driftguard}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: driftguard}
subjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: driftguard}]
`;

export async function prepareCluster(
  testbed: TestbedInfo,
  corpusNamespaces: readonly string[],
): Promise<void> {
  const admin = (args: string[], input?: string) =>
    kubectlOk(testbed, "admin", args, input === undefined ? {} : { input });
  // A set: a corpus may name a namespace of the scenarios (or two corpora the same one).
  for (const ns of new Set([ENFORCE_NS, AUDIT_NS, FLOW_NS, DOOMED_NS, ARGOCD_NS, ...corpusNamespaces])) {
    await admin(["create", "namespace", ns]);
  }
  await installReportCrds(testbed);
  await installDecisionRecordCrd(testbed);
  await admin(["apply", "-f", "-"], EDITOR_ROLE);
  await admin(["apply", "-f", "-"], DRIFTGUARD_ROLE);
  for (const account of [GITOPS, HPA]) {
    await admin(["create", "serviceaccount", account.name, "-n", account.namespace]);
    const token = (
      await admin(["create", "token", account.name, "-n", account.namespace, "--duration=3h"])
    ).trim();
    const file = join(testbed.workDir, `kubeconfig-${account.key}`);
    await writeKubeconfigWithToken(testbed, file, token);
    testbed.kubeconfigs[account.key] = file;
  }
  // History first: each `web` ran OLD_IMAGE before Git's image, as if deployed before driftguard.
  for (const ns of [ENFORCE_NS, AUDIT_NS]) {
    await admin(["apply", "-f", "-"], yamlOf(webDeployment({ namespace: ns, image: OLD_IMAGE })));
    await waitForReplicaSets(testbed, ns, "web", 1);
    await admin(["apply", "-f", "-"], yamlOf(webDeployment({ namespace: ns })));
    await waitForReplicaSets(testbed, ns, "web", 2);
  }
  // Drift that predates driftguard: a request that brings it back to Git must pass.
  await admin(
    ["apply", "-f", "-"],
    yamlOf(webDeployment({ name: "drifted", namespace: ENFORCE_NS, image: OLD_IMAGE })),
  );
  for (const manifest of [
    webDeployment({ name: "autoscaled", namespace: ENFORCE_NS, replicas: null }),
    webDeployment({ name: "synced", namespace: ENFORCE_NS }),
    webDeployment({ name: "guarded", namespace: ENFORCE_NS }),
    webDeployment({ name: "probe", namespace: ENFORCE_NS }),
    webDeployment({ name: "flow", namespace: FLOW_NS }),
    // A finalizer that only the test removes keeps the namespace Terminating while `one` is there.
    withFinalizer(webDeployment({ name: "one", namespace: DOOMED_NS }), HOLD_FINALIZER),
    webDeployment({ name: "two", namespace: DOOMED_NS }),
  ]) {
    await admin(["apply", "-f", "-"], yamlOf(manifest));
  }
}

export const HOLD_FINALIZER = "e2e.driftguard.io/hold";

/** The chart's optional CRDs, the very files it installs with reports.installCRDs, before driftguard starts. */
export const REPORT_CRDS_DIR = join(REPO_ROOT, "charts", "driftguard", "crds-optional");

async function installReportCrds(testbed: TestbedInfo): Promise<void> {
  await kubectlOk(testbed, "admin", ["apply", "-f", REPORT_CRDS_DIR]);
  await kubectlOk(testbed, "admin", [
    ...["wait", "--for=condition=Established", "--timeout=60s"],
    ...["crd/reports.openreports.io", "crd/clusterreports.openreports.io"],
    ...["crd/policyreports.wgpolicyk8s.io", "crd/clusterpolicyreports.wgpolicyk8s.io"],
  ]);
}

/** driftguard's own DecisionRecord CRD, the very file the chart installs (history.installCRD). */
export const DECISION_RECORD_CRD = join(
  REPO_ROOT,
  "charts",
  "driftguard",
  "crds-driftguard",
  "driftguard.io_decisionrecords.yaml",
);

async function installDecisionRecordCrd(testbed: TestbedInfo): Promise<void> {
  await kubectlOk(testbed, "admin", ["apply", "-f", DECISION_RECORD_CRD]);
  await kubectlOk(testbed, "admin", [
    ...["wait", "--for=condition=Established", "--timeout=60s"],
    "crd/decisionrecords.driftguard.io",
  ]);
}

function withFinalizer(manifest: Record<string, unknown>, finalizer: string): Record<string, unknown> {
  const metadata = manifest.metadata as Record<string, unknown>;
  return { ...manifest, metadata: { ...metadata, finalizers: [finalizer] } };
}

async function waitForReplicaSets(
  testbed: TestbedInfo,
  ns: string,
  app: string,
  count: number,
): Promise<void> {
  await waitFor(
    `${count} ReplicaSet(s) of ${ns}/${app}`,
    async () => {
      const out = await kubectlOk(testbed, "admin", [
        "get",
        "rs",
        "-n",
        ns,
        "-l",
        `app=${app}`,
        "-o",
        "name",
      ]);
      return out.trim().split("\n").filter(Boolean).length >= count ? true : undefined;
    },
    60_000,
  );
}

export interface WebhookScope {
  /** Only these namespaces (a test's own replicas); by default all but kube-system and driftguard. */
  namespaces?: readonly string[];
  /** The webhook's name, by which the API server labels its metrics; default the chart's. */
  webhook?: string;
}

/** driftguard's ValidatingWebhookConfiguration as the chart writes it. */
export function webhookConfiguration(
  name: string,
  url: string,
  caPem: string,
  { namespaces, webhook = "deployments.driftguard.io" }: WebhookScope = {},
): string {
  const selector =
    namespaces === undefined
      ? "{key: kubernetes.io/metadata.name, operator: NotIn, values: [kube-system, driftguard]}"
      : `{key: kubernetes.io/metadata.name, operator: In, values: [${namespaces.join(", ")}]}`;
  return `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: ${name}}
webhooks:
  - name: ${webhook}
    admissionReviewVersions: [v1]
    clientConfig:
      url: ${url}/validate
      caBundle: ${Buffer.from(caPem).toString("base64")}
    rules:
      - apiGroups: [apps]
        apiVersions: ["*"]
        resources: [deployments, deployments/scale]
        operations: [CREATE, UPDATE, DELETE]
        scope: Namespaced
    matchPolicy: Equivalent
    # driftguard writes nothing for a dry-run request (docs/contract.md §4).
    sideEffects: NoneOnDryRun
    failurePolicy: Fail
    timeoutSeconds: 10
    namespaceSelector:
      matchExpressions:
        - ${selector}
`;
}
