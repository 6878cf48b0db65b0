// The drift Events against a fake events.k8s.io/v1 API: series on repeat (create, then patches of
// series.count), the series window, repeats riding on a waiting write, the queue bound counted as drops,
// failures counted and logged without the note; the scan's Events written by the leader only, adopted
// from the cluster after a restart, and explained by this replica's answers or another's DriftWarned.
import type { EventsV1Event } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { DriftChange, DriftEntry, DriftTable, Leadership } from "../../src/admission/contract.js";
import { decide } from "../../src/core/decide.js";
import type { DriftEventContent } from "../../src/core/drift-events.js";
import type { LiveDrift } from "../../src/core/live-drift.js";
import type { Drift, JsonObject } from "../../src/core/types.js";
import { createDriftEvents } from "../../src/kube/drift-events.js";
import { createEventRecorder, type EventsApi, REPORTING_CONTROLLER } from "../../src/kube/event-recorder.js";
import { deploymentManifest, storedDeployment } from "../support/deployments.js";
import { memoryLogger } from "../support/memory-logger.js";
import { testPolicy } from "../support/policy.js";
import { desiredFor, managed, request } from "../support/reviews.js";

/** An API server's Events, in memory: creates name them, patches set the series. */
class FakeEventsApi implements EventsApi {
  readonly events = new Map<string, EventsV1Event>();
  readonly calls: string[] = [];
  /** Each created body as sent (JSON). */
  readonly sent: string[] = [];
  /** Set: every call waits for it (a slow API server). */
  gate: Promise<void> | undefined;
  failWith: Error | undefined;
  #next = 0;

  async create(namespace: string, body: EventsV1Event): Promise<EventsV1Event> {
    await this.#enter("create");
    this.sent.push(JSON.stringify(body));
    const name = `${body.metadata?.generateName ?? ""}${this.#next++}`;
    const stored = structuredClone({ ...body, metadata: { ...body.metadata, name, namespace } });
    this.events.set(name, stored);
    return stored;
  }
  async patchSeries(_namespace: string, name: string, series: { count: number; lastObservedTime: Date }) {
    await this.#enter("patch");
    const event = this.events.get(name);
    if (!event) throw Object.assign(new Error("not found"), { code: 404 });
    event.series = { count: series.count, lastObservedTime: series.lastObservedTime };
  }
  async listByReason(reason: string) {
    await this.#enter("list");
    return [...this.events.values()].filter((e) => e.reason === reason).map((e) => structuredClone(e));
  }
  async listWarned(_namespace: string, uid: string) {
    await this.#enter("listWarned");
    return [...this.events.values()].filter((e) => e.reason === "DriftWarned" && e.regarding?.uid === uid);
  }
  byReason(reason: string): EventsV1Event[] {
    return [...this.events.values()].filter((e) => e.reason === reason);
  }
  async #enter(call: string) {
    this.calls.push(call);
    await this.gate;
    if (this.failWith) throw this.failWith;
  }
}

const DENIED: DriftEventContent = {
  reason: "DriftDenied",
  type: "Warning",
  action: "Admit",
  key: { namespace: "shop", name: "web" },
  uid: "uid-1",
  note: "alice tried to change it away from Git (apps/web.yaml at 0123456); enforce mode denied it: image",
};

function recorderWith(api: FakeEventsApi, clock: { now: number }, maxQueue = 100) {
  const log = memoryLogger();
  const recorder = createEventRecorder({
    api,
    logger: log.logger,
    maxQueue,
    seriesWindowMs: 60_000,
    reportingInstance: "driftguard-0",
    now: () => clock.now,
  });
  return { recorder, log };
}

