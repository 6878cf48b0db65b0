// The live scan's table without a cluster: a fake watch (a list the test edits) and fake Git sources.
// First table, watch add/update/delete, Git rebuilds, `since`, unmanaged counted, off-mode namespaces
// and excluded namespaces skipped, listeners told only when the drift says something else.
import { afterEach, describe, expect, it } from "vitest";
import type { DriftChange } from "../../src/admission/contract.js";
import { DesiredState } from "../../src/admission/desired-state.js";
import { LiveDriftTable } from "../../src/admission/drift-table.js";
import type { Policy } from "../../src/core/policy.js";
import type { JsonObject } from "../../src/core/types.js";
import { type DeploymentParts, deploymentManifest, storedDeployment } from "../support/deployments.js";
import { type FakeSource, fakeRevision, fakeSource } from "../support/fake-source.js";
import { testPolicy } from "../support/policy.js";

/** A watch stand-in: the objects it holds, its state, and a way to say it changed. */
class FakeFeed {
  objects = new Map<string, JsonObject>();
  kind: "starting" | "synced" | "failing" = "synced";
  private version = 100;
  constructor(private readonly table: () => LiveDriftTable) {}
  list = () => [...this.objects.values()];
  state = () =>
    this.kind === "failing" ? { kind: this.kind, error: "connection refused" } : { kind: this.kind };
  /** Puts (or replaces) a live object, as an ADDED or MODIFIED event does, with a new resourceVersion. */
  put(uid: string, parts: DeploymentParts): void {
    const stored = storedDeployment(parts, { metadata: { uid, resourceVersion: String(this.version++) } });
    const kind = this.objects.has(uid) ? "update" : "add";
    this.objects.set(uid, stored);
    this.table().feedChanged({ kind, object: stored });
  }
  remove(uid: string): void {
    const object = this.objects.get(uid);
    this.objects.delete(uid);
    if (object) this.table().feedChanged({ kind: "delete", object });
  }
  /** Changes the cache without events, as a fresh list after a watch error does; then says "relisted". */
  relist(change: (objects: Map<string, JsonObject>) => void): void {
    change(this.objects);
    this.table().feedChanged();
  }
}

interface Setup {
  table: LiveDriftTable;
  feed: FakeFeed;
  source: FakeSource;
  state: DesiredState;
  changes: DriftChange[];
  clock: { now: number };
  serve(commit: string, manifests: DeploymentParts[]): void;
}

const tables: LiveDriftTable[] = [];
afterEach(() => {
  for (const table of tables.splice(0)) table.stop();
});

function setup(policy: Policy = testPolicy(), excluded: string[] = ["kube-system"]): Setup {
  const source = fakeSource("apps");
  const state = new DesiredState([source], policy);
  source.onChange(() => state.rebuild());
  const clock = { now: 1_000 };
  let table: LiveDriftTable | undefined;
  const feed = new FakeFeed(() => table as LiveDriftTable);
  table = new LiveDriftTable({
    feed,
    desired: state,
    policy,
    excludedNamespaces: excluded,
    now: () => clock.now,
    debounceMs: 1,
    chunkSize: 2,
    onError: (error) => {
      throw error;
    },
  });
  tables.push(table);
  state.onRebuild(() => table?.desiredChanged());
  const changes: DriftChange[] = [];
  table.subscribe((change) => changes.push(change));
  return {
    table,
    feed,
    source,
    state,
    changes,
    clock,
    serve: (commit, manifests) =>
      source.serve(
        fakeRevision(
          "apps",
          commit,
          manifests.map((parts) => deploymentManifest(parts)),
        ),
      ),
  };
}

const stateOf = (s: Setup, uid: string) => s.table.get(uid)?.drift.state;

