// DecisionRecord objects (docs/contract.md §11) through a fake of the three API calls: the object's shape,
// AlreadyExists as success, failures logged once per status, the bounded queue, the restore pass, and
// retention (expired, then the oldest beyond the cap), run only by the leader.

import type { KubeConfig } from "@kubernetes/client-node";
import { describe, expect, it, vi } from "vitest";
import type { HistoryConfig } from "../../src/config/types.js";
import type { JsonObject } from "../../src/core/types.js";
import { openDiskStore } from "../../src/history/disk-store.js";
import { startDecisionRecords } from "../../src/kube/decision-record-parts.js";
import {
  createRecordWriter,
  type RecordsApi,
  recordName,
  recordObject,
  recordOfObject,
  recordsToDelete,
  type StoredRecord,
  startRecordRetention,
} from "../../src/kube/decision-records.js";
import { sampleRecord } from "../support/decision-records.js";
import { ManualLeadership } from "../support/drift-entries.js";
import { memoryLogger } from "../support/memory-logger.js";
import { makeTempDir } from "../support/tls/cert-dir.js";

class FakeApi implements RecordsApi {
  objects = new Map<string, JsonObject>();
  creates = 0;
  failWith: number | "unreachable" | undefined;
  async create(namespace: string, body: JsonObject) {
    this.creates++;
    if (this.failWith !== undefined)
      throw this.failWith === "unreachable"
        ? new Error("connect ECONNREFUSED")
        : { code: this.failWith, body: { message: "no" } };
    const name = (body.metadata as { name: string }).name;
    const key = `${namespace}/${name}`;
    if (this.objects.has(key)) throw { code: 409, body: { message: "already exists" } };
    this.objects.set(key, body);
  }
  async list(): Promise<StoredRecord[]> {
    return [...this.objects].map(([key, object]) => {
      const [namespace, name] = key.split("/") as [string, string];
      return { namespace, name, time: Date.parse(recordOfObject(object)?.time ?? "") };
    });
  }
  async remove(namespace: string, name: string) {
    this.objects.delete(`${namespace}/${name}`);
  }
}

