// Reports through the real API server (docs/contract.md §10): two "replicas", each with its own Lease
// client and Report writer under driftguard's identity, write one Report and one PolicyReport per
// managed Deployment, once (the API server's audit log counts the writes); `kubectl get reports -A`
// shows the drifted Deployment failing; fixing the drift turns its Report to pass; a new leader
// rewrites nothing; deleting the Deployment takes its Reports with it (the garbage collector, through
// the owner reference).
//
// The live scan is built elsewhere: a stand-in here lists the namespace's Deployments and computes their
// drift with the real liveDriftOf against Git manifests the test holds, and sends a change only when the
// drift says something else, as the scan's DriftTable does. The `serve` path is checked once it is wired.
import { readFile } from "node:fs/promises";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { ReportConfig } from "../../src/config/types.js";
import { liveDriftOf, sameDrift } from "../../src/core/live-drift.js";
import type { Lookup } from "../../src/core/lookup.js";
import type { JsonObject } from "../../src/core/types.js";
import { kubeLeaseApi, type LeaderLease, startLeaderLease } from "../../src/kube/leader-lease.js";
import { type ReportWriter, startReportWriter } from "../../src/kube/report-writer.js";
import { ManualDriftTable } from "../support/drift-entries.js";
import { memoryLogger } from "../support/memory-logger.js";
import { testPolicy } from "../support/policy.js";
import { desiredFor } from "../support/reviews.js";
import { DRIFTGUARD_USER } from "./support/control-plane.js";
import { kubectlOk } from "./support/kubectl.js";
import { OLD_IMAGE, webDeployment, yamlOf } from "./support/manifests.js";
import { waitFor } from "./support/processes.js";

const testbed = inject("testbed");
const NS = "e2e-reports";
const LEASE = "e2e-report-writers";
const COMMIT = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
const policy = testPolicy({ mode: "enforce" });
/** What "Git" holds for the stand-in scan: `loose` is in no manifest, so unmanaged. */
const GIT: Record<string, JsonObject> = {
  drifted: webDeployment({ name: "drifted", namespace: NS }) as JsonObject,
  synced: webDeployment({ name: "synced", namespace: NS }) as JsonObject,
};
const CONFIG: ReportConfig = {
  scan: "on",
  reports: "both",
  maxResults: 50,
  events: false,
  eventQueue: 100,
  objectMetrics: false,
  lease: { name: LEASE, namespace: NS, durationMs: 3_000 },
};

const admin = (args: string[], input?: string) =>
  kubectlOk(testbed, "admin", args, input === undefined ? {} : { input });

/** Stands in for the live scan: the namespace's Deployments, relisted on `refresh`. */
class StandInScan extends ManualDriftTable {
  constructor() {
    super([], false);
  }

  async refresh(): Promise<void> {
    const list = JSON.parse(await admin(["get", "deployments", "-n", NS, "-o", "json"])) as {
      items: JsonObject[];
    };
    const seen = new Set<string>();
    for (const live of list.items) {
      const name = String((live.metadata as JsonObject).name);
      const git = GIT[name];
      const lookup: Lookup = git
        ? { kind: "managed", desired: desiredFor(git, policy, NS, COMMIT), recent: () => [] }
        : { kind: "unmanaged" };
      const drift = liveDriftOf(lookup, live, policy);
      const uid = drift.uid as string;
      seen.add(uid);
      const before = this.get(uid);
      if (sameDrift(before?.drift, drift)) continue;
      const now = Date.now();
      this.put({ drift, since: drift.state === "drifted" ? now : undefined, observedAt: now });
    }
    for (const entry of [...this.entries()])
      if (!seen.has(entry.drift.uid as string)) this.remove(entry.drift.uid as string);
    this.markReady();
  }
}

interface Replica {
  name: string;
  log: ReturnType<typeof memoryLogger>;
  scan: StandInScan;
  lease: LeaderLease;
  writer: ReportWriter;
}
const replicas: Replica[] = [];

