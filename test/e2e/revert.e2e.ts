// Putting Git back (docs/contract.md §11) through the real API server and the live webhook:
// - `apply` reverts drift made under a break-glass grant (an image changed, an env var added by hand)
//   in an enforce namespace: the patch passes driftguard's own webhook because its result is Git's;
//   a DriftReverted Event records it;
// - `apply --plan FILE` refuses an object changed after the plan and leaves it untouched;
// - with `driftguard.io/revert: afterGrantExpiry` on Git's manifest, a second driftguard (admin
//   credentials, its own Lease, not a webhook) puts Git back once the grant that let the edit through
//   has expired, with a DriftReverted Event naming the binding and driftguard_reverts_total counting it.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { RevertPlan } from "../../src/core/revert-plan.js";
import { createTestRepo } from "../support/git/test-repo.js";
import { sendHttps } from "../support/tls/https-client.js";
import { runCli } from "./support/cli.js";
import { ALICE } from "./support/cluster-setup.js";
import { driftguardConfigYaml } from "./support/configs.js";
import { type DriftguardProcess, startDriftguard } from "./support/driftguard.js";
import { kubectl, kubectlOk } from "./support/kubectl.js";
import { ENFORCE_NS, GIT_IMAGE, webDeployment, yamlOf } from "./support/manifests.js";
import { parsePrometheusText } from "./support/metrics.js";
import { waitFor } from "./support/processes.js";

const testbed = inject("testbed");
const APPLIED = "revert-apply";
const EXPIRING = "revert-expiry";
const FILES = {
  [`scenarios/${ENFORCE_NS}/${APPLIED}.yaml`]: yamlOf(
    webDeployment({ name: APPLIED, namespace: ENFORCE_NS }),
  ),
  [`scenarios/${ENFORCE_NS}/${EXPIRING}.yaml`]: yamlOf(
    optedIn(webDeployment({ name: EXPIRING, namespace: ENFORCE_NS })),
  ),
};
const GLASS_ROLE = "e2e-revert-glass";
const admin = (args: string[], input?: string) =>
  kubectlOk(testbed, "admin", args, input === undefined ? {} : { input });
const asAlice = (args: string[]) => kubectl(testbed, ALICE.name, [...args, "-n", ENFORCE_NS]);

function optedIn(manifest: Record<string, unknown>): Record<string, unknown> {
  const metadata = manifest.metadata as Record<string, unknown>;
  return {
    ...manifest,
    metadata: { ...metadata, annotations: { "driftguard.io/revert": "afterGrantExpiry" } },
  };
}

interface Live {
  image: string;
  env: string[];
  resourceVersion: string;
}

async function live(name: string): Promise<Live> {
  const object = JSON.parse(await admin(["get", "deployment", name, "-n", ENFORCE_NS, "-o", "json"])) as {
    metadata: { resourceVersion: string };
    spec: { template: { spec: { containers: { image: string; env?: { name: string }[] }[] } } };
  };
  const web = object.spec.template.spec.containers[0];
  return {
    image: web?.image ?? "",
    env: (web?.env ?? []).map((entry) => entry.name),
    resourceVersion: object.metadata.resourceVersion,
  };
}

/** A break-glass grant for alice on image and env of this file's Deployments, optionally with an expiry. */
function glassBinding(name: string, expiresAt?: string): string {
  const annotations =
    expiresAt === undefined ? "" : `\n  annotations: {driftguard.io/expires-at: "${expiresAt}"}`;
  return `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: ${GLASS_ROLE}}
rules:
  - apiGroups: [driftguard.io]
    resources: [deployments/image, deployments/env]
    resourceNames: [${APPLIED}, ${EXPIRING}]
    verbs: [override]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: ${name}
  namespace: ${ENFORCE_NS}${annotations}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${GLASS_ROLE}}
subjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: ${ALICE.name}}]
`;
}

/** Alice's edit, retried until the webhook's grant index holds the new binding. */
async function aliceEdits(args: string[], what: string): Promise<void> {
  await waitFor(what, async () => ((await asAlice(args)).code === 0 ? true : undefined), 30_000, 300);
}

let cliConfig = "";
/** The CLI on one Deployment of this file, as an admin runs it. */
const onObject = (name: string, command: string, ...extra: string[]) =>
  runCli([command, "--config", cliConfig, "--namespace", ENFORCE_NS, "--name", name, ...extra]);
let second: DriftguardProcess | undefined;

