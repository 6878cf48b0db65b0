// The test bed's control plane: etcd, kube-apiserver and kube-controller-manager, real binaries built
// from the Kubernetes modules pinned in test/testbed/go.mod, listening on loopback only.
// kube-controller-manager runs the controllers whose absence would make the API server behave unlike a
// cluster: namespace deletion, garbage collection, Deployments and ReplicaSets (rollout undo), and
// ClusterRole aggregation. It uses per-controller service-account credentials, as kubeadm clusters do,
// so that the namespace controller reaches the webhook under its own name.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { apiGet } from "./api-client.js";
import { makePki, type Pki, type TestUser } from "./pki.js";
import { freePort, type Managed, startProcess, waitFor } from "./processes.js";

export const CONTROLLERS = [
  "namespace-controller",
  "garbage-collector-controller",
  "deployment-controller",
  "replicaset-controller",
  "clusterrole-aggregation-controller",
  "serviceaccount-controller",
];

export interface ControlPlane {
  /** https://127.0.0.1:<port> */
  readonly server: string;
  readonly pki: Pki;
  readonly binDir: string;
  /** The API server's audit log: driftguard's own requests, and writes of Deployments (AUDIT_POLICY). */
  readonly auditLog: string;
  /** A kubeconfig file that authenticates as `user` (one of the static token users). */
  kubeconfig(user: string): string;
  /** Kills kube-apiserver alone (SIGKILL; etcd keeps the data) and starts it again once ready. */
  crashApiServer(downMs: number): Promise<void>;
  /** The API server's /metrics text now, after those read before each crash (counters restart at 0). */
  metricsSoFar(): Promise<string[]>;
  stop(): Promise<void>;
}

export const ADMIN = "admin";
/** driftguard's own identity in the test bed; the API server's audit log records what it asks. */
export const DRIFTGUARD_USER = "driftguard";
const CONTROLLER_MANAGER = "system:kube-controller-manager";
/**
 * driftguard's own requests at Metadata level (rbac.e2e.ts counts them), then every write of a
 * Deployment by anyone else but the controllers at RequestResponse level, only once complete: the log
 * `driftguard replay` reads (replay.e2e.ts; the README shows the same policy).
 */
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    users: [${DRIFTGUARD_USER}]
  - level: None
    users: [${[CONTROLLER_MANAGER, ...CONTROLLERS.map((name) => `system:serviceaccount:kube-system:${name}`)].join(", ")}]
  - level: RequestResponse
    resources: [{group: apps, resources: [deployments, deployments/scale]}]
    verbs: [create, update, patch, delete]
    omitStages: [RequestReceived, ResponseStarted]
  - level: None
