// The change-management round trip (docs/contract.md §11) through the real API server, the live
// webhook and the test's Git repository:
//   a manual edit denied → the denial names `driftguard propose ... --request UID` → that command
//   pushes a branch with the Git change → the branch is merged → driftguard serves the merge → the
//   GitOps identity applies Git's manifest (allowed) → the same edit by the user is no drift, and
//   `plan` has nothing to put back.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { RevertPlan } from "../../src/core/revert-plan.js";
import { createTestRepo, type TestRepo } from "../support/git/test-repo.js";
import { sendHttps } from "../support/tls/https-client.js";
import { runCli } from "./support/cli.js";
import { ALICE, GITOPS } from "./support/cluster-setup.js";
import { driftguardConfigYaml } from "./support/configs.js";
import { kubectl, kubectlOk } from "./support/kubectl.js";
import { ENFORCE_NS, GIT_IMAGE, webDeployment, yamlOf } from "./support/manifests.js";
import { waitFor } from "./support/processes.js";

const testbed = inject("testbed");
const NAME = "round-trip";
const FILE = `scenarios/${ENFORCE_NS}/${NAME}.yaml`;
const WANTED = "nginx:1.27.4";
const UID = /--request ([0-9a-f-]{36})/;

let repo: TestRepo;
let cliConfig = "";
let caPem = "";

/** The commit driftguard's webhook serves for the e2e source. */
async function servedCommit(): Promise<string | undefined> {
  const body = (await sendHttps({ url: `${testbed.driftguardUrl}/readyz`, ca: caPem })).json() as {
    details?: { sources?: { name: string; state?: { commit?: string } }[] };
  };
  return body.details?.sources?.find((source) => source.name === "e2e")?.state?.commit;
}

async function waitForServed(commit: string): Promise<void> {
  await waitFor(
    `driftguard to serve ${commit.slice(0, 7)}`,
    async () => ((await servedCommit()) === commit ? true : undefined),
    30_000,
  );
}

async function liveImage(): Promise<string> {
  const json = await kubectlOk(testbed, "admin", ["get", "deployment", NAME, "-n", ENFORCE_NS, "-o", "json"]);
  const object = JSON.parse(json) as { spec: { template: { spec: { containers: { image: string }[] } } } };
  return object.spec.template.spec.containers[0]?.image ?? "";
}

const aliceSetsImage = (...extra: string[]) =>
  kubectl(testbed, ALICE.name, [
    "set",
    "image",
    `deployment/${NAME}`,
    `web=${WANTED}`,
    "-n",
    ENFORCE_NS,
    ...extra,
  ]);

beforeAll(async () => {
  caPem = await readFile(testbed.driftguardCaFile, "utf8");
  repo = await createTestRepo(testbed.repoDir, testbed.workDir);
  const manifest = yamlOf(webDeployment({ name: NAME, namespace: ENFORCE_NS }));
  await waitForServed(
    await repo.commit("round trip: a Deployment a user will want to change", { [FILE]: manifest }),
  );
  await kubectlOk(testbed, "admin", ["apply", "-f", "-"], { input: manifest });
  const dir = join(testbed.workDir, "round-trip-cli");
  await mkdir(dir, { recursive: true });
  cliConfig = join(dir, "driftguard.yaml");
  // The config a platform team hands its users: the webhook's source, read with the user's credentials.
  await writeFile(
    cliConfig,
    driftguardConfigYaml({
      auditNamespace: "e2e-audit",
      source: { name: "e2e", url: testbed.repoDir, paths: ["scenarios"] },
      stateDir: join(dir, "state"),
      kubernetes: { watch: "on", kubeconfig: testbed.kubeconfigs.admin ?? "" },
    }),
  );
}, 120_000);

afterAll(async () => {
  await kubectl(testbed, "admin", ["delete", "deployment", NAME, "-n", ENFORCE_NS, "--wait=false"]);
  await repo.commit("round trip: gone again", { [FILE]: null });
});