beforeAll(async () => {
  const caPem = await readFile(testbed.driftguardCaFile, "utf8");
  const repo = await createTestRepo(testbed.repoDir, testbed.workDir);
  const commit = await repo.commit("revert: two Deployments to put back", FILES);
  await waitFor(
    `driftguard to serve ${commit.slice(0, 7)}`,
    async () => {
      const body = (await sendHttps({ url: `${testbed.driftguardUrl}/readyz`, ca: caPem })).json() as {
        details?: { sources?: { name: string; state?: { commit?: string } }[] };
      };
      return body.details?.sources?.find((s) => s.name === "e2e")?.state?.commit === commit
        ? true
        : undefined;
    },
    30_000,
  );
  for (const file of Object.values(FILES)) await admin(["apply", "-f", "-"], file);
  const dir = join(testbed.workDir, "revert-cli");
  await mkdir(dir, { recursive: true });
  cliConfig = join(dir, "driftguard.yaml");
  // The CLI as an admin runs it: the admin's credentials (patch on deployments), the webhook's source.
  await writeFile(cliConfig, configYaml(dir, { port: 1, certFile: "unused.crt", keyFile: "unused.key" }));
}, 120_000);

afterAll(async () => {
  await second?.process.stop();
  for (const name of [APPLIED, EXPIRING])
    await kubectl(testbed, "admin", ["delete", "deployment", name, "-n", ENFORCE_NS, "--wait=false"]);
  for (const binding of ["revert-apply-glass", "revert-expiry-glass"])
    await kubectl(testbed, "admin", [
      "delete",
      "rolebinding",
      binding,
      "-n",
      ENFORCE_NS,
      "--ignore-not-found",
    ]);
  await kubectl(testbed, "admin", ["delete", "clusterrole", GLASS_ROLE, "--ignore-not-found"]);
  const repo = await createTestRepo(testbed.repoDir, testbed.workDir);
  await repo.commit("revert: gone again", Object.fromEntries(Object.keys(FILES).map((file) => [file, null])));
});