describe("the live drift table", () => {
  it("builds the first table once the watch has listed and Git is known, and sends each entry once", async () => {
    const s = setup();
    s.feed.put("u1", { name: "web" });
    s.feed.put("u2", { name: "api", image: "nginx:hand-made" });
    s.feed.put("u3", { name: "stray" });
    await s.table.idle();
    // Git not synced yet: entries are unknown, nothing sent, no first table.
    expect(stateOf(s, "u1")).toBe("unknown");
    expect(s.table.status().state).toBe("starting");
    expect(s.changes).toEqual([]);
    s.serve("c1", [{ name: "web" }, { name: "api" }]);
    await s.table.firstTable;
    await s.table.idle();
    expect(s.table.status()).toMatchObject({
      state: "synced",
      deployments: 3,
      managed: 2,
      drifted: 1,
      unmanaged: 1,
      unknown: 0,
    });
    expect(s.changes.map((change) => [change.uid, change.before, change.after?.drift.state])).toEqual([
      ["u1", undefined, "in-sync"],
      ["u2", undefined, "drifted"],
      ["u3", undefined, "unmanaged"],
    ]);
    const api = s.table.get("u2");
    expect(api?.drift.groups).toEqual(["image"]);
    expect(api?.drift.origin).toMatchObject({ source: "apps", commit: "c1", file: "shop/api.yaml" });
    expect(api?.since).toBe(1_000);
  });

  it("follows watch adds, updates and deletes, and tells listeners only what changed", async () => {
    const s = setup();
    s.serve("c1", [{ name: "web" }]);
    s.feed.put("u1", { name: "web" });
    await s.table.firstTable;
    await s.table.idle();
    s.changes.length = 0;
    s.clock.now = 2_000;
    s.feed.put("u1", { name: "web", image: "nginx:edited" });
    await s.table.idle();
    expect(s.changes).toHaveLength(1);
    expect(s.changes[0]?.before?.drift.state).toBe("in-sync");
    expect(s.changes[0]?.after?.drift.state).toBe("drifted");
    expect(s.changes[0]?.after?.observedAt).toBe(2_000);
    // A new resourceVersion with the same drift (a status update, say): recomputed, nobody told.
    s.feed.put("u1", { name: "web", image: "nginx:edited" });
    await s.table.idle();
    expect(s.changes).toHaveLength(1);
    s.feed.remove("u1");
    await s.table.idle();
    expect(s.changes).toHaveLength(2);
    expect(s.changes[1]).toMatchObject({ uid: "u1", after: undefined });
    expect(s.table.get("u1")).toBeUndefined();
    expect(s.table.status().deployments).toBe(0);
  });

  it("recomputes every entry on a new Git revision, and skips objects whose version did not change", async () => {
    const s = setup();
    s.serve("c1", [{ name: "web" }, { name: "api" }]);
    s.feed.put("u1", { name: "web", image: "nginx:2" });
    s.feed.put("u2", { name: "api" });
    await s.table.firstTable;
    await s.table.idle();
    expect(stateOf(s, "u1")).toBe("drifted");
    const before = s.table.status().recomputes;
    // A watch change of one object recomputes that object alone.
    s.feed.put("u2", { name: "api" });
    await s.table.idle();
    expect(s.table.status().recomputes).toBe(before + 1);
    // Git now holds the live image: the drift is gone without any watch event.
    s.serve("c2", [{ name: "web", image: "nginx:2" }, { name: "api" }]);
    await s.table.idle();
    expect(s.table.status().recomputes).toBe(before + 3);
    expect(stateOf(s, "u1")).toBe("in-sync");
    expect(s.table.get("u1")?.drift.origin?.commit).toBe("c2");
    expect(s.table.get("u1")?.since).toBeUndefined();
  });

  it("keeps `since` while the same fields drift and starts it again when they change", async () => {
    const s = setup();
    s.serve("c1", [{ name: "web" }]);
    s.feed.put("u1", { name: "web", image: "nginx:2" });
    await s.table.firstTable;
    await s.table.idle();
    expect(s.table.get("u1")?.since).toBe(1_000);
    s.clock.now = 5_000;
    // Another value of the same field: still drifted since 1,000.
    s.feed.put("u1", { name: "web", image: "nginx:3" });
    await s.table.idle();
    expect(s.table.get("u1")?.since).toBe(1_000);
    expect(s.table.get("u1")?.observedAt).toBe(5_000);
    s.clock.now = 9_000;
    // Another field drifts too: a new drift, a new since.
    s.feed.put("u1", { name: "web", image: "nginx:3", labels: { edited: "by-hand" } });
    await s.table.idle();
    expect(s.table.get("u1")?.drift.groups).toEqual(["image", "metadata"]);
    expect(s.table.get("u1")?.since).toBe(9_000);
  });

  it("leaves out off-mode and excluded namespaces, and drops an object when its namespace's mode is off", async () => {
    const policy = testPolicy({ namespaceModes: new Map([["quiet", "off"]]) });
    const s = setup(policy, ["kube-system", "driftguard"]);
    s.serve("c1", [{ name: "web" }]);
    s.feed.put("u1", { name: "web" });
    s.feed.put("u2", { name: "web", namespace: "quiet" });
    s.feed.put("u3", { name: "coredns", namespace: "kube-system" });
    s.feed.put("u4", { name: "driftguard", namespace: "driftguard" });
    await s.table.firstTable;
    await s.table.idle();
    expect([...s.table.entries()].map((entry) => entry.drift.key)).toEqual([
      { namespace: "shop", name: "web" },
    ]);
    expect(s.table.scans("quiet")).toBe(false);
    expect(s.table.scans("shop")).toBe(true);
  });

  it("counts unmanaged Deployments and reports a failing watch while keeping what it had", async () => {
    const s = setup(testPolicy({ mode: "audit" }));
    s.serve("c1", []);
    s.feed.put("u1", { name: "a" });
    s.feed.put("u2", { name: "b" });
    s.feed.put("u3", { name: "c", namespace: "other" });
    await s.table.firstTable;
    await s.table.idle();
    expect(s.table.status()).toMatchObject({ deployments: 3, unmanaged: 3, managed: 0 });
    expect(s.table.get("u1")?.drift.mode).toBe("audit");
    s.feed.kind = "failing";
    expect(s.table.status()).toMatchObject({ state: "failing", error: "connection refused", unmanaged: 3 });
  });

  it("after a fresh list, finds what no event told (a Deployment deleted while the watch was down)", async () => {
    const s = setup();
    s.serve("c1", [{ name: "web" }, { name: "api" }]);
    s.feed.put("u1", { name: "web" });
    s.feed.put("u2", { name: "api" });
    await s.table.firstTable;
    await s.table.idle();
    s.changes.length = 0;
    const before = s.table.status().recomputes;
    s.feed.relist((objects) => objects.delete("u2"));
    await s.table.idle();
    expect(s.changes.map((change) => [change.uid, change.after])).toEqual([["u2", undefined]]);
    // The object whose resourceVersion did not change is not computed again.
    expect(s.table.status().recomputes).toBe(before);
  });

  it("sends nothing before the first table even when the watch has not listed but Git is known", async () => {
    const s = setup();
    s.feed.kind = "starting";
    s.serve("c1", [{ name: "web" }]);
    s.feed.put("u1", { name: "web", image: "nginx:2" });
    await s.table.idle();
    expect(s.table.status().state).toBe("starting");
    expect(s.changes).toEqual([]);
    s.feed.kind = "synced";
    s.table.feedChanged();
    await s.table.firstTable;
    expect(s.changes.map((change) => change.after?.drift.state)).toEqual(["drifted"]);
  });
});
