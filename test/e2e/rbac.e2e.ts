// RBAC-derived exemptions (docs/contract.md §5) through the real API server: the grant a denial offers, pasted by
// an admin, exempts within a second and stops within a second of its deletion; break-glass expiry
// without a restart; aggregated ClusterRoles as the controller fills them; agreement with the API
// server's own SubjectAccessReview on a generated set; no API call per admission request; and the
// watches surviving an API server restart, with admission going on from the last known RBAC while it is down.
import { readFile } from "node:fs/promises";
import { connect } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import pino from "pino";
import { afterAll, describe, expect, inject, test } from "vitest";
import type { FieldGroup } from "../../src/core/types.js";
import { type ClusterWatch, watchCluster } from "../../src/kube/cluster-watch.js";
import { request, wireReview } from "../support/reviews.js";
import { postJson } from "../support/tls/https-client.js";
import { BOB } from "./support/cluster-setup.js";
import { tokenOf } from "./support/kubeconfig.js";
import { kubectl, kubectlOk } from "./support/kubectl.js";
import { ENFORCE_NS, GIT_IMAGE } from "./support/manifests.js";
import { waitFor } from "./support/processes.js";
import {
  DEPLOYMENT_NAMES,
  generateRbac,
  QUESTION_GROUPS,
  RBAC_NAMESPACES,
  subjects,
} from "./support/rbac-cases.js";
import { sarAllows } from "./support/sar.js";

const testbed = inject("testbed");
const admin = (args: string[], input?: string) =>
  kubectlOk(testbed, "admin", args, input === undefined ? {} : { input });

/** bob's image change on `guarded`, as a server-side dry-run: the answer without the write. */
const tryImage = (dryRun = true) =>
  kubectl(testbed, BOB.name, [
    ...["set", "image", "deployment/guarded", "web=nginx:bob", "-n", ENFORCE_NS],
    ...(dryRun ? ["--dry-run=server"] : []),
  ]);

/** Polls `ask` every 50 ms; returns the milliseconds it took until `done` held. */
async function msUntil(
  ask: () => Promise<{ code: number }>,
  done: (code: number) => boolean,
): Promise<number> {
  const started = Date.now();
  await waitFor(
    "the change to take effect",
    async () => (done((await ask()).code) ? true : undefined),
    15_000,
    50,
  );
  return Date.now() - started;
}

/** The Role YAML and the rolebinding command that a denial prints. */
function adviceIn(stderr: string): { roleYaml: string; bindingArgs: string[]; binding: string } {
  const yaml = /kubectl apply -f - <<'EOF'\n([\s\S]*?)\nEOF/.exec(stderr)?.[1];
  const command = /kubectl create rolebinding ([^\n]+)/.exec(stderr)?.[1];
  if (!yaml || !command) throw new Error(`no grant advice in: ${stderr}`);
  const bindingArgs = ["create", "rolebinding", ...command.split(" ")];
  return { roleYaml: yaml, bindingArgs, binding: bindingArgs[2] ?? "" };
}

