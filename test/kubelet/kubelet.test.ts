// The chart's pods on a real kubelet joined to the test bed (node.ts): the image built from the
// Dockerfile (scripts/image.sh, stand-in bases), the chart installed with its two replicas and its
// PodDisruptionBudget, and what a cluster does to them: probes, evictions, a rolling update while the API
// server keeps calling the webhook.
// Opt-in (DRIFTGUARD_KUBELET=1, set by `npm run kubelet`): it runs as root, adds network links, runs
// containerd and builds a kubelet (scripts/kubelet.sh). Without it the suite skips and says so.
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { CHART_DIR, helm, REPO_ROOT } from "../chart/helm.js";
import { waitFor } from "../e2e/support/processes.js";
import { buildTestbed } from "../e2e/support/testbed-build.js";
import { deploymentManifest, deploymentYaml } from "../support/deployments.js";
import { type GitHttpServer, startGitHttpServer } from "../support/git/http-git-server.js";
import { createTestRepo } from "../support/git/test-repo.js";
import { makeTempDir } from "../support/tls/cert-dir.js";
import { sendHttps } from "../support/tls/https-client.js";
import { API_ADDRESS, NODE_NAME, type NodeCluster, run, startNodeCluster } from "./node.js";

const WANTED = process.env.DRIFTGUARD_KUBELET === "1";
if (!WANTED)
  process.stdout.write(
    "test/kubelet: SKIPPED: the chart runs on a kubelet joined to the test bed only with DRIFTGUARD_KUBELET=1 (npm run kubelet)\n",
  );

const NAMESPACE = "driftguard-system";
const RELEASE = "driftguard";
const WEBHOOK = "deployments.driftguard.io";
const LOAD_NAMESPACE = "load";
const LOAD_DEPLOYMENTS = 4;
const SELECTOR = encodeURIComponent(
  `app.kubernetes.io/name=driftguard,app.kubernetes.io/instance=${RELEASE}`,
);

interface PodJson {
  metadata: { name: string; deletionTimestamp?: string; labels?: Record<string, string> };
  spec: { nodeName?: string };
  status: {
    phase?: string;
    podIP?: string;
    conditions?: Array<{ type: string; status: string; lastTransitionTime?: string }>;
    containerStatuses?: Array<{
      ready: boolean;
      started?: boolean;
      restartCount: number;
      state?: { running?: { startedAt: string } };
    }>;
  };
}