function startReplica(name: string): Replica {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(testbed.kubeconfigs[DRIFTGUARD_USER] as string);
  const log = memoryLogger();
  const logger = log.logger;
  const scan = new StandInScan();
  const lease = startLeaderLease({
    api: kubeLeaseApi(kubeConfig, { name: LEASE, namespace: NS }),
    identity: name,
    durationMs: CONFIG.lease.durationMs,
    logger,
  });
  const writer = startReportWriter({ kubeConfig, table: scan, leadership: lease, config: CONFIG, logger });
  const replica = { name, log, scan, lease, writer };
  replicas.push(replica);
  return replica;
}

async function stopReplica(replica: Replica): Promise<void> {
  await replica.writer.stop();
  await replica.lease.stop();
  replicas.splice(replicas.indexOf(replica), 1);
}

/** waitFor, and on a time-out the replicas' warnings: what the API server refused, in its words. */
async function waitLogged<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 200,
) {
  try {
    return await waitFor(what, probe, timeoutMs, intervalMs);
  } catch (error) {
    const warnings = replicas.flatMap((r) =>
      r.log.lines.filter((l) => l.level >= 40).map((l) => `${r.name}: ${JSON.stringify(l)}`),
    );
    throw new Error(`${(error as Error).message}\n${warnings.slice(0, 10).join("\n")}`);
  }
}

const leaderOf = () => replicas.find((replica) => replica.lease.isLeader());
const refreshAll = () => Promise.all(replicas.map((replica) => replica.scan.refresh()));
const settled = async () => {
  for (const replica of replicas) await replica.writer.idle();
};

type Report = JsonObject & { scope: { name: string; uid: string }; summary: Record<string, number> };
async function reportsOf(resource: "reports" | "policyreports"): Promise<Map<string, Report>> {
  const list = JSON.parse(await admin(["get", resource, "-n", NS, "-o", "json"])) as { items: Report[] };
  return new Map(list.items.map((report) => [report.scope.name, report]));
}

/** driftguard's successful writes (create, update, patch) of each Report in the namespace, by resource/name. */
async function reportWrites(): Promise<Map<string, number>> {
  const lines = (await readFile(testbed.auditLog, "utf8")).split("\n").filter(Boolean);
  const writes = new Map<string, number>();
  for (const line of lines) {
    const event = JSON.parse(line) as {
      verb?: string;
      stage?: string;
      user?: { username?: string };
      objectRef?: { resource?: string; namespace?: string; name?: string };
      responseStatus?: { code?: number };
    };
    const ref = event.objectRef;
    if (event.user?.username !== DRIFTGUARD_USER || event.stage !== "ResponseComplete") continue;
    if (ref?.namespace !== NS || (ref.resource !== "reports" && ref.resource !== "policyreports")) continue;
    if (!["create", "update", "patch"].includes(event.verb ?? "") || (event.responseStatus?.code ?? 0) >= 300)
      continue;
    const key = `${ref.resource}/${ref.name}`;
    writes.set(key, (writes.get(key) ?? 0) + 1);
  }
  return writes;
}

const uids: Record<string, string> = {};

beforeAll(async () => {
  await admin(["create", "namespace", NS]);
  await admin(
    ["apply", "-f", "-"],
    yamlOf(webDeployment({ name: "drifted", namespace: NS, image: OLD_IMAGE })),
  );
  await admin(["apply", "-f", "-"], yamlOf(GIT.synced as JsonObject));
  await admin(["apply", "-f", "-"], yamlOf(webDeployment({ name: "loose", namespace: NS })));
  for (const name of ["drifted", "synced", "loose"]) {
    const object = JSON.parse(await admin(["get", "deployment", name, "-n", NS, "-o", "json"]));
    uids[name] = object.metadata.uid;
  }
});

afterAll(async () => {
  for (const replica of [...replicas]) await stopReplica(replica);
  await admin(["delete", "namespace", NS, "--wait=false"]);
});

