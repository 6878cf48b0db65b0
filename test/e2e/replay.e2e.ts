// `driftguard replay` on the test bed's own audit log, and `driftguard diff --cluster` on its cluster.
// The same kubectl edits, as alice, on one Deployment in the audit namespace (every edit passes, with
// warnings) and on its twin in the enforce namespace (what kubectl was refused is what enforce denied).
// The replay of the audit log must find, in the audit namespace, exactly the edits enforce denied.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, inject, test } from "vitest";
import type { DriftReport } from "../../src/core/drift-report.js";
import type { ReplayGroup, ReplayReport } from "../../src/core/replay-report.js";
import { runCli as cli, type CliRun as Run } from "./support/cli.js";
import { ALICE, GITOPS, HPA } from "./support/cluster-setup.js";
import { driftguardConfigYaml } from "./support/configs.js";
import { writeKubeconfigWithToken } from "./support/kubeconfig.js";
import { kubectl, kubectlOk } from "./support/kubectl.js";
import { AUDIT_NS, ENFORCE_NS, REPLAY_NAME, webDeployment, yamlOf } from "./support/manifests.js";

const testbed = inject("testbed");
const GIT_MANIFEST = (namespace: string) => yamlOf(webDeployment({ name: REPLAY_NAME, namespace }));

interface Edit {
  name: string;
  args: string[];
  input?: (namespace: string) => string;
  /** The field group enforce denies it for; undefined: it must pass in both modes. */
  denied: string | undefined;
}

const D = `deployment/${REPLAY_NAME}`;
const EDITS: readonly Edit[] = [
  { name: "set image", args: ["set", "image", D, "web=nginx:replayed"], denied: "image" },
  { name: "scale", args: ["scale", D, "--replicas=4"], denied: "replicas" },
  { name: "edit env", args: ["set", "env", D, "LOG_LEVEL=debug"], denied: "env" },
  {
    name: "patch a label",
    args: ["patch", D, "--type=merge", "-p", '{"metadata":{"labels":{"tier":"replayed"}}}'],
    denied: "metadata",
  },
  {
    // Git's manifest, applied server-side: takes the image, replicas and env back to Git's values.
    name: "an in-sync apply",
    args: ["apply", "--server-side", "--force-conflicts", "-f", "-"],
    input: GIT_MANIFEST,
    denied: undefined,
  },
  { name: "rollout restart", args: ["rollout", "restart", D], denied: undefined },
];

/** A config like the e2e one, offline: the scenarios only, its own state folder, the given kubeconfig. */
async function configFile(name: string, kubeconfig: string): Promise<string> {
  const file = join(testbed.workDir, `replay-${name}.yaml`);
  await writeFile(
    file,
    driftguardConfigYaml({
      auditNamespace: AUDIT_NS,
      source: { name: "e2e", url: testbed.repoDir, paths: ["scenarios"] },
      accounts: { hpa: HPA, gitops: GITOPS },
      stateDir: join(testbed.workDir, `replay-state-${name}`),
      kubernetes: { watch: "off", kubeconfig },
    }),
  );
  return file;
}

const results = new Map<string, Run[]>();
let window = "";
let adminConfig = "";

beforeAll(async () => {
  // Only this file's part of the log: other files' edits (manual-edits.e2e.ts) are the same user's.
  const start = (await readFile(testbed.auditLog, "utf8")).length;
  for (const namespace of [AUDIT_NS, ENFORCE_NS])
    await kubectlOk(testbed, "admin", ["apply", "-f", "-"], { input: GIT_MANIFEST(namespace) });
  // A dry run leaves an audit event too; the replay skips it.
  await kubectl(testbed, ALICE.name, [
    "set",
    "image",
    D,
    "web=nginx:dry",
    "-n",
    AUDIT_NS,
    "--dry-run=server",
  ]);
  for (const edit of EDITS) {
    const runs: Run[] = [];
    for (const namespace of [AUDIT_NS, ENFORCE_NS]) {
      const input = edit.input?.(namespace);
      runs.push(
        await kubectl(
          testbed,
          ALICE.name,
          [...edit.args, "-n", namespace],
          input === undefined ? {} : { input },
        ),
      );
    }
    results.set(edit.name, runs);
  }
  // The log backend writes each event as the request completes; a short pause covers the file's buffer.
  await new Promise((resolve) => setTimeout(resolve, 500));
  window = join(testbed.workDir, "replay-audit.log");
  await writeFile(window, (await readFile(testbed.auditLog, "utf8")).slice(start));
  adminConfig = await configFile("admin", testbed.kubeconfigs.admin ?? "");
}, 180_000);