describe("a denied edit becomes a Git change and comes back through GitOps", () => {
  test("denied → propose --request --branch → merged → applied by GitOps → the same edit is no drift", async () => {
    // 1. The manual edit is denied, and the denial names the one command that proposes it.
    const denied = await aliceSetsImage();
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain("driftguard propose --config CONFIG --request ");
    const uid = UID.exec(denied.stderr)?.[1];
    expect(uid, denied.stderr).toBeDefined();
    expect(await liveImage()).toBe(GIT_IMAGE);

    // 2. That command, from the user's side: the record is read from the API server (it is written
    //    asynchronously, so ask until it is there), the change pushed as a branch of the source.
    const proposed = await waitFor(
      "the decision record of the denied request",
      async () => {
        const run = await runCli([
          "propose",
          "--config",
          cliConfig,
          "--request",
          uid ?? "",
          "--branch",
          "-o",
          "json",
        ]);
        return run.stderr.includes("DG_PROPOSE_NO_RECORD") ? undefined : run;
      },
      30_000,
      500,
    );
    expect(proposed.code, proposed.stdout + proposed.stderr).toBe(0);
    const proposal = JSON.parse(proposed.stdout) as {
      kind: string;
      request: { uid: string; username: string };
      fields: string[];
      files: { path: string; diff: string }[];
      branch: { name: string; commit: string };
    };
    expect(proposal).toMatchObject({ kind: "Proposal", request: { uid, username: ALICE.name } });
    expect(proposal.fields).toEqual(["spec.template.spec.containers[name=web].image"]);
    expect(proposal.files.map((file) => file.path)).toEqual([FILE]);
    expect(proposal.files[0]?.diff).toMatch(new RegExp(`^-\\s+image: ${GIT_IMAGE}$`, "m"));
    expect(proposal.files[0]?.diff).toMatch(new RegExp(`^\\+\\s+image: ${WANTED}$`, "m"));
    expect(proposal.branch.name).toBe(`driftguard/${ENFORCE_NS}-${NAME}-${uid?.slice(0, 8)}`);
    const message = await repo.git("log", "-1", "--format=%an%n%B", proposal.branch.name);
    expect(message).toContain("driftguard");
    expect(message).toContain(`as ${ALICE.name} asked`);
    expect(message).toContain(`Request uid: ${uid}`);

    // 3. The team merges the branch; driftguard serves the merge.
    await repo.git("merge", "--no-ff", "--no-edit", proposal.branch.name);
    await waitForServed(await repo.head());

    // 4. The GitOps identity applies Git's manifest: allowed, and the cluster now runs what was asked.
    const applied = await kubectl(
      testbed,
      GITOPS.key,
      ["apply", "--server-side", "--field-manager=argocd-controller", "--force-conflicts", "-f", "-"],
      { input: await readFile(join(testbed.repoDir, FILE), "utf8") },
    );
    expect(applied.code, applied.stderr).toBe(0);
    expect(await liveImage()).toBe(WANTED);

    // 5. The same edit by the user is now no drift: allowed without a word, and nothing to put back.
    const again = await aliceSetsImage("--dry-run=server");
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain("driftguard");
    const plan = await runCli([
      "plan",
      "--config",
      cliConfig,
      "--namespace",
      ENFORCE_NS,
      "--name",
      NAME,
      "-o",
      "json",
    ]);
    expect(plan.code, plan.stderr).toBe(0);
    expect((JSON.parse(plan.stdout) as RevertPlan).items).toEqual([]);

    // 6. And the history says who tried what.
    const history = await runCli([
      ...["history", "--kubeconfig", testbed.kubeconfigs.admin ?? "", "--namespace", ENFORCE_NS],
      ...["--name", NAME, "-o", "json"],
    ]);
    expect(history.code, history.stderr).toBe(0);
    const items = (
      JSON.parse(history.stdout) as { items: { requestUid: string; requester: { username: string } }[] }
    ).items;
    expect(items.find((item) => item.requestUid === uid)?.requester.username).toBe(ALICE.name);
  }, 180_000);
});
