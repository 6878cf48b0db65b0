// Decision history (docs/contract.md §11) in the real test bed: alice's denied edit, bob's edit let through
// by a break-glass RoleBinding, and a --dry-run=server edit, as `driftguard history` reads them back from
// the API server's DecisionRecord objects with the admin's kubeconfig (and from the replica's store on
// disk): the user, the requested value, the binding's name and expiry; nothing for the dry-run.
import { join } from "node:path";
import { afterAll, describe, expect, inject, test } from "vitest";
import type { DecisionRecord } from "../../src/core/decision-record.js";
import { runCli } from "./support/cli.js";
import { ALICE, BOB } from "./support/cluster-setup.js";
import { kubectl, kubectlOk } from "./support/kubectl.js";
import { ENFORCE_NS, GIT_IMAGE } from "./support/manifests.js";
import { waitFor } from "./support/processes.js";

const testbed = inject("testbed");
const admin = (args: string[], input?: string) =>
  kubectlOk(testbed, "admin", args, input === undefined ? {} : { input });
const NAME = "guarded";
const BINDING = "history-break-glass";
const ROLE = "history-override-guarded-image";
// Unique per run, so that records of earlier files on the same Deployment never match.
const RUN = Date.now().toString(36);
const DRY_IMAGE = `nginx:history-dry-${RUN}`;
const DENIED_IMAGE = `nginx:history-denied-${RUN}`;
const GLASS_IMAGE = `nginx:history-glass-${RUN}`;

const setImage = (user: string, image: string, dryRun = false) =>
  kubectl(testbed, user, [
    ...["set", "image", `deployment/${NAME}`, `web=${image}`, "-n", ENFORCE_NS],
    ...(dryRun ? ["--dry-run=server"] : []),
  ]);

async function history(args: string[]): Promise<DecisionRecord[]> {
  const result = await runCli([
    "history",
    ...["--kubeconfig", testbed.kubeconfigs.admin ?? ""],
    ...["--namespace", ENFORCE_NS, "--name", NAME, "-o", "json"],
    ...args,
  ]);
  expect(result.code, result.stderr).toBe(0);
  const list = JSON.parse(result.stdout) as { apiVersion: string; kind: string; items: DecisionRecord[] };
  expect(list).toMatchObject({ apiVersion: "driftguard.io/v1alpha1", kind: "DecisionHistory" });
  return list.items;
}

const requesting = (image: string) => (record: DecisionRecord) =>
  record.fields.some((field) => field.requested === image);

/** The record of the request that asked for `image`, once the replica has created it. */
const recordOf = (image: string) =>
  waitFor(
    `the DecisionRecord of the edit to ${image}`,
    async () => (await history([])).find(requesting(image)),
    15_000,
    250,
  );

afterAll(async () => {
  await kubectl(testbed, "admin", ["delete", "rolebinding", BINDING, "-n", ENFORCE_NS, "--ignore-not-found"]);
  await kubectl(testbed, "admin", ["delete", "role", ROLE, "-n", ENFORCE_NS, "--ignore-not-found"]);
  await kubectl(testbed, "admin", [
    "set",
    "image",
    `deployment/${NAME}`,
    `web=${GIT_IMAGE}`,
    "-n",
    ENFORCE_NS,
  ]);
});