describe("the edits themselves", () => {
  test.each(EDITS)("$name: passes in audit mode; in enforce mode denied exactly when expected", (edit) => {
    const [audit, enforce] = results.get(edit.name) ?? [];
    expect(audit?.code, audit?.stderr).toBe(0);
    if (edit.denied === undefined) expect(enforce?.code, enforce?.stderr).toBe(0);
    else
      expect(enforce?.stderr).toContain('admission webhook "deployments.driftguard.io" denied the request');
  });
});

describe("replay --audit-log", () => {
  let report: ReplayReport;
  let run: Run;
  beforeAll(async () => {
    run = await cli(["replay", "--config", adminConfig, "--audit-log", window, "-o", "json"]);
    report = JSON.parse(run.stdout) as ReplayReport;
  }, 180_000);

  const ofAlice = (groups: readonly ReplayGroup[], namespace: string) =>
    groups.filter((group) => group.user === ALICE.name && group.namespace === namespace);
  /** The field group of each request, in time order. */
  const byTime = (groups: readonly ReplayGroup[]) =>
    groups
      .flatMap((group) =>
        group.examples.map((example) => ({ time: example.time, group: group.group, example })),
      )
      .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));

  test("exit 1, a versioned report, the dry run skipped, no bad line", () => {
    expect(run.code, run.stderr).toBe(1);
    expect(report.apiVersion).toBe("driftguard.io/v1alpha1");
    expect(report.kind).toBe("ReplayReport");
    expect(report.input.skipped["dry run"]).toBeGreaterThanOrEqual(1);
    expect(report.input.badLines).toBe(0);
    expect(report.assumptions.rbac).toMatch(/^none/);
  });

  test("what the audit namespace would have had denied equals what the enforce namespace was denied, edit by edit", () => {
    const expected = EDITS.flatMap((edit) => (edit.denied === undefined ? [] : [edit.denied]));
    const wouldDeny = byTime(ofAlice(report.wouldDeny, AUDIT_NS));
    const denied = byTime(ofAlice(report.deniedAtTime, ENFORCE_NS));
    process.stdout.write(
      `replay: would deny ${wouldDeny.map((e) => e.group).join(", ")}; denied at the time ${denied.map((e) => e.group).join(", ")}\n`,
    );
    expect(wouldDeny.map((entry) => entry.group)).toEqual(expected);
    expect(denied.map((entry) => entry.group)).toEqual(expected);
    // The same fields, named alike, and the objects are the test's twins.
    expect(wouldDeny.map((entry) => entry.example.fields)).toEqual(
      denied.map((entry) => entry.example.fields),
    );
    expect(new Set(wouldDeny.map((entry) => entry.example.object))).toEqual(
      new Set([`${AUDIT_NS}/${REPLAY_NAME}`]),
    );
    // Nothing else: the enforce namespace's passing edits would pass, the audit namespace was never refused.
    expect(ofAlice(report.wouldDeny, ENFORCE_NS)).toEqual([]);
    expect(ofAlice(report.deniedAtTime, AUDIT_NS)).toEqual([]);
    expect(report.summary.wouldDeny).toBe(expected.length);
    expect(report.summary.deniedByDriftguard).toBe(expected.length);
    expect(report.summary.notJudged).toBe(0);
  });

  test("the text says the same, with its assumptions in the header", async () => {
    const text = await cli(["replay", "--config", adminConfig, "--audit-log", window]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain("Desired state: Git as it is now");
    expect(text.stdout).toContain("RBAC grants: none");
    expect(text.stdout).toContain(`Would be denied in enforce mode: ${report.summary.wouldDeny} request(s)`);
    expect(text.stdout).toMatch(new RegExp(`alice in ${AUDIT_NS}, image: 1 request\\(s\\)`));
  });
});

