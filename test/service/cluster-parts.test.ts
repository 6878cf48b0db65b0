// What the cluster adds to the admission service, without a cluster: readiness that waits for the first
// list of RBAC objects, grants and terminating namespaces from the ClusterView, and every decision handed
// to the drift Events with the Deployment's uid (which map a dry-run to no Event).
import { rm } from "node:fs/promises";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { staticClusterView } from "../../src/admission/cluster-view.js";
import { parseConfig } from "../../src/config/load-config.js";
import type { Decision } from "../../src/core/decision.js";
import type { DecisionRecord } from "../../src/core/decision-record.js";
import { admissionEventFor } from "../../src/core/drift-events.js";
import { readDiskStore } from "../../src/history/disk-store.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import { deploymentManifest, deploymentYaml } from "../support/deployments.js";
import { createTestRepo } from "../support/git/test-repo.js";
import { request } from "../support/reviews.js";
import { makeTempDir } from "../support/tls/cert-dir.js";

const live = (image: string) =>
  deploymentManifest({ image, container: "main", replicas: 1, metadata: { uid: "uid-web-1" } });

describe("the runtime with cluster parts", () => {
  let tmp: string;
  let runtime: Runtime;
  let synced = false;
  let terminating = false;
  const events: { decision: Decision; uid: string | undefined }[] = [];

  beforeAll(async () => {
    tmp = await makeTempDir();
    const repo = await createTestRepo(join(tmp, "remote"), tmp);
    await repo.commit("web", { "apps/web.yaml": deploymentYaml({ container: "main" }) });
    const config = parseConfig(
      `mode: audit\nnamespaces: {prod: {mode: enforce}}\nsources: [{name: apps, url: "${repo.dir}", paths: [apps]}]\nstateDir: state\n`,
      { file: "driftguard.yaml", dir: tmp },
    );
    const view = staticClusterView({
      roles: [],
      clusterRoles: [],
      roleBindings: [],
      clusterRoleBindings: [],
    });
    runtime = createRuntime(config, pino({ level: "silent" }), {
      view: { grantsFor: view.grantsFor, namespaceTerminating: () => terminating },
      decided: (decision, uid) => events.push({ decision, uid }),
      synced: () => synced,
    });
    await runtime.started;
  });
  afterAll(async () => {
    await runtime.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  it("is not ready until the watches have listed once", () => {
    expect(runtime.readiness().ready).toBe(false);
    synced = true;
    expect(runtime.readiness().ready).toBe(true);
  });

  it("hands each decision to the drift Events with the Deployment's uid; a dry-run's maps to no Event", async () => {
    const edit = request({ operation: "UPDATE", object: live("nginx:2"), oldObject: live("nginx:1.25") });
    expect((await runtime.admit(edit)).allowed).toBe(true);
    expect(events).toHaveLength(1);
    expect(events[0]?.uid).toBe("uid-web-1");
    const event = events[0] && admissionEventFor(events[0].decision, events[0].uid);
    expect(event?.reason).toBe("DriftWarned");
    expect(event?.note).toContain("containers[name=main].image");
    await runtime.admit({ ...edit, dryRun: true });
    expect(events).toHaveLength(2);
    expect(events[1] && admissionEventFor(events[1].decision, events[1].uid)).toBeUndefined();
  });

  it("a DELETE passes while the view says the namespace terminates", async () => {
    const config = parseConfig(
      `mode: enforce\nsources: [{name: apps, url: "${join(tmp, "remote")}", paths: [apps]}]\nstateDir: state2\n`,
      {
        file: "driftguard.yaml",
        dir: tmp,
      },
    );
    const enforcing = createRuntime(config, pino({ level: "silent" }), {
      view: { grantsFor: () => undefined, namespaceTerminating: () => terminating },
    });
    await enforcing.started;
    const remove = request({ operation: "DELETE", oldObject: live("nginx:1.25") });
    expect((await enforcing.admit(remove)).allowed).toBe(false);
    terminating = true;
    expect((await enforcing.admit(remove)).allowed).toBe(true);
    await enforcing.stop();
  });

  it("serve's recording: a record to the cluster's sink and the disk, in /readyz and /metrics; none for a dry-run", async () => {
    const config = parseConfig(
      `mode: enforce\nsources: [{name: apps, url: "${join(tmp, "remote")}", paths: [apps]}]\nstateDir: state3\n`,
      { file: "driftguard.yaml", dir: tmp },
    );
    const submitted: DecisionRecord[] = [];
    const recording = createRuntime(
      config,
      pino({ level: "silent" }),
      {
        view: { grantsFor: () => undefined, namespaceTerminating: () => false },
        records: {
          submit: (record) => void submitted.push(record),
          counts: () => ({ failed: 0, dropped: 2 }),
          status: () => ({ state: "ok" }),
          drain: async () => {},
        },
      },
      { recordHistory: true },
    );
    await recording.started;
    try {
      const edit = request({ operation: "UPDATE", object: live("nginx:2"), oldObject: live("nginx:1.25") });
      await recording.admit({ ...edit, dryRun: true });
      expect((await recording.admit(edit)).allowed).toBe(false);
      expect(submitted.map((record) => record.verdict.outcome)).toEqual(["deny"]);
      await recording.history?.drain();
      const stored = await readDiskStore(join(tmp, "state3", "history"));
      expect(stored.records).toEqual(submitted);
      expect(recording.readiness().details).toMatchObject({
        history: { records: { deny: 1 }, disk: { state: "ok", written: 1 }, cluster: { state: "ok" } },
      });
      const metrics = await recording.metrics.registry.metrics();
      expect(metrics).toContain('driftguard_history_records_total{outcome="deny"} 1');
      expect(metrics).toContain('driftguard_history_dropped_total{store="cluster"} 2');
      expect(metrics).toContain('driftguard_history_write_failures_total{store="disk"} 0');
    } finally {
      await recording.stop();
    }
  });
});
