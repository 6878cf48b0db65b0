// Drift Events (events.k8s.io/v1) through the real API server: a denied edit leaves DriftDenied and its
// repeat a series on the same Event; an audit-mode allowance leaves DriftWarned; a dry-run leaves nothing.
// With the live scan wired into serve: the HPA identity's exempt scale shows as DriftDetected naming it
// and the exemption, and scaling back to Git's replicas as DriftResolved.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { createTestRepo } from "../support/git/test-repo.js";
import { sendHttps } from "../support/tls/https-client.js";
import { ALICE, HPA } from "./support/cluster-setup.js";
import { getJson, kubectl, kubectlOk } from "./support/kubectl.js";
import { AUDIT_NS, webDeployment, yamlOf } from "./support/manifests.js";
import { waitFor } from "./support/processes.js";

const testbed = inject("testbed");
const NS = "e2e-events";
const NAME = "events";
const HPA_USER = `system:serviceaccount:${HPA.namespace}:${HPA.name}`;

interface DriftEvent {
  metadata: { name: string; namespace: string };
  reason: string;
  type: string;
  action: string;
  note: string;
  reportingController: string;
  reportingInstance: string;
  eventTime: string;
  regarding: { kind: string; namespace: string; name: string; uid?: string };
  series?: { count: number; lastObservedTime: string };
}

async function readyz(): Promise<{ details?: Record<string, unknown> }> {
  const ca = readFileSync(testbed.driftguardCaFile, "utf8");
  return (await sendHttps({ url: `${testbed.driftguardUrl}/readyz`, ca })).json() as {
    details?: Record<string, unknown>;
  };
}

/** Whether serve attached a live scan to the drift Events (its /readyz says so). */
async function scanState(): Promise<string> {
  const details = (await readyz()).details as { cluster?: { events?: { scan?: string } } } | undefined;
  return details?.cluster?.events?.scan ?? "no drift Events";
}

/** driftguard's Events of `reason` in `namespace`, regarding our Deployment. */
async function eventsOf(reason: string, namespace: string): Promise<DriftEvent[]> {
  const out = await kubectlOk(testbed, "admin", [
    ...["get", "events.events.k8s.io", "-n", namespace, "--field-selector", `reason=${reason}`, "-o", "json"],
  ]);
  const items = (JSON.parse(out) as { items?: DriftEvent[] }).items ?? [];
  return items.filter((event) => event.regarding.name === NAME);
}

/** Until an Event of `reason` whose note satisfies `match` is there. */
function eventuallyEvent(reason: string, namespace: string, match: (event: DriftEvent) => boolean) {
  return waitFor(
    `a ${reason} Event on ${namespace}/${NAME}`,
    async () => (await eventsOf(reason, namespace)).find(match),
    30_000,
    250,
  );
}

const setImage = (namespace: string, image: string, dryRun = false) =>
  kubectl(testbed, ALICE.name, [
    ...["set", "image", `deployment/${NAME}`, `web=${image}`, "-n", namespace],
    ...(dryRun ? ["--dry-run=server"] : []),
  ]);

const uids: Record<string, string> = {};

beforeAll(async () => {
  await kubectlOk(testbed, "admin", ["create", "namespace", NS]);
  const repo = await createTestRepo(testbed.repoDir, testbed.workDir);
  const manifests = [
    webDeployment({ name: NAME, namespace: NS }),
    webDeployment({ name: NAME, namespace: AUDIT_NS }),
  ];
  const commit = await repo.commit(
    "drift Events: a Deployment in an enforce and an audit namespace",
    Object.fromEntries(
      manifests.map((m) => [
        `scenarios/${(m.metadata as { namespace: string }).namespace}/${NAME}.yaml`,
        yamlOf(m),
      ]),
    ),
  );
  await waitFor(
    `driftguard to serve commit ${commit.slice(0, 7)}`,
    async () => {
      const details = (await readyz()).details as { sources?: { state?: { commit?: string } }[] } | undefined;
      return details?.sources?.every((source) => source.state?.commit === commit) ? true : undefined;
    },
    30_000,
    250,
  );
  for (const manifest of manifests) {
    await kubectlOk(testbed, "admin", ["apply", "-f", "-"], { input: yamlOf(manifest) });
    const namespace = (manifest.metadata as { namespace: string }).namespace;
    uids[namespace] = String(
      ((await getJson(testbed, "deployment", NAME, namespace)).metadata as { uid: string }).uid,
    );
  }
});