describe("diff --cluster", () => {
  test("the audit namespace's drifted twin as a plan, exit 1; --exit-code=false exit 0", async () => {
    const plan = await cli(["diff", "--config", adminConfig, "--cluster", "--namespace", AUDIT_NS]);
    expect(plan.code, plan.stderr).toBe(1);
    expect(plan.stdout).toMatch(
      new RegExp(
        `^Deployment ${AUDIT_NS}/${REPLAY_NAME} — source "e2e", commit [0-9a-f]{7}, file scenarios/${AUDIT_NS}/${REPLAY_NAME}\\.yaml$`,
        "m",
      ),
    );
    expect(plan.stdout).toContain('  + metadata.labels.tier: "replayed"');
    expect(plan.stdout).toMatch(/^\d+ drifted, \d+ in sync, \d+ unmanaged, 0 errors$/m);
    const quiet = await cli([
      "diff",
      "--config",
      adminConfig,
      "--cluster",
      "--namespace",
      AUDIT_NS,
      "--exit-code=false",
    ]);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).toBe(plan.stdout);
  });

  test("-o json: the versioned DriftReport of every namespace", async () => {
    const run = await cli(["diff", "--config", adminConfig, "--cluster", "-o", "json"]);
    const report = JSON.parse(run.stdout) as DriftReport;
    expect(report.apiVersion).toBe("driftguard.io/v1alpha1");
    expect(report.kind).toBe("DriftReport");
    const twin = report.objects.find((o) => o.namespace === AUDIT_NS && o.name === REPLAY_NAME);
    expect(twin?.state).toBe("drifted");
    expect(twin?.fields.map((f) => f.path)).toContain("metadata.labels.tier");
    const enforced = report.objects.find((o) => o.namespace === ENFORCE_NS && o.name === REPLAY_NAME);
    expect(enforced?.state).toBe("in-sync");
    expect(report.objects.some((o) => o.namespace === "kube-system")).toBe(false);
    expect(report.errors).toEqual([]);
  });

  test("credentials that may not list Deployments: an error entry and exit 2, no crash", async () => {
    // A service account with no role at all (every test user may list Deployments, and so may
    // driftguard's own identity, for the live scan).
    await kubectl(testbed, "admin", ["create", "serviceaccount", "no-rights", "-n", ENFORCE_NS]);
    const token = (
      await kubectlOk(testbed, "admin", ["create", "token", "no-rights", "-n", ENFORCE_NS])
    ).trim();
    const kubeconfig = join(testbed.workDir, "kubeconfig-no-rights");
    await writeKubeconfigWithToken(testbed, kubeconfig, token);
    const config = await configFile("no-rights", kubeconfig);
    const run = await cli(["diff", "--config", config, "--cluster"]);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/^error: cannot list Deployments \(403 Forbidden\)/m);
    expect(run.stdout).toMatch(/1 error$/m);
  });

  test("an API server that cannot be reached: exit 2 with DG_CLUSTER_UNREACHABLE's message", async () => {
    const kubeconfig = join(testbed.workDir, "kubeconfig-nowhere");
    const text = (await readFile(testbed.kubeconfigs.admin ?? "", "utf8")).replace(
      testbed.server,
      "https://127.0.0.1:1",
    );
    await writeFile(kubeconfig, text, { mode: 0o600 });
    const run = await cli(["diff", "--config", await configFile("nowhere", kubeconfig), "--cluster"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^driftguard: cannot read Deployments from the API server: .*ECONNREFUSED/);
  });
});