`;

export async function startControlPlane(options: {
  binDir: string;
  workDir: string;
  users: readonly TestUser[];
}): Promise<ControlPlane> {
  const { binDir, workDir } = options;
  await mkdir(join(workDir, "pki"), { recursive: true });
  const users: TestUser[] = [
    { name: ADMIN, groups: ["system:masters"] },
    { name: CONTROLLER_MANAGER, groups: [] },
    { name: DRIFTGUARD_USER, groups: [] },
    ...options.users,
  ];
  const pki = await makePki(join(workDir, "pki"), users);
  const etcdPort = await freePort();
  const apiPort = await freePort();
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfigs = new Map<string, string>();
  for (const user of users) {
    const file = join(workDir, `kubeconfig-${user.name.replaceAll(":", "_")}`);
    await writeFile(file, kubeconfigYaml(server, pki.caFile, pki.tokens.get(user.name) ?? ""), {
      mode: 0o600,
    });
    kubeconfigs.set(user.name, file);
  }
  const kubeconfig = (user: string): string => {
    const file = kubeconfigs.get(user);
    if (!file) throw new Error(`no test user named ${user}`);
    return file;
  };

  await writeFile(join(workDir, "audit-policy.yaml"), AUDIT_POLICY);
  const beforeCrashes: string[] = [];
  const etcd = await startEtcd(binDir, workDir, etcdPort);
  // An API server that never gets ready (a missing binary, a bad flag) must not leave etcd running.
  let apiServer: Managed | undefined = await startApiServerProcess(
    binDir,
    workDir,
    pki,
    apiPort,
    etcdPort,
  ).catch(async (error: unknown) => {
    await etcd.stop();
    throw error;
  });
  const controllerManager = startProcess(
    "kube-controller-manager",
    join(binDir, "kube-controller-manager"),
    [
      `--kubeconfig=${kubeconfig(CONTROLLER_MANAGER)}`,
      `--authentication-kubeconfig=${kubeconfig(CONTROLLER_MANAGER)}`,
      `--authorization-kubeconfig=${kubeconfig(CONTROLLER_MANAGER)}`,
      `--controllers=${CONTROLLERS.join(",")}`,
      "--use-service-account-credentials=true",
      `--service-account-private-key-file=${pki.saPrivateKeyFile}`,
      `--root-ca-file=${pki.caFile}`,
      "--leader-elect=false",
      "--bind-address=127.0.0.1",
      `--secure-port=${await freePort()}`,
      // Garbage collection and namespace deletion quickly enough for tests.
      "--concurrent-gc-syncs=5",
      "--namespace-sync-period=10s",
      "-v=1",
    ],
    { logFile: join(workDir, "kube-controller-manager.log") },
  );

  return {
    server,
    pki,
    binDir,
    auditLog: join(workDir, "audit.log"),
    kubeconfig,
    async crashApiServer(downMs) {
      beforeCrashes.push((await apiGet(server, pki.caFile, pki.tokens.get(ADMIN), "/metrics")).text);
      await apiServer?.kill();
      apiServer = undefined;
      await new Promise((resolve) => setTimeout(resolve, downMs));
      apiServer = await startApiServerProcess(binDir, workDir, pki, apiPort, etcdPort);
    },
    async metricsSoFar() {
      return [...beforeCrashes, (await apiGet(server, pki.caFile, pki.tokens.get(ADMIN), "/metrics")).text];
    },
    async stop() {
      await controllerManager.stop();
      await apiServer?.stop();
      await etcd.stop();
    },
  };
}

async function startEtcd(binDir: string, workDir: string, port: number): Promise<Managed> {
  const url = `http://127.0.0.1:${port}`;
  const etcd = startProcess(
    "etcd",
    join(binDir, "etcd"),
    [
      `--data-dir=${join(workDir, "etcd")}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=http://127.0.0.1:${await freePort()}`,
      "--unsafe-no-fsync",
      "--log-level=warn",
    ],
    { logFile: join(workDir, "etcd.log") },
  );
  await waitFor(
    "etcd /health",
    async () => {
      const response = await fetch(`${url}/health`);
      return response.ok ? true : undefined;
    },
    30_000,
    200,
    () => (etcd.isRunning() ? undefined : `etcd exited; see ${etcd.logFile}`),
  );
  return etcd;
}

async function startApiServerProcess(
  binDir: string,
  workDir: string,
  pki: Pki,
  port: number,
  etcdPort: number,
): Promise<Managed> {
  const server = `https://127.0.0.1:${port}`;
  const apiServer = startProcess(
    "kube-apiserver",
    join(binDir, "kube-apiserver"),
    [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${port}`,
      `--tls-cert-file=${pki.certFile}`,
      `--tls-private-key-file=${pki.keyFile}`,
      `--client-ca-file=${pki.caFile}`,
      `--token-auth-file=${pki.tokenFile}`,
      "--authorization-mode=RBAC",
      "--service-cluster-ip-range=10.0.0.0/24",
      `--service-account-issuer=${server}`,
      `--service-account-key-file=${pki.saPublicKeyFile}`,
      `--service-account-signing-key-file=${pki.saPrivateKeyFile}`,
      // No kubelet or scheduler here: Pods stay Pending, and the ServiceAccount admission plugin would
      // only make ReplicaSets wait for each namespace's default ServiceAccount.
      "--disable-admission-plugins=ServiceAccount",
      // Some corpus manifests ask for privileged containers; the API server refuses them otherwise.
      "--allow-privileged=true",
      "--endpoint-reconciler-type=none",
      `--audit-policy-file=${join(workDir, "audit-policy.yaml")}`,
      `--audit-log-path=${join(workDir, "audit.log")}`,
      "--audit-log-mode=blocking",
      "--profiling=false",
      "-v=1",
    ],
    { logFile: join(workDir, "kube-apiserver.log") },
  );
  await waitFor(
    "kube-apiserver /readyz",
    async () => {
      const response = await apiGet(server, pki.caFile, undefined, "/readyz");
      return response.status === 200 ? true : undefined;
    },
    90_000,
    200,
    () => (apiServer.isRunning() ? undefined : `kube-apiserver exited; see ${apiServer.logFile}`),
  );
  return apiServer;
}

function kubeconfigYaml(server: string, caFile: string, token: string): string {
  return `apiVersion: v1
kind: Config
clusters:
  - name: testbed
    cluster: {server: "${server}", certificate-authority: "${caFile}"}
users:
  - name: user
    user: {token: "${token}"}
contexts:
  - name: testbed
    context: {cluster: testbed, user: user}
current-context: testbed
`;
}
