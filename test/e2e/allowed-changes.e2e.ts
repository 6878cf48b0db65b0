// What must pass through driftguard in enforce mode: the changes that keep a Deployment in line with
// Git, whoever makes them, the configured exemptions, and namespace deletion. Each is a real kubectl
// call as the identity named, against the real API server.
import { join } from "node:path";
import { describe, expect, inject, test } from "vitest";
import { createTestRepo } from "../support/git/test-repo.js";
import { ALICE, GITOPS, HPA } from "./support/cluster-setup.js";
import { getJson, kubectl, kubectlOk } from "./support/kubectl.js";
import { DOOMED_NS, ENFORCE_NS, FLOW_NS, GIT_IMAGE, webDeployment, yamlOf } from "./support/manifests.js";
import { writableState } from "./support/objects.js";
import { waitFor } from "./support/processes.js";

const testbed = inject("testbed");
const gitFile = (path: string) => join(testbed.repoDir, path);

function imageOf(object: Record<string, unknown>): unknown {
  const spec = object.spec as { template: { spec: { containers: { image: string }[] } } };
  return spec.template.spec.containers[0]?.image;
}

describe("enforce mode lets Git's own state through", () => {
  test("rollout restart is allowed (its annotation is ignored by default)", async () => {
    await kubectlOk(testbed, ALICE.name, ["rollout", "restart", "deployment/synced", "-n", ENFORCE_NS]);
    const web = await getJson(testbed, "deployment", "synced", ENFORCE_NS);
    const template = (web.spec as { template: { metadata: { annotations?: Record<string, string> } } })
      .template;
    expect(template.metadata.annotations?.["kubectl.kubernetes.io/restartedAt"]).toBeDefined();
  });

  test("a change back to Git's value is allowed, even with drift that predates driftguard", async () => {
    const result = await kubectl(testbed, ALICE.name, [
      ...["set", "image", "deployment/drifted", `web=${GIT_IMAGE}`, "-n", ENFORCE_NS],
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(imageOf(await getJson(testbed, "deployment", "drifted", ENFORCE_NS))).toBe(GIT_IMAGE);
  });

  test.each([
    ["a plain user", ALICE.name],
    ["the GitOps identity", GITOPS.key],
  ])("kubectl apply --server-side of the Git manifest by %s is allowed", async (_who, user) => {
    const result = await kubectl(testbed, user, [
      ...[
        "apply",
        "--server-side",
        `--field-manager=e2e-${user}`,
        "-f",
        gitFile(`scenarios/${ENFORCE_NS}/synced.yaml`),
      ],
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain("driftguard");
  });

  test("kubectl replace of the Git manifest is allowed", async () => {
    const result = await kubectl(testbed, ALICE.name, [
      "replace",
      "-f",
      gitFile(`scenarios/${ENFORCE_NS}/synced.yaml`),
    ]);
    expect(result.code, result.stderr).toBe(0);
  });

  test("the GitOps identity applying content that is in no recent revision is denied, and says so", async () => {
    const before = await writableState(testbed, "synced", ENFORCE_NS);
    const rogue = yamlOf(webDeployment({ name: "synced", namespace: ENFORCE_NS, image: "nginx:not-in-git" }));
    const result = await kubectl(
      testbed,
      GITOPS.key,
      ["apply", "--server-side", "--force-conflicts", "-f", "-"],
      {
        input: rogue,
      },
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("matches no recent Git revision");
    expect(result.stderr).toContain("containers[name=web].image");
    expect(await writableState(testbed, "synced", ENFORCE_NS)).toEqual(before);
  });

  test("the configured HPA identity may scale; it is told which exemption it used", async () => {
    const result = await kubectl(testbed, HPA.key, [
      "scale",
      "deployment/synced",
      "--replicas=4",
      "-n",
      ENFORCE_NS,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("exempted by");
    const synced = await getJson(testbed, "deployment", "synced", ENFORCE_NS);
    expect((synced.spec as { replicas: number }).replicas).toBe(4);
  });

  test("a plain user may scale a Deployment whose Git manifest leaves replicas out", async () => {
    const result = await kubectl(testbed, ALICE.name, [
      "scale",
      "deployment/autoscaled",
      "--replicas=3",
      "-n",
      ENFORCE_NS,
    ]);
    expect(result.code, result.stderr).toBe(0);
  });
});

describe("a new commit", () => {
  test("the GitOps identity applies it, then a plain user's edit back to the old value is denied", async () => {
    const repo = await createTestRepo(testbed.repoDir, testbed.workDir);
    const next = webDeployment({ name: "flow", namespace: FLOW_NS, image: "nginx:1.27.4" });
    await repo.commit("flow: nginx 1.27.4", { [`scenarios/${FLOW_NS}/flow.yaml`]: yamlOf(next) });
    // No wait for the poll: a GitOps apply that matches no known revision makes driftguard fetch first.
    const applied = await kubectl(
      testbed,
      GITOPS.key,
      ["apply", "--server-side", "--force-conflicts", "-f", "-"],
      { input: yamlOf(next) },
    );
    expect(applied.code, applied.stderr).toBe(0);
    expect(imageOf(await getJson(testbed, "deployment", "flow", FLOW_NS))).toBe("nginx:1.27.4");

    const back = await kubectl(testbed, ALICE.name, [
      "set",
      "image",
      "deployment/flow",
      `web=${GIT_IMAGE}`,
      "-n",
      FLOW_NS,
    ]);
    expect(back.code).not.toBe(0);
    expect(back.stderr).toContain("driftguard:");
    expect(back.stderr).toContain(`scenarios/${FLOW_NS}/flow.yaml`);
    expect(imageOf(await getJson(testbed, "deployment", "flow", FLOW_NS))).toBe("nginx:1.27.4");
  });
});

describe("namespace deletion", () => {
  test("a namespace holding managed Deployments goes; deletes inside it pass while it terminates", async () => {
    // Outside a terminating namespace, a plain user's delete of a managed Deployment is refused.
    const refused = await kubectl(testbed, ALICE.name, [
      "delete",
      "deployment/one",
      "-n",
      DOOMED_NS,
      "--dry-run=server",
    ]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("deleted: Git still holds this Deployment");

    await kubectlOk(testbed, "admin", ["delete", "namespace", DOOMED_NS, "--wait=false"]);
    // `two` goes through the namespace controller (exempt by default); `one` waits on its finalizer.
    await waitFor(
      `namespace ${DOOMED_NS} to be down to one Deployment`,
      async () => {
        const out = await kubectl(testbed, "admin", ["get", "deployments", "-n", DOOMED_NS, "-o", "name"]);
        return out.stdout.trim() === "deployment.apps/one" ? true : undefined;
      },
      60_000,
      500,
    );
    // driftguard's namespace watch sees Terminating: the same delete passes now.
    const passed = await kubectl(testbed, ALICE.name, [
      "delete",
      "deployment/one",
      "-n",
      DOOMED_NS,
      "--wait=false",
    ]);
    expect(passed.code, passed.stderr).toBe(0);
    await kubectlOk(testbed, "admin", [
      ...["patch", "deployment/one", "-n", DOOMED_NS, "--type=json"],
      ...["-p", '[{"op":"remove","path":"/metadata/finalizers"}]'],
    ]);
    await waitFor(
      `namespace ${DOOMED_NS} to be gone`,
      async () => {
        const result = await kubectl(testbed, "admin", ["get", "namespace", DOOMED_NS]);
        return result.code !== 0 && result.stderr.includes("NotFound") ? true : undefined;
      },
      90_000,
      1_000,
    );
  });
});