describe("driftguard apply", () => {
  test("reverts an image changed and an env var added under a break-glass grant, through the live webhook", async () => {
    await admin(["apply", "-f", "-"], glassBinding("revert-apply-glass"));
    await aliceEdits(
      ["set", "image", `deployment/${APPLIED}`, "web=nginx:by-hand"],
      "alice's break-glass image",
    );
    await aliceEdits(["set", "env", `deployment/${APPLIED}`, "DEBUG=1"], "alice's env var added by hand");
    await admin(["delete", "rolebinding", "revert-apply-glass", "-n", ENFORCE_NS]);
    expect(await live(APPLIED)).toMatchObject({ image: "nginx:by-hand", env: ["LOG_LEVEL", "DEBUG"] });
    // The webhook is live in this namespace: the admin's own drifting edit is denied.
    const denied = await kubectl(testbed, "admin", [
      ...["set", "image", `deployment/${APPLIED}`, "web=nginx:admin", "-n", ENFORCE_NS],
    ]);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain("driftguard");

    const plan = await onObject(APPLIED, "plan", "-o", "json");
    expect(plan.code, plan.stderr).toBe(0);
    const item = (JSON.parse(plan.stdout) as RevertPlan).items[0];
    expect(item?.changes.map((change) => [change.path, change.change])).toEqual([
      ["spec.template.spec.containers[name=web].image", "changed"],
      ["spec.template.spec.containers[name=web].env[name=DEBUG]", "added"],
    ]);
    // Env values are sensitive: the plan never shows them.
    expect(plan.stdout).not.toContain('"1"');

    const unconfirmed = await onObject(APPLIED, "apply");
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain("no terminal to confirm on");

    const dry = await onObject(APPLIED, "apply", "--dry-run");
    expect(dry.code, dry.stdout + dry.stderr).toBe(0);
    expect(dry.stdout).toContain("would be reverted");
    expect((await live(APPLIED)).image).toBe("nginx:by-hand");

    const applied = await onObject(APPLIED, "apply", "--yes");
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout).toContain(`Deployment ${ENFORCE_NS}/${APPLIED}: reverted, 2 field(s)`);
    expect(await live(APPLIED)).toMatchObject({ image: GIT_IMAGE, env: ["LOG_LEVEL"] });
    const after = await onObject(APPLIED, "plan", "-o", "json");
    expect((JSON.parse(after.stdout) as RevertPlan).items).toEqual([]);
    const event = await revertedEvent(APPLIED, "driftguard apply");
    expect(event.note).toContain("containers[name=web].image");
  });

  test("refuses an object changed after the plan, and leaves it untouched", async () => {
    await admin(["apply", "-f", "-"], glassBinding("revert-apply-glass"));
    await aliceEdits(["set", "image", `deployment/${APPLIED}`, "web=nginx:planned"], "alice's first edit");
    const plan = await runCli(["plan", "--config", cliConfig, "--namespace", ENFORCE_NS, "-o", "json"]);
    expect(plan.code, plan.stderr).toBe(0);
    const planFile = join(testbed.workDir, "revert-cli", "plan.json");
    await writeFile(planFile, plan.stdout);
    await aliceEdits(
      ["set", "image", `deployment/${APPLIED}`, "web=nginx:changed-after"],
      "alice's second edit",
    );
    const changed = await live(APPLIED);

    const applied = await runCli([
      "apply",
      "--config",
      cliConfig,
      "--plan",
      planFile,
      "--yes",
      "--name",
      APPLIED,
    ]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(1);
    expect(applied.stdout).toContain(
      `Deployment ${ENFORCE_NS}/${APPLIED}: refused: changed since the plan: run plan again`,
    );
    // Untouched by apply: the fields it would have put back are as alice left them. (The resourceVersion
    // may move meanwhile: the Deployment controller writes the object after her edit.)
    const { image, env } = await live(APPLIED);
    expect({ image, env }).toEqual({ image: changed.image, env: changed.env });

    const broken = await runCli(["apply", "--config", cliConfig, "--plan", cliConfig, "--yes"]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain("not a RevertPlan");
    await admin(["delete", "rolebinding", "revert-apply-glass", "-n", ENFORCE_NS]);
  });
});

describe("revert after grant expiry", () => {
  test("an opted-in Deployment is back to Git once the grant that let the edit through has expired", async () => {
    const dir = join(testbed.workDir, "revert-driftguard");
    await mkdir(dir, { recursive: true });
    second = await startDriftguard(dir, (server) => configYaml(dir, server, "revert-e2e"));
    const expiresAt = new Date(Date.now() + 15_000).toISOString().replace(/\.\d+Z$/, "Z");
    await admin(["apply", "-f", "-"], glassBinding("revert-expiry-glass", expiresAt));
    await aliceEdits(
      ["set", "image", `deployment/${EXPIRING}`, "web=nginx:break-glass"],
      "alice's edit under the grant",
    );
    expect((await live(EXPIRING)).image).toBe("nginx:break-glass");

    const back = await waitFor(
      `${EXPIRING} back to Git's image after ${expiresAt}`,
      async () => {
        const now = await live(EXPIRING);
        return now.image === GIT_IMAGE ? now : undefined;
      },
      90_000,
      500,
    );
    expect(back.env).toEqual(["LOG_LEVEL"]);
    const event = await revertedEvent(EXPIRING, "revert-expiry-glass");
    expect(event.note).toContain("expired");
    const metrics = parsePrometheusText(
      (await sendHttps({ url: `${second.url}/metrics`, ca: second.caPem })).text,
    );
    const reverted = metrics.find(
      (sample) => sample.name === "driftguard_reverts_total" && sample.labels.result === "reverted",
    );
    expect(reverted?.value ?? 0).toBeGreaterThanOrEqual(1);
  });
});

async function revertedEvent(name: string, noteHas: string): Promise<{ note: string }> {
  return waitFor(
    `a DriftReverted Event on ${name}`,
    async () => {
      const events = JSON.parse(
        await admin([
          ...["get", "events.events.k8s.io", "-n", ENFORCE_NS, "--field-selector", "reason=DriftReverted"],
          ...["-o", "json"],
        ]),
      ) as { items: { regarding: { name: string }; note: string; type: string }[] };
      return events.items.find((event) => event.regarding.name === name && event.note.includes(noteHas));
    },
    30_000,
    300,
  );
}

/** The webhook's source and modes, with the admin's credentials; a Lease of its own when served. */
function configYaml(
  dir: string,
  server: { port: number; certFile: string; keyFile: string },
  lease?: string,
) {
  return driftguardConfigYaml({
    auditNamespace: "e2e-audit",
    source: { name: "e2e", url: testbed.repoDir, paths: ["scenarios"], interval: "5s" },
    server,
    stateDir: join(dir, "state"),
    logLevel: "info",
    kubernetes: { watch: "on", kubeconfig: testbed.kubeconfigs.admin ?? "" },
    ...(lease === undefined ? {} : { report: { lease: `{name: ${lease}, namespace: default}` } }),
  });
}