describe("the events.k8s.io/v1 recorder", () => {
  it("writes a plain Event first, then bumps its series on repeats within the window; later, a new Event", async () => {
    const api = new FakeEventsApi();
    const clock = { now: Date.parse("2026-12-02T06:00:00Z") };
    const { recorder } = recorderWith(api, clock);
    recorder.record(DENIED);
    await recorder.drain();
    const [first] = api.events.values();
    expect(first).toMatchObject({
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: "driftguard-0",
      action: "Admit",
      reason: "DriftDenied",
      type: "Warning",
      note: DENIED.note,
      regarding: { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "web", uid: "uid-1" },
    });
    expect(first?.series).toBeUndefined();
    // MicroTime: six fractional digits, as the API server reads it.
    expect(JSON.parse(api.sent[0] ?? "{}").eventTime).toBe("2026-12-02T06:00:00.000000Z");

    for (const step of [1, 2]) {
      clock.now += 10_000 * step;
      recorder.record(DENIED);
      await recorder.drain();
    }
    expect(api.events.size).toBe(1);
    expect(first?.series?.count).toBe(3);
    expect(new Date(first?.series?.lastObservedTime ?? 0).getTime()).toBe(clock.now);

    clock.now += 61_000;
    recorder.record(DENIED);
    await recorder.drain();
    expect(api.events.size).toBe(2);
    expect(api.calls).toEqual(["create", "patch", "patch", "create"]);
    expect(recorder.counts().DriftDenied).toEqual({ written: 4, deduplicated: 0, dropped: 0, failed: 0 });
  });

  it("repeats that arrive while a write waits ride on it; past the queue bound records are dropped and counted", async () => {
    const api = new FakeEventsApi();
    let open = () => {};
    api.gate = new Promise((resolve) => (open = resolve));
    const { recorder } = recorderWith(api, { now: 1 }, 2);
    const other = (name: string) => ({ ...DENIED, key: { namespace: "shop", name } });
    recorder.record(other("a")); // taken by the writer, waits on the gate
    recorder.record(other("b")); // queued
    recorder.record(other("c")); // queued: the bound is reached
    recorder.record(other("d")); // dropped
    recorder.record(other("b")); // rides on b's waiting create
    recorder.record(other("e")); // dropped
    expect(recorder.queued()).toBe(2);
    open();
    await recorder.drain();
    expect(recorder.counts().DriftDenied).toEqual({ written: 3, deduplicated: 1, dropped: 2, failed: 0 });
    const b = [...api.events.values()].find((e) => e.regarding?.name === "b");
    expect(b?.series?.count).toBe(2);
    expect(api.events.size).toBe(3);
  });

  it("counts and logs a failed write with the object and reason, never the note", async () => {
    const api = new FakeEventsApi();
    api.failWith = new Error("connect ECONNREFUSED");
    const { recorder, log } = recorderWith(api, { now: 1 });
    recorder.record({ ...DENIED, note: "note-text-never-logged" });
    await recorder.drain();
    expect(recorder.counts().DriftDenied.failed).toBe(1);
    const line = log.lines.find((l) => l.msg === "could not write a drift Event");
    expect(line).toMatchObject({ namespace: "shop", name: "web", reason: "DriftDenied" });
    expect(log.text()).not.toContain("note-text-never-logged");
  });

  it("starts the series again as a new Event when the old one is gone", async () => {
    const api = new FakeEventsApi();
    const clock = { now: 1 };
    const { recorder } = recorderWith(api, clock);
    recorder.record(DENIED);
    await recorder.drain();
    api.events.clear(); // the API server's Event TTL
    clock.now += 1000;
    recorder.record(DENIED);
    await recorder.drain();
    expect(api.calls).toEqual(["create", "patch", "create"]);
    expect([...api.events.values()][0]?.series?.count).toBe(2);
  });
});

// ---- the scan's Events -------------------------------------------------------------------------

const ORIGIN = { source: "e2e", commit: "0123456789abcdef", file: "apps/web.yaml" };
const REPLICAS: Drift = {
  path: "spec.replicas",
  segments: ["spec", "replicas"],
  group: "replicas",
  change: "changed",
  desired: 2,
  actual: 5,
  sensitive: false,
};
const IMAGE: Drift = { ...REPLICAS, path: "spec.template.spec.containers[name=web].image", group: "image" };

function entry(drifts: Drift[], name = "web"): DriftEntry {
  const drift: LiveDrift = {
    key: { namespace: "shop", name },
    uid: `uid-${name}`,
    resourceVersion: "1",
    mode: "enforce",
    state: drifts.length > 0 ? "drifted" : "in-sync",
    origin: ORIGIN,
    reason: undefined,
    drifts,
    marks: [],
    groups: [],
  };
  return { drift, since: drifts.length > 0 ? 1 : undefined, observedAt: 1 };
}