describe("Reports written by the Lease holder", () => {
  test("two replicas: one Report and one PolicyReport per managed Deployment, each written once", async () => {
    startReplica("replica-a");
    startReplica("replica-b");
    await refreshAll();
    await waitLogged("one replica to hold the Lease", async () => (leaderOf() ? true : undefined), 20_000);
    await waitLogged(
      "the Reports of both managed Deployments",
      async () =>
        (await reportsOf("reports")).size === 2 && (await reportsOf("policyreports")).size === 2
          ? true
          : undefined,
      30_000,
    );
    await settled();
    expect(replicas.filter((replica) => replica.lease.isLeader())).toHaveLength(1);

    for (const resource of ["reports", "policyreports"] as const) {
      const reports = await reportsOf(resource);
      expect([...reports.keys()].sort()).toEqual(["drifted", "synced"]);
      const drifted = reports.get("drifted") as Report;
      expect(drifted.metadata).toMatchObject({ name: uids.drifted });
      expect((drifted.metadata as JsonObject).ownerReferences).toEqual([
        expect.objectContaining({ kind: "Deployment", name: "drifted", uid: uids.drifted }),
      ]);
      expect(drifted.summary).toMatchObject({ fail: 1, pass: 0 });
      expect(drifted.results).toEqual([
        expect.objectContaining({
          rule: "image",
          result: "fail",
          properties: expect.objectContaining({
            commit: COMMIT,
            paths: "spec.template.spec.containers[name=web].image",
          }),
        }),
      ]);
      expect((reports.get("synced") as Report).summary).toMatchObject({ fail: 0, pass: 1 });
    }

    // What an operator sees: the Deployment's name (a priority column, so -o wide) and the counts.
    const wide = await admin(["get", "reports", "-A", "-o", "wide"]);
    const row = wide.split("\n").find((line) => line.includes(uids.drifted as string)) ?? "";
    expect(row).toMatch(
      new RegExp(`^${NS}\\s+${uids.drifted}\\s+Deployment\\s+drifted\\s+0\\s+1\\s+0\\s+0\\s+0`),
    );

    await new Promise((resolve) => setTimeout(resolve, 500)); // the audit log is written as requests end
    const writes = await reportWrites();
    process.stdout.write(
      `reports: writes per Report after two replicas started: ${JSON.stringify(Object.fromEntries(writes))}\n`,
    );
    expect(Object.fromEntries(writes)).toEqual({
      [`reports/${uids.drifted}`]: 1,
      [`reports/${uids.synced}`]: 1,
      [`policyreports/${uids.drifted}`]: 1,
      [`policyreports/${uids.synced}`]: 1,
    });
  });

  test("fixing the drift turns the Report to pass, with one more write of that Report only", async () => {
    await admin(["apply", "-f", "-"], yamlOf(GIT.drifted as JsonObject));
    await refreshAll();
    await waitLogged(
      "the drifted Deployment's Report to pass",
      async () => ((await reportsOf("reports")).get("drifted")?.summary.pass === 1 ? true : undefined),
      30_000,
    );
    await settled();
    expect((await reportsOf("policyreports")).get("drifted")?.summary).toMatchObject({ pass: 1, fail: 0 });
    // A refresh that finds nothing new writes nothing.
    await refreshAll();
    await settled();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(Object.fromEntries(await reportWrites())).toEqual({
      [`reports/${uids.drifted}`]: 2,
      [`reports/${uids.synced}`]: 1,
      [`policyreports/${uids.drifted}`]: 2,
      [`policyreports/${uids.synced}`]: 1,
    });
  });

  test("a new leader lists and reconciles, and rewrites nothing", async () => {
    const leader = leaderOf() as Replica;
    const other = replicas.find((replica) => replica !== leader) as Replica;
    const before = await reportWrites();
    await stopReplica(leader);
    await waitLogged(
      "the other replica to take the Lease",
      async () => (other.lease.isLeader() ? true : undefined),
      10_000,
    );
    await waitLogged(
      "the new leader to reconcile",
      async () => (other.writer.stats().reconciled ? true : undefined),
      10_000,
    );
    await settled();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(other.writer.stats()).toMatchObject({ writes: 0, failures: 0, unchanged: 4 });
    expect(await reportWrites()).toEqual(before);
  });

  test("deleting a Deployment takes its Reports with it (owner reference, garbage collector)", async () => {
    // No writer runs, so that only the garbage collector can remove them.
    for (const replica of [...replicas]) await stopReplica(replica);
    await admin(["delete", "deployment", "synced", "-n", NS]);
    await waitLogged(
      "the garbage collector to delete the synced Deployment's Reports",
      async () =>
        !(await reportsOf("reports")).has("synced") && !(await reportsOf("policyreports")).has("synced")
          ? true
          : undefined,
      90_000,
      1_000,
    );
    expect([...(await reportsOf("reports")).keys()]).toEqual(["drifted"]);
  });
});