describe("a grant pasted from a denial", () => {
  let binding = "";

  test("kubectl create role cannot express it (why the advice prints YAML)", async () => {
    const result = await kubectl(testbed, "admin", [
      ...["create", "role", "probe", "--verb=override", "--resource=deployments.driftguard.io/image"],
      ...["-n", ENFORCE_NS, "--dry-run=server"],
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("the server doesn't have a resource type");
  });

  test("exempts within a second, and the answer names the binding", async () => {
    const denied = await tryImage();
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain("from field group image with RBAC:");
    const advice = adviceIn(denied.stderr);
    binding = advice.binding;
    await admin(["apply", "-f", "-"], advice.roleYaml);
    await admin(advice.bindingArgs);
    const ms = await msUntil(tryImage, (code) => code === 0);
    process.stdout.write(`rbac: a new RoleBinding took effect in ${ms} ms\n`);
    expect(ms).toBeLessThan(1_000);
    const allowed = await tryImage(false);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stderr).toContain(`exempted by RoleBinding ${ENFORCE_NS}/${binding}`);
    // Bring it back to Git for the tests below (always allowed).
    await kubectlOk(testbed, BOB.name, [
      "set",
      "image",
      "deployment/guarded",
      `web=${GIT_IMAGE}`,
      "-n",
      ENFORCE_NS,
    ]);
  });

  test("deleting the binding takes the exemption away within a second", async () => {
    await admin(["delete", "rolebinding", binding, "-n", ENFORCE_NS]);
    const ms = await msUntil(tryImage, (code) => code !== 0);
    process.stdout.write(`rbac: a deleted RoleBinding stopped counting in ${ms} ms\n`);
    expect(ms).toBeLessThan(1_000);
  });

  test("break-glass: a binding stops counting at driftguard.io/expires-at, without a restart", async () => {
    const expiresAt = new Date(Date.now() + 4_000).toISOString().replace(/\.\d+Z$/, "Z");
    await admin([
      ...["create", "rolebinding", binding, "-n", ENFORCE_NS, `--role=driftguard-override-guarded-image`],
      `--user=${BOB.name}`,
    ]);
    await admin([
      "annotate",
      "rolebinding",
      binding,
      "-n",
      ENFORCE_NS,
      `driftguard.io/expires-at=${expiresAt}`,
    ]);
    await msUntil(tryImage, (code) => code === 0);
    const allowed = await tryImage();
    expect(allowed.stderr).toContain(`expires ${expiresAt}`);
    await waitFor(
      "the expiry to pass",
      async () => (Date.now() > Date.parse(expiresAt) + 200 ? true : undefined),
      10_000,
    );
    expect((await tryImage()).code).not.toBe(0);
    await admin(["delete", "rolebinding", binding, "-n", ENFORCE_NS]);
  });
});

describe("aggregated ClusterRoles", () => {
  test("read from the rules the aggregation controller stores", async () => {
    await admin(
      ["apply", "-f", "-"],
      `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: e2e-overrides}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {e2e.driftguard.io/aggregate-to-overrides: "true"}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: e2e-overrides-image
  labels: {e2e.driftguard.io/aggregate-to-overrides: "true"}
rules: [{apiGroups: [driftguard.io], resources: [deployments/image], verbs: [override]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: e2e-overrides-bob}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: e2e-overrides}
subjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: bob}]
`,
    );
    await msUntil(tryImage, (code) => code === 0);
    expect((await tryImage()).stderr).toContain(
      "exempted by ClusterRoleBinding e2e-overrides-bob (ClusterRole e2e-overrides)",
    );
    await admin(["delete", "clusterrolebinding", "e2e-overrides-bob"]);
    await msUntil(tryImage, (code) => code !== 0);
  });
});

describe("agreement with the API server's SubjectAccessReview", () => {
  let watch: ClusterWatch | undefined;
  afterAll(() => watch?.stop());

  test("on a generated set of 200 bindings without wildcards", async () => {
    for (const ns of RBAC_NAMESPACES) await admin(["create", "namespace", ns]);
    const generated = generateRbac(20261124, 200);
    await admin(["apply", "-f", "-"], JSON.stringify(generated.list));
    // driftguard's own watch code and grant index, in this process, on driftguard's credentials.
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(testbed.kubeconfigs.driftguard ?? "");
    watch = watchCluster({ kubeConfig, logger: pino({ level: "silent" }), resyncMs: 600_000 });
    await watch.firstSync;
    await waitFor(
      "the grant index",
      async () => ((watch?.rebuilds() ?? 0) > 0 ? true : undefined),
      5_000,
      20,
    );
    const api = {
      server: testbed.server,
      caFile: testbed.apiCaFile,
      adminToken: await tokenOf(testbed, "admin"),
    };
    let asked = 0;
    let agreed = 0;
    let granted = 0;
    const disagreements: string[] = [];
    for (const who of subjects()) {
      for (const namespace of RBAC_NAMESPACES) {
        for (const name of DEPLOYMENT_NAMES) {
          const resolver = watch.grantsFor(
            { username: who.username, groups: who.groups },
            { namespace, name },
          );
          for (const group of QUESTION_GROUPS) {
            const ours = resolver?.(group as FieldGroup) !== undefined;
            const whole = await sarAllows(api, { who, namespace, name, subresource: undefined });
            const theirs =
              whole ||
              (group !== "*" && (await sarAllows(api, { who, namespace, name, subresource: group })));
            asked++;
            if (theirs) granted++;
            if (ours === theirs) agreed++;
            else
              disagreements.push(
                `${who.username} ${namespace}/${name} ${group}: driftguard ${ours}, SAR ${theirs}`,
              );
          }
        }
      }
    }
    process.stdout.write(
      `rbac: ${generated.bindings} bindings; ${agreed} of ${asked} answers agree with SubjectAccessReview (${granted} granted)\n`,
    );
    expect(disagreements).toEqual([]);
    expect(granted).toBeGreaterThan(20); // the set must exercise grants, not only refusals
    expect(asked - granted).toBeGreaterThan(20);
  });
});

describe("the request path", () => {
  test("makes no API call per admission request (the API server's audit log counts them)", async () => {
    const before = await driftguardRequests();
    for (let i = 0; i < 20; i++) expect((await tryImage()).code).not.toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 500)); // let the audit log flush
    const after = await driftguardRequests();
    process.stdout.write(
      `rbac: driftguard's API requests during 20 admission requests: ${after.nonWatch - before.nonWatch} (watches open: ${after.watch})\n`,
    );
    expect(after.nonWatch - before.nonWatch).toBe(0);
    expect(after.watch).toBeGreaterThanOrEqual(5);
  });
});

