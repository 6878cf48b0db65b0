// A one-node cluster on this machine for test/kubelet: the test bed's etcd, kube-apiserver and
// kube-controller-manager (test/testbed/build.sh), plus kube-scheduler and a kubelet built from the same
// Kubernetes module (scripts/kubelet.sh), with Debian's containerd and runc as the CRI runtime and
// Debian's CNI plugins (bridge, host-local, loopback) for pod networking.
//
// Networking without kube-proxy: the API server listens on the `kubernetes` Service's own cluster IP,
// which this host holds on loopback, on the Service's port 443. Pods reach it through their
// default gateway (the bridge), so the in-cluster config that the kubelet injects
// (KUBERNETES_SERVICE_HOST/PORT) works unchanged. The API server calls webhooks at the endpoint IP
// (--enable-aggregator-routing), which the host reaches over the bridge.
//
// Differs from test/e2e/support/control-plane.ts where pods need it: the ServiceAccount admission plugin
// on, Node authorization, the endpoints, EndpointSlice, disruption, node-lifecycle and root-CA publisher
// controllers, and an API server certificate for the Service's IP.
import { execFile } from "node:child_process";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateCertificates } from "../../src/certs/generate.js";
import { CONTROLLERS } from "../e2e/support/control-plane.js";
import { makePki } from "../e2e/support/pki.js";
import { freePort, type Managed, startProcess, waitFor } from "../e2e/support/processes.js";
import { type HttpsResponse, sendHttps } from "../support/tls/https-client.js";

export const NODE_NAME = "dg-node";
/** The `kubernetes` Service's cluster IP (the first of the range), held by this host. */
export const API_ADDRESS = "10.96.77.1";
const SERVICE_RANGE = "10.96.77.0/24";
const POD_RANGE = "10.244.77.0/24";
const BRIDGE = "dgbr0";
const ADMIN = "admin";
const SCHEDULER = "system:kube-scheduler";
const CONTROLLER_MANAGER = "system:kube-controller-manager";
const NODE_USER = `system:node:${NODE_NAME}`;