const say = (line: string) => process.stdout.write(`test/kubelet: ${line}\n`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const isReady = (pod: PodJson) =>
  !pod.metadata.deletionTimestamp &&
  (pod.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");

describe.runIf(WANTED)("the chart's Deployment on a kubelet joined to the test bed", () => {
  let work = "";
  let cluster: NodeCluster | undefined;
  let git: GitHttpServer | undefined;
  let values = "";
  /** The CA driftguard put in the webhook's caBundle: its serving certificate's issuer. */
  let webhookCa = "";

  const api = (method: string, path: string, body?: unknown, contentType?: string) => {
    if (!cluster) throw new Error("no cluster");
    return cluster.api(method, path, body, contentType);
  };
  const helmAs = (args: string[]) => helm(args, { KUBECONFIG: cluster?.adminKubeconfig ?? "" });
  const pods = async (): Promise<PodJson[]> => {
    const list = await api("GET", `/api/v1/namespaces/${NAMESPACE}/pods?labelSelector=${SELECTOR}`);
    expect(list.status, list.text).toBe(200);
    return (list.json() as { items: PodJson[] }).items;
  };
  /** Waits until exactly `count` pods exist, none terminating, all Ready; returns them. */
  const readyPods = (count: number, timeoutMs = 180_000, also: (pods: PodJson[]) => boolean = () => true) =>
    waitFor(
      `${count} Ready driftguard pods and no others`,
      async () => {
        const all = await pods();
        return all.length === count && all.every(isReady) && also(all) ? all : undefined;
      },
      timeoutMs,
      500,
    );
  const disruptionsAllowed = async () => {
    const pdb = await api("GET", `/apis/policy/v1/namespaces/${NAMESPACE}/poddisruptionbudgets/${RELEASE}`);
    const body = pdb.json() as {
      metadata: { generation: number };
      status?: { observedGeneration?: number; disruptionsAllowed?: number; currentHealthy?: number };
    };
    return body.status?.observedGeneration === body.metadata.generation ? body.status : undefined;
  };
  const fromPod = (pod: PodJson, path: string) =>
    sendHttps({
      url: `https://${pod.status.podIP}:8443${path}`,
      ca: webhookCa,
      servername: `${RELEASE}.${NAMESPACE}.svc`,
    });
  const evict = (pod: string) =>
    api("POST", `/api/v1/namespaces/${NAMESPACE}/pods/${pod}/eviction`, {
      apiVersion: "policy/v1",
      kind: "Eviction",
      metadata: { name: pod, namespace: NAMESPACE },
    });

  beforeAll(async () => {
    // Network links, mounts, cgroups and containerd: nothing of it works without root.
    expect(process.getuid?.(), "test/kubelet runs as root").toBe(0);
    const started = Date.now();
    const testbedBin = buildTestbed();
    const kubelet = await run("bash", [join(REPO_ROOT, "scripts/kubelet.sh")], 1_800_000);
    expect(kubelet.code, kubelet.stderr).toBe(0);
    const kubeletBin = kubelet.stdout.trim().split("\n").at(-1) ?? "";
    const built = await run("bash", [join(REPO_ROOT, "scripts/image.sh")], 900_000);
    expect(built.code, built.stderr).toBe(0);
    const image = built.stdout.trim().split("\n").at(-1)?.split(" ")[0] ?? "";
    say(`binaries and image ${image} ready in ${seconds(Date.now() - started)}`);
    work = await makeTempDir("driftguard-kubelet-");
    const archive = join(work, "driftguard-image.tar");
    const saved = await run("podman", ["save", "--format", "docker-archive", "--output", archive, image]);
    expect(saved.code, saved.stderr).toBe(0);

    cluster = await startNodeCluster({ testbedBin, kubeletBin, imageArchive: archive, workDir: work });
    for (const [what, ms] of cluster.timings) say(`${what}: ${seconds(ms)}`);

    // The Git source, served to the pods on the host's address they reach (the API server's).
    const repo = await createTestRepo(join(work, "git", "deploy"), work);
    await repo.commit("web", { "prod/web.yaml": deploymentYaml({ image: "nginx:1.25" }) });
    git = await startGitHttpServer({ root: join(work, "git"), home: work, host: API_ADDRESS });

    const [repository = "", tag = ""] = image.split(/:(?=[^:/]+$)/);
    values = join(work, "values.yaml");
    await writeFile(
      values,
      stringify({
        // The image is in containerd already (imported, never pulled).
        image: { repository, tag, pullPolicy: "Never" },
        config: { sources: [{ name: "apps", url: git.url("deploy"), paths: ["prod/"], interval: "5s" }] },
      }),
    );
    const installStarted = Date.now();
    const installed = await helmAs([
      "install",
      RELEASE,
      CHART_DIR,
      "-n",
      NAMESPACE,
      "--create-namespace",
      "-f",
      values,
    ]);
    expect(installed.code, installed.stderr).toBe(0);
    const ready = await readyPods(2, 240_000);
    say(
      `helm install to 2 Ready pods: ${seconds(Date.now() - installStarted)} (${ready.map((p) => p.metadata.name).join(", ")})`,
    );
    // driftguard (self-managed certificates) fills in the webhook's caBundle once it has its Secret.
    const caBundle = await waitFor(
      "the webhook's caBundle",
      async () => {
        const hook = await api(
          "GET",
          `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${RELEASE}`,
        );
        const body = hook.json() as { webhooks?: Array<{ clientConfig?: { caBundle?: string } }> };
        return body.webhooks?.[0]?.clientConfig?.caBundle || undefined;
      },
      60_000,
      500,
    );
    webhookCa = Buffer.from(caBundle, "base64").toString("utf8");
  }, 1_800_000);

  afterAll(async () => {
    if (cluster) {
      try {
        // The kubelet tears the pods down itself (CNI DEL, unmounts) before anything is stopped.
        await helmAs(["uninstall", RELEASE, "-n", NAMESPACE, "--wait", "--timeout", "90s"]);
        await waitFor(
          "the driftguard pods gone",
          async () => ((await pods()).length === 0 ? true : undefined),
          90_000,
          500,
        );
      } catch (error) {
        say(`teardown: ${(error as Error).message}`);
      } finally {
        await cluster.stop();
      }
    }
    await git?.stop();
    if (work && process.env.DRIFTGUARD_KUBELET_KEEP !== "1") await rm(work, { recursive: true, force: true });
    else if (work) say(`kept the run's folder and logs: ${work}`);
  }, 300_000);

  it("runs both replicas on the node, Ready through their probes", async () => {
    const running = await readyPods(2);
    for (const pod of running) {
      expect(pod.spec.nodeName).toBe(NODE_NAME);
      expect(pod.status.phase).toBe("Running");
      expect(pod.status.podIP).toMatch(/^10\.244\.77\.\d+$/);
      const container = pod.status.containerStatuses?.[0];
      // started: the startup probe passed; ready: the readiness probe did.
      expect(container?.started).toBe(true);
      expect(container?.ready).toBe(true);
      expect(container?.restartCount).toBe(0);
      const readyAt = pod.status.conditions?.find((c) => c.type === "Ready")?.lastTransitionTime ?? "";
      const startedAt = container?.state?.running?.startedAt ?? "";
      say(`${pod.metadata.name} at ${pod.status.podIP}: container started ${startedAt}, Ready ${readyAt}`);
    }
    // The same endpoint the readiness probe asks, asked from the host over the pod network, with the CA
    // driftguard put in the webhook configuration and the Service's name the certificate is for.
    for (const pod of running) {
      const readyz = await fromPod(pod, "/readyz");
      expect(readyz.status, readyz.text).toBe(200);
    }
    // The pods' in-cluster config names the kubernetes Service; its cluster IP is where the API server
    // listens (node.ts), so the caBundle they set says they reached it there, without kube-proxy.
    const kubernetes = await api("GET", "/api/v1/namespaces/default/services/kubernetes");
    const service = kubernetes.json() as { spec: { clusterIP: string; ports: Array<{ port: number }> } };
    expect([service.spec.clusterIP, service.spec.ports[0]?.port]).toEqual([API_ADDRESS, 443]);
    // Both replicas cloned the Git source over the pod network.
    for (const pod of running)
      await waitFor(
        `${pod.metadata.name}: source apps synced`,
        async () => {
          const text = (await fromPod(pod, "/metrics")).text;
          return metric(text, "driftguard_source_synced", 'source="apps"') === 1 ? true : undefined;
        },
        60_000,
        1_000,
      );
  }, 240_000);

  it("the PodDisruptionBudget lets one eviction through and refuses the second until the first is back", async () => {
    const [first, second] = await readyPods(2);
    if (!first || !second) throw new Error("two pods expected");
    const budget = await waitFor(
      "the PodDisruptionBudget to allow one disruption",
      async () => {
        const status = await disruptionsAllowed();
        return status?.disruptionsAllowed === 1 ? status : undefined;
      },
      60_000,
      500,
    );
    expect(budget.currentHealthy).toBe(2);

    const evicted = await evict(first.metadata.name);
    expect(evicted.status, evicted.text).toBe(201);
    const refused = await evict(second.metadata.name);
    expect(refused.status, refused.text).toBe(429);
    expect(refused.text).toContain("Cannot evict pod as it would violate the pod's disruption budget");
    say(
      `evicted ${first.metadata.name}: 201; ${second.metadata.name} at once: 429 (${refused.json() && (refused.json() as { message?: string }).message})`,
    );

    const evictedAt = Date.now();
    const back = await readyPods(
      2,
      180_000,
      (all) => !all.some((p) => p.metadata.name === first.metadata.name),
    );
    const replacement = back.find((p) => p.metadata.name !== second.metadata.name);
    say(
      `replacement ${replacement?.metadata.name} Ready ${seconds(Date.now() - evictedAt)} after the eviction`,
    );
    await waitFor(
      "the budget to allow one disruption again",
      async () => {
        const status = await disruptionsAllowed();
        return status?.disruptionsAllowed === 1 ? true : undefined;
      },
      60_000,
      500,
    );
    const allowedNow = await evict(second.metadata.name);
    expect(allowedNow.status, allowedNow.text).toBe(201);
    await readyPods(2, 180_000, (all) => !all.some((p) => p.metadata.name === second.metadata.name));
  }, 600_000);

  it("a rolling update of driftguard while Deployments are written: no admission call fails", async () => {
    const created = await api("POST", "/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: LOAD_NAMESPACE },
    });
    expect([201, 409], created.text).toContain(created.status);
    const names = Array.from({ length: LOAD_DEPLOYMENTS }, (_, i) => `load-${i}`);
    for (const name of names) {
      // Zero replicas: the writes are the point, not more pods on the node.
      const made = await api(
        "POST",
        `/apis/apps/v1/namespaces/${LOAD_NAMESPACE}/deployments`,
        deploymentManifest({ name, namespace: LOAD_NAMESPACE, replicas: 0 }),
      );
      expect(made.status, made.text).toBe(201);
    }
    const before = await webhookMetrics(api);
    const oldPods = (await readyPods(2)).map((p) => p.metadata.name);

    // The client: two writers, each patching one of the Deployments in turn until told to stop.
    const tally = { writes: 0, failures: 0, errors: new Map<string, number>() };
    let writing = true;
    const writer = async (offset: number) => {
      for (let i = offset; writing; i += 2) {
        const name = names[i % names.length] ?? "load-0";
        const answer = await api(
          "PATCH",
          `/apis/apps/v1/namespaces/${LOAD_NAMESPACE}/deployments/${name}`,
          { metadata: { annotations: { "example.com/write": String(i) } } },
          "application/merge-patch+json",
        ).catch((error: unknown) => ({ status: 0, text: (error as Error).message }));
        tally.writes += 1;
        if (answer.status !== 200) {
          tally.failures += 1;
          const key = `${answer.status} ${answer.text.slice(0, 200)}`;
          tally.errors.set(key, (tally.errors.get(key) ?? 0) + 1);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const writers = [writer(0), writer(1)];
    await new Promise((resolve) => setTimeout(resolve, 3_000));

    const upgradeStarted = Date.now();
    const upgraded = await helmAs([
      ...["upgrade", RELEASE, CHART_DIR, "-n", NAMESPACE, "-f", values],
      ...["--set-string", `podAnnotations.rollout=${upgradeStarted}`],
    ]);
    expect(upgraded.code, upgraded.stderr).toBe(0);
    const newPods = await readyPods(2, 300_000, (all) =>
      all.every((p) => !oldPods.includes(p.metadata.name)),
    );
    const rolledIn = Date.now() - upgradeStarted;
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    writing = false;
    await Promise.all(writers);
    const after = await webhookMetrics(api);
    // The new replicas answered some of those calls: the API server followed the endpoints as they changed.
    // Not necessarily both: it picks an endpoint when it dials, and keeps the connection while it lives,
    // so a replica that came up after the dials may get none.
    const servedByNew = await Promise.all(
      newPods.map(async (pod) =>
        metric(
          (await fromPod(pod, "/metrics")).text,
          "driftguard_admission_requests_total",
          'operation="UPDATE"',
        ),
      ),
    );

    const calls = after.calls - before.calls;
    const callErrors = after.callErrors - before.callErrors;
    say(
      `rolling update: ${oldPods.join(", ")} -> ${newPods.map((p) => p.metadata.name).join(", ")} in ${seconds(rolledIn)}; ` +
        `${tally.writes} writes, ${tally.failures} failed; the API server counted ${calls} admission calls to ${WEBHOOK}, ${callErrors} failed calls`,
    );
    for (const [error, count] of tally.errors) say(`  ${count} x ${error}`);
    say(`calls answered by the new replicas since they started: ${servedByNew.join(", ")}`);
    const served = servedByNew.reduce((sum, count) => sum + count, 0);
    expect(served).toBeGreaterThan(0);
    expect(served).toBeLessThanOrEqual(calls);
    expect(tally.writes).toBeGreaterThan(100);
    expect(Object.fromEntries(tally.errors)).toEqual({});
    expect(tally.failures).toBe(0);
    // Every write was one call (UPDATE of deployments), and the API server saw no call fail.
    expect(calls).toBeGreaterThanOrEqual(tally.writes);
    expect(callErrors).toBe(0);
  }, 600_000);

  it("the same counting sees a call that fails: a webhook whose Service does not exist", async () => {
    // The control for the zero above: with failurePolicy Fail, a call that cannot be made refuses the
    // write, and the API server counts it under the webhook's name.
    const broken = "broken.kubelet-test.invalid";
    const namespace = "broken";
    const made = await api("POST", "/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: namespace },
    });
    expect(made.status, made.text).toBe(201);
    const hook = await api("POST", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations", {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingWebhookConfiguration",
      metadata: { name: "kubelet-test-broken" },
      webhooks: [
        {
          name: broken,
          admissionReviewVersions: ["v1"],
          sideEffects: "None",
          failurePolicy: "Fail",
          timeoutSeconds: 5,
          clientConfig: { service: { name: "nowhere", namespace: NAMESPACE, path: "/validate", port: 443 } },
          rules: [
            { apiGroups: ["apps"], apiVersions: ["v1"], resources: ["deployments"], operations: ["CREATE"] },
          ],
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
        },
      ],
    });
    expect(hook.status, hook.text).toBe(201);
    const before = await webhookMetrics(api, broken);
    const refused = await waitFor(
      "a write refused by the broken webhook",
      async () => {
        const write = await api(
          "POST",
          `/apis/apps/v1/namespaces/${namespace}/deployments`,
          deploymentManifest({ name: "web", namespace, replicas: 0 }),
        );
        return write.status === 201 ? undefined : write;
      },
      30_000,
      500,
    );
    expect(refused.status).toBe(500);
    expect((refused.json() as { message?: string }).message).toContain(`failed calling webhook "${broken}"`);
    const after = await webhookMetrics(api, broken);
    expect(after.callErrors - before.callErrors).toBeGreaterThanOrEqual(1);
    await api(
      "DELETE",
      "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/kubelet-test-broken",
    );
  }, 120_000);
});

/** The sum of a metric's series whose labels include `labels` (one `name="value"` text), in Prometheus text. */
function metric(text: string, name: string, labels: string): number {
  let sum = 0;
  for (const line of text.split("\n"))
    if (line.startsWith(`${name}{`) && line.includes(labels))
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  return sum;
}

/** The API server's own counters for a webhook: calls made, and calls that failed (not denials). */
async function webhookMetrics(
  api: (method: string, path: string) => Promise<{ status: number; text: string }>,
  webhook = WEBHOOK,
): Promise<{ calls: number; callErrors: number }> {
  const metrics = await api("GET", "/metrics");
  expect(metrics.status).toBe(200);
  let calls = 0;
  let callErrors = 0;
  for (const line of metrics.text.split("\n")) {
    if (!line.includes(`name="${webhook}"`)) continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (line.startsWith("apiserver_admission_webhook_request_total{")) calls += value;
    if (
      line.startsWith("apiserver_admission_webhook_rejection_count{") &&
      !line.includes('error_type="no_error"')
    )
      callErrors += value;
  }
  return { calls, callErrors };
}