describe("admission Events", () => {
  it("a denied set image leaves DriftDenied naming the user, the field, Git's file and commit; its repeat is a series", async () => {
    const result = await setImage(NS, "nginx:denied");
    expect(result.code).not.toBe(0);
    const denied = await eventuallyEvent("DriftDenied", NS, (e) => e.note.includes('"nginx:denied"'));
    expect(denied).toMatchObject({
      type: "Warning",
      action: "Admit",
      reportingController: "driftguard.io/webhook",
      regarding: { kind: "Deployment", namespace: NS, name: NAME, uid: uids[NS] },
    });
    expect(denied.reportingInstance).not.toBe("");
    expect(denied.note).toMatch(
      new RegExp(
        `^alice tried to change it away from Git \\(scenarios/${NS}/${NAME}\\.yaml at [0-9a-f]{7}\\); enforce mode denied it: `,
      ),
    );
    expect(denied.note).toContain("spec.template.spec.containers[name=web].image");

    expect((await setImage(NS, "nginx:denied")).code).not.toBe(0);
    const repeated = await eventuallyEvent(
      "DriftDenied",
      NS,
      (e) => e.metadata.name === denied.metadata.name && (e.series?.count ?? 0) >= 2,
    );
    expect(repeated.series?.lastObservedTime).toBeTruthy();
    expect((await eventsOf("DriftDenied", NS)).filter((e) => e.note.includes('"nginx:denied"'))).toHaveLength(
      1,
    );
  });

  it("the API server selects driftguard's Events the way a new leader and the DriftWarned look-up ask for them", async () => {
    // A new leader lists its DriftDetected Events, and looks for other replicas' DriftWarned, with these.
    const names = async (args: string[]) =>
      (
        JSON.parse(
          await kubectlOk(testbed, "admin", ["get", "events.events.k8s.io", ...args, "-o", "json"]),
        ) as {
          items: DriftEvent[];
        }
      ).items.map((e) => e.metadata.name);
    const mine = "reason=DriftDenied,reportingController=driftguard.io/webhook";
    const everywhere = await names(["-A", "--field-selector", mine]);
    const ofObject = await names(["-n", NS, "--field-selector", `${mine},regarding.uid=${uids[NS]}`]);
    const denied = (await eventsOf("DriftDenied", NS)).map((e) => e.metadata.name);
    expect(denied.length).toBeGreaterThan(0);
    expect(everywhere).toEqual(expect.arrayContaining(denied));
    expect(ofObject.sort()).toEqual(denied.sort());
    expect(await names(["-n", NS, "--field-selector", `${mine},regarding.uid=no-such-uid`])).toEqual([]);
  });

  it("an audit-mode allowance leaves DriftWarned", async () => {
    const result = await setImage(AUDIT_NS, "nginx:warned");
    expect(result.code, result.stderr).toBe(0);
    const warned = await eventuallyEvent("DriftWarned", AUDIT_NS, (e) => e.note.includes('"nginx:warned"'));
    expect(warned).toMatchObject({ type: "Warning", action: "Admit", regarding: { uid: uids[AUDIT_NS] } });
    expect(warned.note).toMatch(
      /^alice changed it away from Git \(.+ at [0-9a-f]{7}\); audit mode allowed it: /,
    );
    // Back to Git's image, for the scan tests below (an allowance towards Git leaves no Event).
    expect(
      (
        await kubectl(testbed, "admin", ["apply", "-f", "-"], {
          input: yamlOf(webDeployment({ name: NAME, namespace: AUDIT_NS })),
        })
      ).code,
    ).toBe(0);
  });

  it("a dry-run, denied or warned, leaves no Event", async () => {
    expect((await setImage(NS, "nginx:dry-denied", true)).code).not.toBe(0);
    expect((await setImage(AUDIT_NS, "nginx:dry-warned", true)).code).toBe(0);
    // One writer, first in first out: once a later Event is there, a dry-run's would be too.
    expect((await setImage(NS, "nginx:after-dry")).code).not.toBe(0);
    await eventuallyEvent("DriftDenied", NS, (e) => e.note.includes('"nginx:after-dry"'));
    const all = [
      ...(await eventsOf("DriftDenied", NS)),
      ...(await eventsOf("DriftWarned", AUDIT_NS)),
      ...(await eventsOf("DriftDetected", NS)),
    ];
    expect(all.filter((e) => e.note.includes("nginx:dry"))).toEqual([]);
  });
});

describe("the scan's Events", () => {
  it("serve attached the live scan to the drift Events", async () => {
    expect(["follower", "adopting", "leader"]).toContain(await scanState());
  });

  it("the HPA identity's exempt scale shows as DriftDetected naming it and the exemption; scaling back, DriftResolved", async () => {
    const scale = (replicas: number) =>
      kubectl(testbed, HPA.key, ["scale", `deployment/${NAME}`, `--replicas=${replicas}`, "-n", NS]);
    const result = await scale(4);
    expect(result.code, result.stderr).toBe(0);
    const detected = await eventuallyEvent("DriftDetected", NS, (e) =>
      e.note.includes("spec.replicas: Git 2, live 4"),
    );
    expect(detected).toMatchObject({ type: "Warning", action: "Scan", regarding: { uid: uids[NS] } });
    expect(detected.note).toContain(`changed by ${HPA_USER}, allowed by config exemptions[`);
    expect(detected.note).toMatch(new RegExp(`\\(Git: scenarios/${NS}/${NAME}\\.yaml at [0-9a-f]{7}\\)$`));

    expect((await scale(2)).code).toBe(0);
    const resolved = await eventuallyEvent("DriftResolved", NS, (e) => e.note.includes("spec.replicas"));
    expect(resolved).toMatchObject({ type: "Normal", action: "Scan", regarding: { uid: uids[NS] } });
  });
});