class FakeTable implements DriftTable {
  readonly rows = new Map<string, DriftEntry>();
  readonly #listeners = new Set<(change: DriftChange) => void>();
  readonly firstTable = Promise.resolve();
  entries() {
    return this.rows.values();
  }
  get(uid: string) {
    return this.rows.get(uid);
  }
  subscribe(listener: (change: DriftChange) => void) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  status() {
    return {
      state: "synced" as const,
      deployments: 0,
      managed: 0,
      drifted: 0,
      unmanaged: 0,
      unknown: 0,
      recomputes: 0,
    };
  }
  set(after: DriftEntry): void {
    const uid = after.drift.uid ?? "";
    const before = this.rows.get(uid);
    this.rows.set(uid, after);
    for (const listener of this.#listeners) listener({ uid, before, after });
  }
}

class FakeLeadership implements Leadership {
  leader = false;
  readonly #listeners = new Set<(leader: boolean) => void>();
  isLeader() {
    return this.leader;
  }
  onChange(listener: (leader: boolean) => void) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  holder() {
    return undefined;
  }
  set(leader: boolean) {
    this.leader = leader;
    for (const listener of this.#listeners) listener(leader);
  }
}

const HPA_USER = { username: "system:serviceaccount:kube-system:horizontal-pod-autoscaler", groups: [] };
const HPA_EXEMPTION = {
  users: [],
  groups: [],
  serviceAccounts: ["kube-system/horizontal-pod-autoscaler"],
  fields: ["replicas" as const],
  description: "config exemptions[0]",
};

/** The HPA's scale of `web` to 5, exempt by config; dry-run or not. */
function hpaScale(dryRun = false) {
  const git = deploymentManifest({ replicas: 2 });
  const policy = testPolicy({ exemptions: [HPA_EXEMPTION] });
  const next = storedDeployment(git) as JsonObject;
  (next.spec as JsonObject).replicas = 5;
  return decide({
    request: request({
      operation: "UPDATE",
      object: next,
      oldObject: storedDeployment(git),
      user: HPA_USER,
      dryRun,
    }),
    lookup: managed(desiredFor(git, policy)),
    policy,
    namespaceTerminating: false,
  });
}

function driftEvents(api: FakeEventsApi, options: { events?: boolean } = {}) {
  return createDriftEvents({
    api,
    logger: memoryLogger().logger,
    config: { events: options.events ?? true, eventQueue: 100 },
    reportingInstance: "driftguard-0",
  });
}
/** The scan's copy of every object was last written by kubectl edit. */
const KUBECTL_EDIT = () => ({ manager: "kubectl-edit", time: "2026-12-02T05:00:00Z" });

describe("who writes which drift Event", () => {
  it("answers: DriftDenied from any replica, nothing for a dry-run, nothing with report.events off", async () => {
    const labelEdit = (dryRun: boolean) => {
      const git = deploymentManifest({});
      const next = storedDeployment(git) as JsonObject;
      (next.metadata as JsonObject).labels = { tier: "hand-made" };
      return decide({
        request: request({ operation: "UPDATE", object: next, oldObject: storedDeployment(git), dryRun }),
        lookup: managed(desiredFor(git, testPolicy())),
        policy: testPolicy(),
        namespaceTerminating: false,
      });
    };
    expect(labelEdit(false).verdict.outcome).toBe("deny");
    const api = new FakeEventsApi();
    const events = driftEvents(api);
    events.decided(labelEdit(false), "uid-web");
    events.decided(labelEdit(true), "uid-web");
    await events.drain();
    expect(api.byReason("DriftDenied")).toHaveLength(1);
    expect(events.counts().DriftDenied.written).toBe(1);
    const off = driftEvents(new FakeEventsApi(), { events: false });
    off.decided(labelEdit(false), "uid-web");
    await off.drain();
    expect(off.counts().DriftDenied.written).toBe(0);
  });

  it("the scan's Events: the leader only; an exempted scale names the HPA and its grant; back in sync → DriftResolved", async () => {
    const api = new FakeEventsApi();
    const table = new FakeTable();
    const leadership = new FakeLeadership();
    const events = driftEvents(api);
    events.attachScan(table, leadership);
    table.set(entry([IMAGE], "other"));
    await events.drain();
    expect(api.events.size).toBe(0); // a follower writes none
    expect(events.status().scan).toBe("follower");

    leadership.set(true);
    await events.drain();
    // The replay on taking the Lease: drift already in the table.
    expect(api.byReason("DriftDetected").map((e) => e.regarding?.name)).toEqual(["other"]);
    expect(events.status().scan).toBe("leader");

    events.decided(hpaScale(true), "uid-web"); // a dry-run explains nothing
    events.decided(hpaScale(), "uid-web");
    table.set(entry([REPLICAS]));
    await events.drain();
    const [detected] = api.byReason("DriftDetected").filter((e) => e.regarding?.name === "web");
    expect(detected?.note).toBe(
      `spec.replicas: Git 2, live 5: changed by ${HPA_USER.username}, allowed by config exemptions[0] (Git: apps/web.yaml at 0123456)`,
    );
    expect(detected).toMatchObject({ action: "Scan", type: "Warning", regarding: { uid: "uid-web" } });

    table.set(entry([]));
    await events.drain();
    expect(api.byReason("DriftResolved")).toMatchObject([
      { type: "Normal", note: "In sync with Git again (apps/web.yaml at 0123456): spec.replicas" },
    ]);
  });

  it("drift nobody explains names the last field manager; another replica's DriftWarned explains its field", async () => {
    const api = new FakeEventsApi();
    const table = new FakeTable();
    const events = driftEvents(api);
    events.attachScan(table, undefined, KUBECTL_EDIT); // no Lease: a single replica leads
    api.events.set("w", {
      metadata: { name: "w", namespace: "shop" },
      eventTime: new Date(),
      reason: "DriftWarned",
      reportingController: REPORTING_CONTROLLER,
      action: "Admit",
      note: `alice changed it away from Git (apps/web.yaml at 0123456); audit mode allowed it: ${IMAGE.path}: Git 2, request 5`,
      regarding: { kind: "Deployment", namespace: "shop", name: "web", uid: "uid-web" },
    });
    table.set(entry([IMAGE]));
    await events.drain();
    expect(api.byReason("DriftDetected")).toHaveLength(0);
    table.set(entry([IMAGE, REPLICAS]));
    await events.drain();
    const [detected] = api.byReason("DriftDetected");
    expect(detected?.note).toContain("spec.replicas: Git 2, live 5: no admission answer explains it");
    expect(detected?.note).toContain("last written by kubectl-edit at 2026-12-02T05:00:00Z");
    expect(detected?.note).not.toContain(IMAGE.path);
  });

  it("a restarted leader adopts the DriftDetected Events already written and does not repeat them", async () => {
    const api = new FakeEventsApi();
    const table = new FakeTable();
    table.set(entry([REPLICAS]));
    const first = driftEvents(api);
    const detach = first.attachScan(table, undefined, KUBECTL_EDIT);
    await first.drain();
    detach();
    expect(api.byReason("DriftDetected")).toHaveLength(1);

    const restarted = driftEvents(api);
    restarted.attachScan(table, undefined, KUBECTL_EDIT);
    await restarted.drain();
    expect(api.byReason("DriftDetected")).toHaveLength(1);
    expect(api.byReason("DriftDetected")[0]?.series).toBeUndefined();
    expect(restarted.counts().DriftDetected).toEqual({ written: 0, deduplicated: 1, dropped: 0, failed: 0 });
  });

  it("a leader that loses the Lease writes no more scan Events; a failing step is logged and the next one runs", async () => {
    const api = new FakeEventsApi();
    const table = new FakeTable();
    const leadership = new FakeLeadership();
    leadership.leader = true;
    const log = memoryLogger();
    const events = createDriftEvents({ api, logger: log.logger, config: { events: true, eventQueue: 100 } });
    let calls = 0;
    events.attachScan(table, leadership, () => {
      calls++;
      if (calls === 1) throw new Error("the scan's cache is gone");
      return undefined;
    });
    await events.drain();
    table.set(entry([REPLICAS], "a")); // its step throws
    table.set(entry([REPLICAS], "b"));
    await events.drain();
    expect(api.byReason("DriftDetected").map((e) => e.regarding?.name)).toEqual(["b"]);
    expect(log.lines.some((l) => l.msg === "could not make the scan's drift Event")).toBe(true);
    leadership.set(false);
    table.set(entry([], "b"));
    table.set(entry([REPLICAS], "c"));
    await events.drain();
    expect(api.byReason("DriftResolved")).toEqual([]);
    expect(api.byReason("DriftDetected")).toHaveLength(1);
    expect(events.status().scan).toBe("follower");
  });
});