async function driftguardRequests(): Promise<{ nonWatch: number; watch: number }> {
  const lines = (await readFile(testbed.auditLog, "utf8")).split("\n").filter(Boolean);
  let nonWatch = 0;
  let watch = 0;
  for (const line of lines) {
    const event = JSON.parse(line) as {
      verb?: string;
      stage?: string;
      user?: { username?: string };
      objectRef?: { resource?: string };
    };
    if (
      event.user?.username !== "driftguard" ||
      (event.stage !== "ResponseStarted" && event.stage !== "ResponseComplete")
    )
      continue;
    // The writers' Lease is renewed on its own clock (a third of its duration), whatever the requests.
    if (event.objectRef?.resource === "leases") continue;
    if (event.verb === "watch") {
      if (event.stage === "ResponseStarted") watch++;
    } else if (event.stage === "ResponseComplete") nonWatch++;
  }
  return { nonWatch, watch };
}

describe("an API server crash", () => {
  test("while it is down, admission goes on with the last known RBAC", async () => {
    await admin([
      ...[
        "create",
        "rolebinding",
        "before-outage",
        "-n",
        ENFORCE_NS,
        "--role=driftguard-override-guarded-image",
      ],
      `--user=${BOB.name}`,
    ]);
    await msUntil(tryImage, (code) => code === 0);
    const live = JSON.parse(await admin(["get", "deployment", "guarded", "-n", ENFORCE_NS, "-o", "json"]));
    const changed = structuredClone(live);
    changed.spec.template.spec.containers[0].image = "nginx:bob";
    // What the API server would send for bob's and for alice's image change; posted to driftguard directly,
    // since no API server is there to send it.
    const review = (username: string) =>
      wireReview(
        request({
          operation: "UPDATE",
          object: changed,
          oldObject: live,
          user: { username, groups: ["system:authenticated"] },
        }),
      );
    const ca = await readFile(testbed.driftguardCaFile, "utf8");
    const ask = async (username: string) => {
      const answer = await postJson(`${testbed.driftguardUrl}/validate`, ca, review(username));
      expect(answer.status).toBe(200);
      return (answer.json() as { response: { allowed: boolean; warnings?: string[] } }).response;
    };
    const crashed = fetch(`${testbed.controlUrl}/crash-apiserver?downMs=6000`, { method: "POST" });
    await waitFor(
      "the API server to be gone",
      async () => ((await refused(testbed.server)) ? true : undefined),
      10_000,
      50,
    );
    const bob = await ask(BOB.name);
    const alice = await ask("alice");
    const stillDown = await refused(testbed.server);
    process.stdout.write(
      `rbac: during the API server outage: bob ${bob.allowed ? "allowed" : "denied"}, alice ${alice.allowed ? "allowed" : "denied"} (API server still down: ${stillDown})\n`,
    );
    expect(stillDown).toBe(true);
    expect(bob.allowed).toBe(true);
    expect(JSON.stringify(bob.warnings)).toContain(`${ENFORCE_NS}/before-outage`);
    expect(alice.allowed).toBe(false);
    expect((await crashed).status).toBe(204);
    await admin(["delete", "rolebinding", "before-outage", "-n", ENFORCE_NS]);
    await msUntil(tryImage, (code) => code !== 0);
  });

  test("driftguard survives it, and its watches come back", async () => {
    const restarted = fetch(`${testbed.controlUrl}/crash-apiserver?downMs=3000`, { method: "POST" });
    const response = await restarted;
    expect(response.status).toBe(204);
    const back = Date.now();
    await admin([
      ...[
        "create",
        "rolebinding",
        "after-crash",
        "-n",
        ENFORCE_NS,
        "--role=driftguard-override-guarded-image",
      ],
      `--user=${BOB.name}`,
    ]);
    const ms = await msUntil(tryImage, (code) => code === 0);
    process.stdout.write(
      `rbac: after an API server crash, a new binding counted ${Date.now() - back} ms after the restart (${ms} ms after its creation)\n`,
    );
    expect((await tryImage()).stderr).toContain(`exempted by RoleBinding ${ENFORCE_NS}/after-crash`);
    await admin(["delete", "rolebinding", "after-crash", "-n", ENFORCE_NS]);
    await msUntil(tryImage, (code) => code !== 0);
  });
});

/** Whether nothing listens at `url`'s port (the API server process is gone). */
function refused(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((done) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.end();
      done(false);
    });
    socket.on("error", (error: NodeJS.ErrnoException) => done(error.code === "ECONNREFUSED"));
  });
}
