// Reports as `serve` writes them (docs/contract.md §10): the e2e run's driftguard scans the test bed's
// Deployments and, holding the writers' Lease, keeps one openreports.io Report per managed Deployment.
// A Deployment created with Git's content gets a `pass`; alice's image change in audit mode (allowed,
// with warnings) turns it to `warn` naming the field group, the Git file and commit; putting Git's image
// back turns it to `pass` again. `kubectl get reports -A` lists it.
import { afterAll, describe, expect, inject, test } from "vitest";
import type { JsonObject } from "../../src/core/types.js";
import { ALICE } from "./support/cluster-setup.js";
import { kubectl, kubectlOk } from "./support/kubectl.js";
import { AUDIT_NS, GIT_IMAGE, REPORTED_NAME, webDeployment, yamlOf } from "./support/manifests.js";
import { waitFor } from "./support/processes.js";

const testbed = inject("testbed");
const admin = (args: string[], input?: string) =>
  kubectlOk(testbed, "admin", args, input === undefined ? {} : { input });

interface Result {
  rule?: string;
  result?: string;
  message?: string;
  properties?: Record<string, string>;
}
type Report = JsonObject & {
  metadata: { name: string; ownerReferences?: { uid: string }[] };
  results?: Result[];
  scope?: { name: string; uid: string };
};

let uid = "";

async function reportNow(): Promise<Report | undefined> {
  const found = await kubectl(testbed, "admin", [
    "get",
    "reports.openreports.io",
    uid,
    "-n",
    AUDIT_NS,
    "-o",
    "json",
  ]);
  return found.code === 0 ? (JSON.parse(found.stdout) as Report) : undefined;
}

/** Waits for the Report to say `want` (the scan and the writer follow the watch within a moment). */
async function reportSaying(want: (results: Result[]) => boolean): Promise<Report> {
  return waitFor(
    "driftguard's Report",
    async () => {
      const report = await reportNow();
      return report && want(report.results ?? []) ? report : undefined;
    },
    60_000,
    250,
  );
}

describe("the Report of a Deployment, written by serve", () => {
  afterAll(async () => {
    await kubectl(testbed, "admin", ["delete", "deployment", REPORTED_NAME, "-n", AUDIT_NS, "--wait=false"]);
  });

  test("Git's content as created: one pass result, owned by the Deployment", async () => {
    await admin(["apply", "-f", "-"], yamlOf(webDeployment({ name: REPORTED_NAME, namespace: AUDIT_NS })));
    uid = (
      await admin(["get", "deployment", REPORTED_NAME, "-n", AUDIT_NS, "-o", "jsonpath={.metadata.uid}"])
    ).trim();
    const report = await reportSaying((results) => results.length === 1 && results[0]?.result === "pass");
    expect(report.scope).toMatchObject({ name: REPORTED_NAME, uid });
    expect(report.metadata.ownerReferences?.map((owner) => owner.uid)).toEqual([uid]);
    expect(report.source).toBe("driftguard");
  });

  test("an audit-mode image change: a warn result for the image group, naming Git's file and commit", async () => {
    const edit = await kubectl(testbed, ALICE.name, [
      ...["set", "image", `deployment/${REPORTED_NAME}`, "web=nginx:by-hand", "-n", AUDIT_NS],
    ]);
    expect(edit.code, edit.stderr).toBe(0);
    const report = await reportSaying((results) => results.some((r) => r.rule === "image"));
    const image = report.results?.find((r) => r.rule === "image");
    expect(image?.result).toBe("warn");
    expect(image?.properties?.file).toBe(`scenarios/${AUDIT_NS}/${REPORTED_NAME}.yaml`);
    expect(image?.properties?.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(image?.properties?.paths).toContain("containers[name=web].image");
    const listed = await admin(["get", "reports.openreports.io", "-A"]);
    process.stdout.write(`reports: kubectl get reports -A\n${listed}\n`);
    expect(listed).toContain(uid);
  });

  test("Git's image put back: pass again", async () => {
    const edit = await kubectl(testbed, ALICE.name, [
      ...["set", "image", `deployment/${REPORTED_NAME}`, `web=${GIT_IMAGE}`, "-n", AUDIT_NS],
    ]);
    expect(edit.code, edit.stderr).toBe(0);
    const report = await reportSaying((results) => results.length === 1 && results[0]?.result === "pass");
    expect(report.results?.some((r) => r.rule === "image")).toBe(false);
  });
});
