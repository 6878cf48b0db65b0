// The soak's cluster: the test bed's real control plane (etcd, kube-apiserver, kube-controller-manager),
// because driftguard's RBAC watch is what must keep churning and only a real API server serves
// RoleBinding watches as a cluster does (bookmarks, resourceVersions, 410 Gone). driftguard gets the
// chart's permissions and CRDs, the reviewed Deployments exist, and a break-glass RoleBinding comes and
// goes on a fixed period. It grants another user than the reviews' one, so answers never change.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../bench/paths.js";
import { apiPost } from "../e2e/support/api-client.js";
import { DECISION_RECORD_CRD, DRIFTGUARD_ROLE, REPORT_CRDS_DIR } from "../e2e/support/cluster-setup.js";
import {
  ADMIN,
  type ControlPlane,
  DRIFTGUARD_USER,
  startControlPlane,
} from "../e2e/support/control-plane.js";
import { buildTestbed } from "../e2e/support/testbed-build.js";
import { sendHttps } from "../support/tls/https-client.js";

export const NAMESPACE = "shop";
const ROLE = "soak-override-image";
const BINDING = "soak-break-glass";
const ON_CALL = "oncall@example.com";

/**
 * The test bed's binaries when build.sh has them cached, found without building: the soak's smoke in
 * `npm test` must not start a build of several minutes. The key is build.sh's own (go.mod, go.sum and
 * the script, hashed together).
 */
export function cachedTestbed(): string | undefined {
  const dir = join(REPO_ROOT, "test", "testbed");
  const read = (name: string) => readFileSync(join(dir, name));
  const goMod = read("go.mod").toString("utf8");
  const version = /^require k8s\.io\/kubernetes (\S+)/m.exec(goMod)?.[1];
  if (version === undefined) return undefined;
  const key = createHash("sha256")
    .update(Buffer.concat([read("go.mod"), read("go.sum"), read("build.sh")]))
    .digest("hex")
    .slice(0, 16);
  const root =
    process.env.DRIFTGUARD_TESTBED_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "driftguard-testbed");
  const bin = join(root, `${version}-${key}`, "bin");
  return existsSync(join(bin, ".complete")) ? bin : undefined;
}

/** The binaries: cached ones, or build.sh's build (minutes when cold) when `build` is set. */
export function testbedBinaries(build: boolean): string | undefined {
  return cachedTestbed() ?? (build ? buildTestbed() : undefined);
}

export interface SoakCluster {
  plane: ControlPlane;
  /** driftguard's kubeconfig (its own identity, the chart's ClusterRole). */
  kubeconfig: string;
  /** Creates the break-glass binding when absent, deletes it when present. */
  toggleBinding(): Promise<void>;
  /** Whether the binding exists now (as this harness made it; driftguard's watch sees it a moment later). */
  readonly bound: boolean;
  stop(): Promise<void>;
}

export async function startCluster(
  binDir: string,
  workDir: string,
  manifests: readonly string[],
): Promise<SoakCluster> {
  const plane = await startControlPlane({ binDir, workDir, users: [] });
  try {
    const admin = (args: string[], input?: string) => kubectl(plane, workDir, args, input);
    await admin(["create", "namespace", NAMESPACE]);
    await admin(["apply", "-f", "-"], DRIFTGUARD_ROLE);
    await admin(["apply", "-f", REPORT_CRDS_DIR]);
    await admin(["apply", "-f", DECISION_RECORD_CRD]);
    await admin(["wait", "--for=condition=Established", "--timeout=60s", "crd", "--all"]);
    await admin(["apply", "-f", "-"], overrideRole());
    for (const manifest of manifests) await admin(["apply", "-n", NAMESPACE, "-f", "-"], manifest);
  } catch (error) {
    await plane.stop();
    throw error;
  }
  let bound = false;
  return {
    plane,
    kubeconfig: plane.kubeconfig(DRIFTGUARD_USER),
    async toggleBinding() {
      bound = bound ? !(await deleteBinding(plane)) : await createBinding(plane);
    },
    get bound() {
      return bound;
    },
    stop: () => plane.stop(),
  };
}

function overrideRole(): string {
  return `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: ${ROLE}, namespace: ${NAMESPACE}}
rules: [{apiGroups: [driftguard.io], resources: [deployments/image], verbs: [override], resourceNames: [checkout]}]
`;
}

/** A break-glass grant as the contract writes it: a RoleBinding with driftguard.io/expires-at. */
async function createBinding(plane: ControlPlane): Promise<boolean> {
  const expiresAt = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, "Z");
  const response = await apiPost(
    plane.server,
    plane.pki.caFile,
    token(plane),
    `/apis/rbac.authorization.k8s.io/v1/namespaces/${NAMESPACE}/rolebindings`,
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: {
        name: BINDING,
        namespace: NAMESPACE,
        annotations: { "driftguard.io/expires-at": expiresAt },
      },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: ROLE },
      subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: ON_CALL }],
    },
  );
  if (response.status !== 201)
    throw new Error(`creating the RoleBinding: HTTP ${response.status} ${response.text}`);
  return true;
}

async function deleteBinding(plane: ControlPlane): Promise<boolean> {
  const response = await sendHttps({
    url: `${plane.server}/apis/rbac.authorization.k8s.io/v1/namespaces/${NAMESPACE}/rolebindings/${BINDING}`,
    ca: readFileSync(plane.pki.caFile, "utf8"),
    method: "DELETE",
    headers: { authorization: `Bearer ${token(plane)}` },
  });
  if (response.status !== 200)
    throw new Error(`deleting the RoleBinding: HTTP ${response.status} ${response.text}`);
  return true;
}

function token(plane: ControlPlane): string {
  const value = plane.pki.tokens.get(ADMIN);
  if (value === undefined) throw new Error("no admin token in the test bed");
  return value;
}

/** kubectl as the test bed's admin, with HOME in the run's folder (its discovery cache goes there). */
function kubectl(
  plane: ControlPlane,
  home: string,
  args: readonly string[],
  input?: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      join(plane.binDir, "kubectl"),
      [`--kubeconfig=${plane.kubeconfig(ADMIN)}`, ...args],
      { env: { PATH: process.env.PATH ?? "", HOME: home }, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`kubectl ${args.join(" ")}: ${stderr.trim() || error.message}`))
          : resolve(stdout),
    );
    child.stdin?.end(input);
  });
}