describe("DecisionRecord objects", () => {
  it("hold the record as spec, named by the request uid, labelled by Deployment and outcome", () => {
    const record = sampleRecord();
    expect(recordObject(record)).toEqual({
      apiVersion: "driftguard.io/v1alpha1",
      kind: "DecisionRecord",
      metadata: {
        name: record.requestUid,
        namespace: "shop",
        labels: {
          "app.kubernetes.io/managed-by": "driftguard",
          "driftguard.io/outcome": "deny",
          "driftguard.io/deployment": "web",
        },
      },
      spec: record,
    });
    expect(recordOfObject(recordObject(record))).toEqual(record);
    // A name too long for a label value is left out of the labels; a uid that is no name is hashed.
    const long = sampleRecord({ object: { namespace: "shop", name: "a".repeat(64) } });
    expect((recordObject(long).metadata as { labels: object }).labels).not.toHaveProperty(
      "driftguard.io/deployment",
    );
    expect(recordName("Not_A Name")).toMatch(/^r-[0-9a-f]{40}$/);
    expect(recordName("Not_A Name")).toBe(recordName("Not_A Name"));
  });

  it("are created once; AlreadyExists is success; failures are counted and logged once per status", async () => {
    const api = new FakeApi();
    const log = memoryLogger();
    const writer = createRecordWriter({ api, logger: log.logger, maxQueue: 100 });
    writer.submit(sampleRecord({}, 0));
    writer.submit(sampleRecord({}, 0));
    await writer.drain();
    expect(writer.counts()).toMatchObject({ created: 1, existed: 1, failed: 0 });
    api.failWith = "unreachable";
    for (let n = 1; n <= 3; n++) writer.submit(sampleRecord({}, n));
    await writer.drain();
    expect(writer.status()).toMatchObject({ state: "failing", failed: 3 });
    expect(
      log.lines.filter((line) => line.msg?.startsWith("could not create a DecisionRecord")),
    ).toHaveLength(1);
    expect(log.text()).not.toContain("nginx:evil");
    api.failWith = undefined;
    writer.submit(sampleRecord({}, 4));
    await writer.drain();
    expect(writer.status()).toMatchObject({ state: "ok", created: 2 });
  });

  it("take records that failed for a passing reason again once the API server is back; a refusal is not retried", async () => {
    const api = new FakeApi();
    const writer = createRecordWriter({ api, logger: memoryLogger().logger, maxQueue: 100, retryFirstMs: 5 });
    api.failWith = "unreachable";
    for (let n = 0; n < 3; n++) writer.submit(sampleRecord({}, n));
    await writer.drain();
    expect(writer.status()).toMatchObject({ state: "failing", retrying: 3, created: 0 });
    api.failWith = 503;
    await vi.waitFor(() => expect(api.creates).toBeGreaterThan(3));
    api.failWith = undefined;
    await vi.waitFor(() => expect(writer.counts().created).toBe(3));
    expect(writer.status()).toMatchObject({ state: "ok", retrying: 0 });
    // A 4xx other than AlreadyExists would fail again: counted, not kept.
    api.failWith = 422;
    writer.submit(sampleRecord({}, 9));
    await writer.drain();
    expect(writer.status()).toMatchObject({ retrying: 0, failed: expect.any(Number) });
    expect(api.objects.size).toBe(3);
  });

  it("drop the oldest queued record when the queue is full, counted", async () => {
    const api = new FakeApi();
    const writer = createRecordWriter({ api, logger: memoryLogger().logger, maxQueue: 2 });
    for (let n = 0; n < 6; n++) writer.submit(sampleRecord({}, n));
    await writer.drain();
    const { created, dropped } = writer.counts();
    expect(created + dropped).toBe(6);
    expect(dropped).toBeGreaterThan(0);
    expect(api.objects.has(`shop/${sampleRecord({}, 5).requestUid}`)).toBe(true);
  });

  it("retention picks the expired, then the oldest beyond the per-namespace cap", () => {
    const hour = 3_600_000;
    const now = Date.parse("2026-12-09T00:00:00Z");
    const at = (namespace: string, name: string, hoursAgo: number): StoredRecord => ({
      namespace,
      name,
      time: now - hoursAgo * hour,
    });
    const stored = [
      at("shop", "a", 200),
      at("shop", "b", 3),
      at("shop", "c", 2),
      at("shop", "d", 1),
      at("other", "e", 1),
    ];
    const doomed = recordsToDelete(stored, now, 168 * hour, 2).map((r) => `${r.namespace}/${r.name}`);
    expect(doomed.sort()).toEqual(["shop/a", "shop/b"]);
  });

  it("retention runs on the leader only", async () => {
    const api = new FakeApi();
    const old = sampleRecord({ time: "2026-11-01T00:00:00.000Z" }, 1);
    const fresh = sampleRecord({ time: "2026-12-08T00:00:00.000Z" }, 2);
    await api.create("shop", recordObject(old));
    await api.create("shop", recordObject(fresh));
    const leadership = new ManualLeadership();
    let expired = 0;
    const retention = startRecordRetention({
      api,
      leadership,
      retentionMs: 168 * 3_600_000,
      maxPerNamespace: 100,
      intervalMs: 3_600_000,
      logger: memoryLogger().logger,
      onExpired: (n) => void (expired += n),
      now: () => Date.parse("2026-12-09T00:00:00Z"),
    });
    try {
      expect(api.objects.size).toBe(2); // not the leader: nothing deleted
      leadership.set(true);
      await waitFor(() => api.objects.size === 1);
      expect([...api.objects.keys()]).toEqual([`shop/${fresh.requestUid}`]);
      expect(expired).toBe(1);
    } finally {
      retention.stop();
    }
  });

  it("on start, the disk store's recent records are created again; those there already count as written", async () => {
    const dir = await makeTempDir();
    const disk = openDiskStore({
      dir,
      segmentBytes: 1 << 20,
      maxBytes: 1 << 24,
      maxQueue: 100,
      logger: memoryLogger().logger,
    });
    const now = Date.parse("2026-12-02T12:00:00Z");
    disk.append(sampleRecord({ time: "2026-11-20T00:00:00.000Z" }, 0)); // older than restore: left
    disk.append(sampleRecord({ time: "2026-12-02T10:00:00.000Z" }, 1));
    disk.append(sampleRecord({ time: "2026-12-02T11:00:00.000Z" }, 2));
    await disk.drain();
    const api = new FakeApi();
    await api.create("shop", recordObject(sampleRecord({ time: "2026-12-02T11:00:00.000Z" }, 2)));
    const config: HistoryConfig = {
      enabled: true,
      records: "on",
      segmentBytes: 1 << 20,
      maxBytes: 1 << 24,
      queue: 100,
      retentionMs: 168 * 3_600_000,
      maxPerNamespace: 100,
      restoreMs: 24 * 3_600_000,
      proposeCommand: "driftguard propose --config CONFIG --request {uid}",
    };
    const parts = startDecisionRecords({
      kubeConfig: {} as KubeConfig,
      config,
      dir,
      logger: memoryLogger().logger,
      leadership: () => new ManualLeadership(),
      api,
      now: () => now,
    });
    try {
      expect(await parts.restored).toBe(1);
      expect([...api.objects.keys()].sort()).toEqual(
        [`shop/${sampleRecord({}, 1).requestUid}`, `shop/${sampleRecord({}, 2).requestUid}`].sort(),
      );
    } finally {
      await parts.stop();
    }
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}