describe("decision history", () => {
  test("a denied edit is recorded with the user, the fields and Git's file; a dry-run leaves none", async () => {
    const dry = await setImage(ALICE.name, DRY_IMAGE, true);
    expect(dry.stderr).toContain("driftguard:");
    const denied = await setImage(ALICE.name, DENIED_IMAGE);
    expect(denied.code).not.toBe(0);
    const record = await recordOf(DENIED_IMAGE);
    expect(record).toMatchObject({
      kind: "DecisionRecord",
      requester: { username: ALICE.name },
      operation: "UPDATE",
      object: { namespace: ENFORCE_NS, name: NAME },
      verdict: { outcome: "deny", reason: "drift" },
      why: { mode: "enforce" },
      git: { file: `scenarios/${ENFORCE_NS}/${NAME}.yaml` },
    });
    expect(record.requester.groups).toContain(ALICE.groups[0]);
    expect(record.object.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(record.fields.find((field) => field.requested === DENIED_IMAGE)).toMatchObject({
      git: GIT_IMAGE,
      old: GIT_IMAGE,
    });
    // Records are created in order: the dry-run came first, so its record would be there by now.
    expect((await history([])).filter(requesting(DRY_IMAGE))).toEqual([]);
    // The same record on the replica's disk store.
    const local = await runCli([
      "history",
      "--state-dir",
      join(testbed.workDir, "driftguard-state"),
      "-o",
      "json",
    ]);
    expect(local.code, local.stderr).toBe(0);
    const stored = (JSON.parse(local.stdout) as { items: DecisionRecord[] }).items;
    expect(stored.find((item) => item.requestUid === record.requestUid)).toEqual(record);
    expect(stored.filter(requesting(DRY_IMAGE))).toEqual([]);
    // Readable text, filtered by user.
    const text = await runCli([
      "history",
      ...[
        "--kubeconfig",
        testbed.kubeconfigs.admin ?? "",
        "--name",
        NAME,
        "--user",
        ALICE.name,
        "--since",
        "1h",
      ],
    ]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(
      `${ALICE.name} DENIED UPDATE ${ENFORCE_NS}/${NAME} (request ${record.requestUid})`,
    );
    expect(text.stdout).toContain(`"${GIT_IMAGE}" → "${DENIED_IMAGE}"`);
  });

  test("a break-glass edit is recorded with the binding's name and expiry", async () => {
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, "Z");
    await admin(
      ["apply", "-f", "-"],
      `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: ${ROLE}, namespace: ${ENFORCE_NS}}
rules:
  - {apiGroups: [driftguard.io], resources: [deployments/image], resourceNames: [${NAME}], verbs: [override]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: ${BINDING}
  namespace: ${ENFORCE_NS}
  annotations: {driftguard.io/expires-at: "${expiresAt}"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ${ROLE}}
subjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: ${BOB.name}}]
`,
    );
    await waitFor(
      "the break-glass grant to count",
      async () => ((await setImage(BOB.name, GLASS_IMAGE, true)).code === 0 ? true : undefined),
      15_000,
      100,
    );
    const allowed = await setImage(BOB.name, GLASS_IMAGE);
    expect(allowed.code, allowed.stderr).toBe(0);
    const record = await recordOf(GLASS_IMAGE);
    expect(record).toMatchObject({
      requester: { username: BOB.name },
      verdict: { outcome: "warn", reason: "exempted" },
      why: {
        mode: "enforce",
        grants: [
          {
            binding: { kind: "RoleBinding", namespace: ENFORCE_NS, name: BINDING },
            expiresAt,
            paths: ["spec.template.spec.containers[name=web].image"],
          },
        ],
      },
    });
    expect(record.why.grants[0]?.description).toContain(`RoleBinding ${ENFORCE_NS}/${BINDING}`);
    expect(record.fields).toMatchObject([{ role: "exempted", git: GIT_IMAGE, requested: GLASS_IMAGE }]);
    const text = await runCli([
      "history",
      "--kubeconfig",
      testbed.kubeconfigs.admin ?? "",
      "--user",
      BOB.name,
    ]);
    expect(text.stdout).toContain(`${BOB.name} ALLOWED BY GRANT UPDATE ${ENFORCE_NS}/${NAME}`);
    expect(text.stdout).toContain(`allowed by RoleBinding ${ENFORCE_NS}/${BINDING}`);
    // The object itself, as kubectl shows it: labelled by Deployment and outcome.
    const objects = await admin([
      ...["get", "decisionrecords", "-n", ENFORCE_NS, "-o", "json"],
      `-l=driftguard.io/deployment=${NAME},driftguard.io/outcome=warn`,
    ]);
    const names = (JSON.parse(objects) as { items: { metadata: { name: string } }[] }).items.map(
      (item) => item.metadata.name,
    );
    expect(names).toContain(record.requestUid);
  });
});
