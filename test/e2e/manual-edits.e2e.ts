// A plain user's manual edits of a managed Deployment, through kubectl and the real API server:
// denied in enforce mode with the object left as it was, allowed with kubectl warnings in audit mode.
import { describe, expect, inject, test } from "vitest";
import { ALICE } from "./support/cluster-setup.js";
import { MANUAL_EDITS } from "./support/edits.js";
import { getJson, kubectl } from "./support/kubectl.js";
import { AUDIT_NS, ENFORCE_NS } from "./support/manifests.js";
import { writableState } from "./support/objects.js";
import { waitFor } from "./support/processes.js";

const testbed = inject("testbed");

/** Until the deployment controller has observed the Deployment's newest generation. */
async function controllerCaughtUp(name: string, namespace: string): Promise<void> {
  await waitFor(
    `the deployment controller to observe ${namespace}/${name}`,
    async () => {
      const object = (await getJson(testbed, "deployment", name, namespace)) as {
        metadata?: { generation?: number };
        status?: { observedGeneration?: number };
      };
      const observed = object.status?.observedGeneration ?? 0;
      return observed >= (object.metadata?.generation ?? 0) ? true : undefined;
    },
    30_000,
    100,
  );
}

describe("enforce mode: a plain user's manual edits are denied and change nothing", () => {
  test.each(MANUAL_EDITS)("$name", async (edit) => {
    const before = await writableState(testbed, "web", ENFORCE_NS);
    const options = edit.options ? await edit.options(testbed.workDir) : {};
    const result = await kubectl(testbed, ALICE.name, [...edit.args("web"), "-n", ENFORCE_NS], options);
    expect(result.code, result.stdout).not.toBe(0);
    expect(result.stderr).toContain('admission webhook "deployments.driftguard.io" denied the request');
    expect(result.stderr).toContain(`driftguard: Deployment ${ENFORCE_NS}/web would drift from Git`);
    expect(result.stderr).toContain(`scenarios/${ENFORCE_NS}/web.yaml`);
    expect(result.stderr).toContain(edit.names);
    expect(await writableState(testbed, "web", ENFORCE_NS)).toEqual(before);
  });

  test("--dry-run=server gets the same answer as the real request, and writes nothing", async () => {
    const before = await writableState(testbed, "web", ENFORCE_NS);
    const args = ["set", "image", "deployment/web", "web=nginx:dry", "-n", ENFORCE_NS];
    const dry = await kubectl(testbed, ALICE.name, [...args, "--dry-run=server"]);
    const real = await kubectl(testbed, ALICE.name, args);
    expect(dry.code).not.toBe(0);
    expect(real.code).not.toBe(0);
    // The same answer, but for the command that proposes the request from its record: a dry-run leaves
    // no record, so it gets none.
    const PROPOSE = /\nThis edit as a Git change, ready to review: [^\n]*/;
    expect(messageOf(real.stderr)).toMatch(PROPOSE);
    expect(messageOf(dry.stderr)).not.toMatch(PROPOSE);
    expect(messageOf(dry.stderr)).toBe(messageOf(real.stderr).replace(PROPOSE, ""));
    expect(await writableState(testbed, "web", ENFORCE_NS)).toEqual(before);
  });
});

describe("audit mode: the same edits pass, and kubectl prints driftguard's warnings", () => {
  // First, while `web` is still as Git has it (the table below ends by deleting it).
  test("--dry-run=server warns as the real request would, and writes nothing", async () => {
    const before = await writableState(testbed, "web", AUDIT_NS);
    const result = await kubectl(testbed, ALICE.name, [
      ...["set", "image", "deployment/web", "web=nginx:dry", "-n", AUDIT_NS, "--dry-run=server"],
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/Warning: driftguard: .*containers\[name=web\]\.image/);
    expect(await writableState(testbed, "web", AUDIT_NS)).toEqual(before);
  });

  test.each(MANUAL_EDITS)("$name", async (edit) => {
    const options = edit.options ? await edit.options(testbed.workDir) : {};
    const result = await kubectl(testbed, ALICE.name, [...edit.args("web"), "-n", AUDIT_NS], options);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/Warning: driftguard: /);
    expect(result.stderr).toContain(edit.names);
    // `rollout undo` goes back to the previous ReplicaSet: the deployment controller must have seen
    // every edit's template, or edits made in quick succession on a busy machine share one revision.
    if (edit.name !== "delete") await controllerCaughtUp("web", AUDIT_NS);
  });

  test("each drift left a DriftWarned Event on the Deployment", async () => {
    const events = await waitFor(
      "DriftWarned events",
      async () => {
        // The core/v1 view of the events.k8s.io/v1 Events: kubectl describe and kubectl get events read it.
        const out = await kubectl(testbed, "admin", [
          ...["get", "events", "-n", AUDIT_NS, "--field-selector", "reason=DriftWarned", "-o", "json"],
        ]);
        const items =
          (
            JSON.parse(out.stdout || "{}") as {
              items?: { message: string; involvedObject: { name: string; uid?: string } }[];
            }
          ).items ?? [];
        const web = items.filter((event) => event.involvedObject.name === "web");
        return web.length >= MANUAL_EDITS.length - 1 ? web : undefined;
      },
      10_000,
    );
    expect(events.every((event) => event.involvedObject.uid)).toBe(true);
    expect(events[0]?.message).toMatch(
      /^alice changed it away from Git \(scenarios\/e2e-audit\/web\.yaml at [0-9a-f]{7}\)/,
    );
  });
});

/** The denial as the API server relays it, without kubectl's per-command prefix. */
function messageOf(stderr: string): string {
  const at = stderr.indexOf("driftguard:");
  return at < 0 ? stderr : stderr.slice(at);
}
