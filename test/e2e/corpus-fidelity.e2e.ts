// Fidelity on real inputs: every whole Deployment of ../shared/corpus, committed to the run's Git
// repository (one folder and one namespace per corpus repository), goes through the real API server
// with driftguard in enforce mode: created, server-side applied, replaced, restarted and scaled by the
// HPA identity. Each of these matches Git (or is exempt), so any denial is a false one.
import { join } from "node:path";
import { describe, expect, inject, test } from "vitest";
import { ALICE, HPA } from "./support/cluster-setup.js";
import { type KubectlResult, kubectl } from "./support/kubectl.js";

const testbed = inject("testbed");
const layout = testbed.corpus;

interface StepTally {
  denied: string[];
  rejectedByApiServer: string[];
  warnings: string[];
}

const STEPS = [
  "create",
  "apply --server-side",
  "replace",
  "rollout restart",
  "scale (HPA identity)",
] as const;
type Step = (typeof STEPS)[number];

function namesIn(files: readonly string[]): string[] {
  return files.map((file) => /^\d+-(.*)\.json$/.exec(file.split("/").at(-1) ?? "")?.[1] ?? "");
}

async function runStep(step: Step, namespace: string, files: readonly string[]): Promise<KubectlResult> {
  const paths = files.flatMap((file) => ["-f", join(testbed.repoDir, file)]);
  const names = namesIn(files);
  switch (step) {
    case "create":
      return kubectl(testbed, ALICE.name, ["create", ...paths]);
    case "apply --server-side":
      // --force-conflicts, as GitOps tools apply: `kubectl create` owns atomic fields such as
      // env[].valueFrom.fieldRef with the server's default apiVersion filled in, which the manifest
      // leaves out, and the API server calls that a conflict between field managers.
      return kubectl(testbed, ALICE.name, [
        ...["apply", "--server-side", "--force-conflicts", "--field-manager=e2e-corpus", ...paths],
      ]);
    case "replace":
      return replaceRetryingConflicts(files);
    case "rollout restart":
      return kubectl(testbed, ALICE.name, [
        "rollout",
        "restart",
        "-n",
        namespace,
        ...names.map((n) => `deployment/${n}`),
      ]);
    case "scale (HPA identity)":
      return kubectl(testbed, HPA.key, [
        "scale",
        "-n",
        namespace,
        "--replicas=3",
        ...names.map((n) => `deployment/${n}`),
      ]);
  }
}

/**
 * `kubectl replace` sends the resourceVersion the file does not have, read just before; the deployment
 * controller's status writes can come in between (a Conflict from the API server, not from driftguard).
 * The files that lost that race are replaced again, a few times; any other line is kept.
 */
async function replaceRetryingConflicts(files: readonly string[]): Promise<KubectlResult> {
  let pending = [...files];
  let result: KubectlResult = { code: 0, stdout: "", stderr: "" };
  const kept: string[] = [];
  for (let attempt = 1; attempt <= 5 && pending.length > 0; attempt += 1) {
    result = await kubectl(testbed, ALICE.name, [
      "replace",
      ...pending.flatMap((file) => ["-f", join(testbed.repoDir, file)]),
    ]);
    const lines = result.stderr.split("\n");
    const lost = new Set(
      lines.flatMap(
        (line) => (/\(Conflict\): error when replacing "([^"]+)"/.exec(line)?.[1] ?? []) as string[],
      ),
    );
    kept.push(...lines.filter((line) => !/\(Conflict\): error when replacing/.test(line)));
    pending = attempt < 5 ? pending.filter((file) => lost.has(join(testbed.repoDir, file))) : [];
    if (attempt === 5) kept.push(...lines.filter((line) => /\(Conflict\)/.test(line)));
  }
  return { ...result, stderr: kept.join("\n") };
}

function tally(result: KubectlResult, into: StepTally, expectWarnings: boolean): void {
  for (const line of result.stderr.split("\n")) {
    if (line.trim() === "") continue;
    if (line.includes("denied the request")) into.denied.push(line);
    else if (line.startsWith("Warning: driftguard")) {
      if (!expectWarnings) into.warnings.push(line);
    } else if (!line.startsWith("Warning:")) into.rejectedByApiServer.push(line);
  }
}

/** Corpus files whose object the API server holds (some manifests are invalid without their overlays). */
async function filesInCluster(namespace: string, files: readonly string[]): Promise<string[]> {
  const listed = await kubectl(testbed, "admin", ["get", "deployments", "-n", namespace, "-o", "name"]);
  const names = new Set(listed.stdout.split("\n").map((line) => line.replace("deployment.apps/", "")));
  return files.filter((_file, index) => names.has(namesIn(files)[index] ?? ""));
}

describe.skipIf(!layout)("corpus fidelity through the real API server (enforce mode)", () => {
  let created = 0;

  test.each(STEPS)("%s: no false denial", async (step) => {
    const stepTally: StepTally = { denied: [], rejectedByApiServer: [], warnings: [] };
    let objects = 0;
    for (const [namespace, all] of Object.entries(layout?.namespaces ?? {})) {
      const files = step === "create" ? all : await filesInCluster(namespace, all);
      objects += files.length;
      if (files.length > 0)
        tally(await runStep(step, namespace, files), stepTally, step === "scale (HPA identity)");
    }
    if (step === "create") {
      for (const [namespace, all] of Object.entries(layout?.namespaces ?? {})) {
        created += (await filesInCluster(namespace, all)).length;
      }
    }
    process.stdout.write(
      `corpus ${step}: ${objects} objects, ${stepTally.denied.length} false denials by driftguard, ` +
        `${stepTally.rejectedByApiServer.length} refused by the API server itself, ${stepTally.warnings.length} drift warnings\n`,
    );
    for (const line of stepTally.rejectedByApiServer) process.stdout.write(`  API server: ${line}\n`);
    expect(stepTally.denied).toEqual([]);
    expect(stepTally.warnings).toEqual([]);
    if (step === "create") {
      // The only refusals allowed are the API server's own validation of manifests that are invalid
      // without their overlays; each is listed above, and they are left out of the later steps.
      for (const line of stepTally.rejectedByApiServer) expect(line).toMatch(/is invalid/);
      expect(created).toBeGreaterThan(0);
    } else {
      expect(objects).toBe(created);
      expect(stepTally.rejectedByApiServer).toEqual([]);
    }
  });
});

if (!layout) {
  test.skip("corpus fidelity: ../shared/corpus is not beside the repository, so there is nothing to replay", () => {});
}