export interface Command {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: readonly string[], timeout = 300_000): Promise<Command> {
  return new Promise((done) => {
    execFile(command, args, { timeout, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function runOk(command: string, args: readonly string[], timeout?: number): Promise<string> {
  const result = await run(command, args, timeout);
  if (result.code !== 0)
    throw new Error(`${command} ${args.join(" ")} failed (${result.code}): ${result.stderr.trim()}`);
  return result.stdout;
}

export interface NodeCluster {
  /** https://<API_ADDRESS>:443 */
  readonly server: string;
  readonly caFile: string;
  readonly adminKubeconfig: string;
  readonly workDir: string;
  /** The phases of the start and how long each took, in ms. */
  readonly timings: ReadonlyArray<[string, number]>;
  /** A request to the API server as the cluster admin. */
  api(method: string, path: string, body?: unknown, contentType?: string): Promise<HttpsResponse>;
  stop(): Promise<void>;
}

export async function startNodeCluster(options: {
  testbedBin: string;
  kubeletBin: string;
  /** A docker-archive of the image the pods run, imported into containerd. */
  imageArchive: string;
  workDir: string;
}): Promise<NodeCluster> {
  const { testbedBin, kubeletBin, workDir } = options;
  const timings: Array<[string, number]> = [];
  let phaseStart = Date.now();
  const phase = (name: string) => {
    timings.push([name, Date.now() - phaseStart]);
    phaseStart = Date.now();
  };
  // Undone last first: the kubelet, its mounts, the containers, containerd, the control plane, the links.
  const teardown: Array<() => Promise<void>> = [];
  const started = (process: Managed) => {
    teardown.push(() => process.stop());
    return process;
  };
  const stop = async () => {
    while (teardown.length > 0)
      await teardown
        .pop()?.()
        .catch(() => undefined);
  };
  try {
    await mkdir(join(workDir, "pki"), { recursive: true });
    await removeLinks();
    teardown.push(removeLinks);
    // On loopback: this kernel has no dummy links, and a local address answers on any interface.
    await runOk("ip", ["addr", "add", `${API_ADDRESS}/32`, "dev", "lo"]);

    const users = [
      { name: ADMIN, groups: ["system:masters"] },
      { name: CONTROLLER_MANAGER, groups: [] },
      { name: SCHEDULER, groups: [] },
      // The node's identity for the Node authorizer: a token user, not a client certificate (the pki
      // helper mints tokens; the authorizer looks only at the name and the group).
      { name: NODE_USER, groups: ["system:nodes"] },
    ];
    const pki = await makePki(join(workDir, "pki"), users);
    // The API server's certificate must name the Service IP pods connect to.
    const serving = await generateCertificates({
      dnsNames: ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"],
      ipAddresses: ["127.0.0.1", API_ADDRESS],
    });
    await writeFile(pki.caFile, serving.caCert);
    await writeFile(pki.certFile, serving.cert);
    await writeFile(pki.keyFile, serving.key, { mode: 0o600 });
    const server = `https://${API_ADDRESS}:443`;
    const kubeconfig = async (user: string) => {
      const file = join(workDir, `kubeconfig-${user.replaceAll(":", "_")}`);
      await writeFile(file, kubeconfigYaml(server, pki.caFile, pki.tokens.get(user) ?? ""), { mode: 0o600 });
      return file;
    };
    const ca = serving.caCert;
    const adminToken = pki.tokens.get(ADMIN) ?? "";
    const api = (method: string, path: string, body?: unknown, contentType = "application/json") =>
      sendHttps({
        url: `${server}${path}`,
        ca,
        method,
        headers: {
          authorization: `Bearer ${adminToken}`,
          ...(body === undefined ? {} : { "content-type": contentType }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });

    const etcdPort = await freePort();
    started(
      startProcess(
        "etcd",
        join(testbedBin, "etcd"),
        [
          `--data-dir=${join(workDir, "etcd")}`,
          `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
          `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
          `--listen-peer-urls=http://127.0.0.1:${await freePort()}`,
          "--unsafe-no-fsync",
          "--log-level=warn",
        ],
        { logFile: join(workDir, "etcd.log") },
      ),
    );
    const apiServer = started(
      startProcess(
        "kube-apiserver",
        join(testbedBin, "kube-apiserver"),
        [
          `--etcd-servers=http://127.0.0.1:${etcdPort}`,
          `--bind-address=${API_ADDRESS}`,
          `--advertise-address=${API_ADDRESS}`,
          "--secure-port=443",
          `--tls-cert-file=${pki.certFile}`,
          `--tls-private-key-file=${pki.keyFile}`,
          `--client-ca-file=${pki.caFile}`,
          `--token-auth-file=${pki.tokenFile}`,
          "--authorization-mode=Node,RBAC",
          "--enable-admission-plugins=NodeRestriction",
          `--service-cluster-ip-range=${SERVICE_RANGE}`,
          `--service-account-issuer=${server}`,
          `--service-account-key-file=${pki.saPublicKeyFile}`,
          `--service-account-signing-key-file=${pki.saPrivateKeyFile}`,
          // No kube-proxy: webhooks are called at the endpoint's IP, not the Service's.
          "--enable-aggregator-routing=true",
          "--profiling=false",
          "-v=1",
        ],
        { logFile: join(workDir, "kube-apiserver.log") },
      ),
    );
    await waitFor(
      "kube-apiserver /readyz",
      async () => ((await api("GET", "/readyz")).status === 200 ? true : undefined),
      90_000,
      250,
      () => (apiServer.isRunning() ? undefined : `kube-apiserver exited; see ${apiServer.logFile}`),
    );
    phase("etcd and kube-apiserver ready");

    const controllerManagerKubeconfig = await kubeconfig(CONTROLLER_MANAGER);
    started(
      startProcess(
        "kube-controller-manager",
        join(testbedBin, "kube-controller-manager"),
        [
          `--kubeconfig=${controllerManagerKubeconfig}`,
          `--authentication-kubeconfig=${controllerManagerKubeconfig}`,
          `--authorization-kubeconfig=${controllerManagerKubeconfig}`,
          `--controllers=${[
            ...CONTROLLERS,
            "endpoints-controller",
            "endpointslice-controller",
            "disruption-controller",
            "node-lifecycle-controller",
            "root-ca-certificate-publisher-controller",
          ].join(",")}`,
          "--use-service-account-credentials=true",
          `--service-account-private-key-file=${pki.saPrivateKeyFile}`,
          `--root-ca-file=${pki.caFile}`,
          "--leader-elect=false",
          "--bind-address=127.0.0.1",
          `--secure-port=${await freePort()}`,
          "-v=1",
        ],
        { logFile: join(workDir, "kube-controller-manager.log") },
      ),
    );
    const schedulerKubeconfig = await kubeconfig(SCHEDULER);
    started(
      startProcess(
        "kube-scheduler",
        join(kubeletBin, "kube-scheduler"),
        [
          `--kubeconfig=${schedulerKubeconfig}`,
          `--authentication-kubeconfig=${schedulerKubeconfig}`,
          `--authorization-kubeconfig=${schedulerKubeconfig}`,
          "--leader-elect=false",
          "--bind-address=127.0.0.1",
          `--secure-port=${await freePort()}`,
          "-v=1",
        ],
        { logFile: join(workDir, "kube-scheduler.log") },
      ),
    );

    // containerd with its own root, state and socket; the pod network is a bridge with host-local IPAM.
    const containerdDir = join(workDir, "containerd");
    const socket = join(containerdDir, "containerd.sock");
    const cniConfDir = join(workDir, "cni", "net.d");
    await mkdir(cniConfDir, { recursive: true });
    await writeFile(join(cniConfDir, "10-driftguard.conflist"), cniConfig(join(workDir, "cni", "ipam")));
    const pauseImage = (await readFile(join(kubeletBin, "pause-image"), "utf8")).trim();
    await mkdir(containerdDir, { recursive: true });
    await writeFile(
      join(containerdDir, "config.toml"),
      containerdConfig(containerdDir, cniConfDir, pauseImage),
    );
    const containerd = started(
      startProcess(
        "containerd",
        "containerd",
        ["--config", join(containerdDir, "config.toml"), "--log-level", "warn"],
        { logFile: join(workDir, "containerd.log") },
      ),
    );
    const ctr = (...args: string[]) => runOk("ctr", ["--address", socket, "--namespace", "k8s.io", ...args]);
    await waitFor(
      "containerd",
      async () => ((await run("ctr", ["--address", socket, "version"])).code === 0 ? true : undefined),
      30_000,
      250,
      () => (containerd.isRunning() ? undefined : `containerd exited; see ${containerd.logFile}`),
    );
    // Before containerd stops: the pods' containers (shims outlive containerd) and their sandboxes.
    teardown.push(() => removeContainers(socket));
    await ctr("images", "import", join(kubeletBin, "pause.tar"));
    await ctr("images", "import", options.imageArchive);
    phase("containerd up, images imported");

    const kubeletDir = join(workDir, "kubelet");
    await mkdir(kubeletDir, { recursive: true });
    const kubeletConfigFile = join(workDir, "kubelet-config.yaml");
    await writeFile(
      kubeletConfigFile,
      kubeletConfig({
        socket,
        caFile: pki.caFile,
        port: await freePort(),
        healthzPort: await freePort(),
        podLogsDir: join(workDir, "pod-logs"),
      }),
    );
    // Once it has stopped: its mounts for pods (tmpfs for tokens and memory emptyDirs), its cgroups.
    teardown.push(removeKubepodsCgroups);
    teardown.push(() => unmountUnder(kubeletDir));
    const kubelet = started(
      startProcess(
        "kubelet",
        join(kubeletBin, "kubelet"),
        [
          `--config=${kubeletConfigFile}`,
          `--kubeconfig=${await kubeconfig(NODE_USER)}`,
          `--hostname-override=${NODE_NAME}`,
          `--node-ip=${API_ADDRESS}`,
          `--root-dir=${kubeletDir}`,
          "-v=1",
        ],
        { logFile: join(workDir, "kubelet.log") },
      ),
    );
    await waitFor(
      `node ${NODE_NAME} Ready`,
      async () => {
        const node = await api("GET", `/api/v1/nodes/${NODE_NAME}`);
        if (node.status !== 200) return undefined;
        const conditions = (node.json() as NodeJson).status?.conditions ?? [];
        return conditions.some((c) => c.type === "Ready" && c.status === "True") ? true : undefined;
      },
      120_000,
      500,
      () => (kubelet.isRunning() ? undefined : `the kubelet exited; see ${kubelet.logFile}`),
    );
    phase(`kubelet registered, node ${NODE_NAME} Ready`);

    return {
      server,
      caFile: pki.caFile,
      adminKubeconfig: await kubeconfig(ADMIN),
      workDir,
      timings,
      api,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

interface NodeJson {
  status?: { conditions?: Array<{ type: string; status: string }> };
}

/** The Service IP on loopback and the pods' bridge, left by this run or a run that died. */
async function removeLinks(): Promise<void> {
  if ((await run("ip", ["-o", "addr", "show", "dev", "lo"])).stdout.includes(` ${API_ADDRESS}/32 `))
    await run("ip", ["addr", "del", `${API_ADDRESS}/32`, "dev", "lo"]);
  if ((await run("ip", ["link", "show", BRIDGE])).code === 0) await run("ip", ["link", "del", BRIDGE]);
}

/** Stops and removes every pod sandbox and container containerd still runs for the kubelet. */
async function removeContainers(socket: string): Promise<void> {
  const ctr = (...args: string[]) => run("ctr", ["--address", socket, "--namespace", "k8s.io", ...args]);
  const tasks = (await ctr("tasks", "list", "--quiet")).stdout.split("\n").filter(Boolean);
  for (const task of tasks) await ctr("tasks", "kill", "--signal", "SIGKILL", task);
  for (const task of tasks) await ctr("tasks", "delete", "--force", task);
  const containers = (await ctr("containers", "list", "--quiet")).stdout.split("\n").filter(Boolean);
  for (const container of containers) await ctr("containers", "delete", container);
  // The sandboxes' network namespaces, when the kubelet could not tear them down.
  const mounts = (await run("findmnt", ["-rn", "-o", "TARGET"])).stdout.split("\n");
  for (const target of mounts.filter((m) => m.includes("/cni-") && m.startsWith("/run/netns/")))
    await run("ip", ["netns", "delete", target.slice("/run/netns/".length)]);
}

/** Unmounts what is still mounted under dir and dir itself (the kubelet binds it onto itself), deepest first. */
async function unmountUnder(dir: string): Promise<void> {
  const targets = (await run("findmnt", ["-rn", "-o", "TARGET"])).stdout
    .split("\n")
    .filter((target) => target === dir || target.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const target of targets) await run("umount", ["-l", target]);
}

/** The kubelet's cgroupfs tree (kubepods in every v1 hierarchy), empty once its pods are gone. */
async function removeKubepodsCgroups(): Promise<void> {
  const hierarchies = await readdir("/sys/fs/cgroup").catch(() => [] as string[]);
  for (const hierarchy of hierarchies) {
    const root = join("/sys/fs/cgroup", hierarchy, "kubepods");
    await run("find", [root, "-depth", "-type", "d", "-exec", "rmdir", "{}", ";"]);
  }
}

function kubeconfigYaml(server: string, caFile: string, token: string): string {
  return `apiVersion: v1
kind: Config
clusters:
  - name: node
    cluster: {server: "${server}", certificate-authority: "${caFile}"}
users:
  - name: user
    user: {token: "${token}"}
contexts:
  - name: node
    context: {cluster: node, user: user}
current-context: node
`;
}

function cniConfig(ipamDir: string): string {
  return JSON.stringify({
    cniVersion: "0.4.0",
    name: "driftguard-kubelet",
    plugins: [
      {
        type: "bridge",
        bridge: BRIDGE,
        isGateway: true,
        isDefaultGateway: true,
        // No masquerade: pods talk only to this host (the API server, Git), never beyond it.
        ipMasq: false,
        hairpinMode: true,
        ipam: { type: "host-local", ranges: [[{ subnet: POD_RANGE }]], dataDir: ipamDir },
      },
    ],
  });
}

function containerdConfig(dir: string, cniConfDir: string, pauseImage: string): string {
  return `version = 2
root = "${join(dir, "root")}"
state = "${join(dir, "state")}"
[grpc]
  address = "${join(dir, "containerd.sock")}"
[plugins."io.containerd.grpc.v1.cri"]
  # A stand-in (scripts/kubelet.sh): the registry's pause image cannot be pulled here.
  sandbox_image = "${pauseImage}"
  # This machine may not lower a process's OOM score adjustment: runc fails to start the sandbox.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    # Where Debian's containernetworking-plugins puts them.
    bin_dir = "/usr/lib/cni"
    conf_dir = "${cniConfDir}"
[plugins."io.containerd.internal.v1.opt"]
  path = "${join(dir, "opt")}"
`;
}

function kubeletConfig(options: {
  socket: string;
  caFile: string;
  port: number;
  healthzPort: number;
  podLogsDir: string;
}): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This machine has cgroup v1 (hybrid) and no systemd.
failCgroupV1: false
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://${options.socket}
address: 127.0.0.1
port: ${options.port}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: ${options.healthzPort}
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: "${options.caFile}"}
authorization: {mode: AlwaysAllow}
podLogsDir: "${options.podLogsDir}"
failSwapOn: false
# A shared machine: never evict for the disk or memory other work uses.
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
`;
}
