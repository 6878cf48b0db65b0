// The writers' Lease (docs/contract.md §10): one holder among replicas, renewed every third of the
// duration, handed over at once on a clean stop, taken from a silent holder only after a whole duration
// of the taker's own clock, given up by a holder that cannot renew. A fake Lease API with the API
// server's optimistic concurrency (resourceVersion, 409) and fake timers.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  type LeaderLease,
  type LeaseApi,
  type LeaseRecord,
  leaseIdentity,
  leaseNamespace,
  startLeaderLease,
} from "../../src/kube/leader-lease.js";
import { describeApiError } from "../../src/kube/self-managed/api-status.js";
import { memoryLogger } from "../support/memory-logger.js";

const DURATION = 15_000;

class FakeLeaseStore {
  record: LeaseRecord | undefined;
  version = 0;
  writes = 0;
  failing = new Set<string>();

  apiFor(identity: string): LeaseApi {
    const guard = () => {
      if (this.failing.has(identity)) throw Object.assign(new Error("connection refused"), { code: 503 });
    };
    return {
      read: async () => {
        guard();
        return this.record && { ...this.record };
      },
      create: async (record) => {
        guard();
        if (this.record) throw Object.assign(new Error("exists"), { code: 409 });
        return this.store(record);
      },
      replace: async (record) => {
        guard();
        if (record.resourceVersion !== this.record?.resourceVersion)
          throw Object.assign(new Error("conflict"), { code: 409 });
        return this.store(record);
      },
    };
  }

  private store(record: LeaseRecord): LeaseRecord {
    this.writes++;
    this.record = { ...record, resourceVersion: String(++this.version) };
    return { ...this.record };
  }
}

let store: FakeLeaseStore;
const started: LeaderLease[] = [];
function replica(identity: string): LeaderLease & { changes: boolean[] } {
  const lease = startLeaderLease({
    api: store.apiFor(identity),
    identity,
    durationMs: DURATION,
    logger: memoryLogger().logger,
    now: () => Date.now(),
  });
  const changes: boolean[] = [];
  lease.onChange((leader) => changes.push(leader));
  started.push(lease);
  return Object.assign(lease, { changes });
}
const leaders = () => started.filter((lease) => lease.isLeader()).length;

beforeEach(() => {
  vi.useFakeTimers();
  store = new FakeLeaseStore();
});
afterEach(async () => {
  for (const lease of started.splice(0)) await lease.stop();
  vi.useRealTimers();
});

describe("the writers' Lease", () => {
  it("a lone replica creates the Lease, leads, and renews every third of the duration", async () => {
    const a = replica("a");
    await vi.advanceTimersByTimeAsync(0);
    expect(a.isLeader()).toBe(true);
    expect(a.changes).toEqual([true]);
    expect(store.record).toMatchObject({ holder: "a", durationSeconds: 15 });
    const renewed = store.record?.renewTime ?? 0;
    await vi.advanceTimersByTimeAsync(DURATION / 3);
    expect(store.record?.renewTime).toBe(renewed + DURATION / 3);
    expect(a.holder()).toBe("a");
  });

  it("two replicas started together: exactly one leads, the other knows who", async () => {
    const a = replica("a");
    const b = replica("b");
    await vi.advanceTimersByTimeAsync(0);
    expect(leaders()).toBe(1);
    await vi.advanceTimersByTimeAsync(5 * DURATION);
    expect(leaders()).toBe(1);
    const [leader, other] = a.isLeader() ? [a, b] : [b, a];
    expect(other.holder()).toBe(leader === a ? "a" : "b");
    expect(leader.changes).toEqual([true]);
    expect(other.changes).toEqual([]);
  });

  it("a clean stop hands the Lease over within a third of the duration", async () => {
    const a = replica("a");
    await vi.advanceTimersByTimeAsync(0);
    const b = replica("b");
    await vi.advanceTimersByTimeAsync(0);
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    await a.stop();
    expect(a.changes).toEqual([true, false]);
    expect(store.record?.holder).toBeUndefined();
    await vi.advanceTimersByTimeAsync(DURATION / 3);
    expect(b.isLeader()).toBe(true);
  });

  it("a silent holder keeps the Lease for a whole duration of the taker's clock, then loses it", async () => {
    // A holder that crashed: its record stays, renewed long ago by its own (maybe skewed) clock.
    store.record = {
      holder: "ghost",
      durationSeconds: 15,
      acquireTime: 0,
      renewTime: 0,
      transitions: 0,
      resourceVersion: "7",
    };
    const b = replica("b");
    await vi.advanceTimersByTimeAsync(DURATION - 1);
    expect(b.isLeader()).toBe(false);
    expect(b.holder()).toBe("ghost");
    await vi.advanceTimersByTimeAsync(DURATION / 3 + 1);
    expect(b.isLeader()).toBe(true);
    expect(store.record).toMatchObject({ holder: "b", transitions: 1 });
  });

  it("a holder that cannot renew steps down within two thirds of the duration, before anyone may take over", async () => {
    const a = replica("a");
    await vi.advanceTimersByTimeAsync(0);
    store.failing.add("a");
    await vi.advanceTimersByTimeAsync(DURATION / 3);
    expect(a.isLeader()).toBe(true);
    await vi.advanceTimersByTimeAsync(DURATION / 3);
    expect(a.isLeader()).toBe(false);
    expect(a.changes).toEqual([true, false]);
  });

  it("a leader whose renewal loses to another writer steps down at once", async () => {
    const a = replica("a");
    await vi.advanceTimersByTimeAsync(0);
    const current = store.record as LeaseRecord;
    store.record = { ...current, holder: "intruder", resourceVersion: "99" };
    await vi.advanceTimersByTimeAsync(DURATION / 3);
    expect(a.isLeader()).toBe(false);
  });
});

describe("where the Lease is and who holds it", () => {
  it.each([
    { configured: "ops", env: {}, file: "ns", expected: "ops" },
    { configured: undefined, env: { POD_NAMESPACE: "driftguard" }, file: "ns", expected: "driftguard" },
    { configured: undefined, env: {}, file: "from-file\n", expected: "from-file" },
    { configured: undefined, env: {}, file: undefined, expected: "default" },
  ])("namespace $expected", ({ configured, env, file, expected }) => {
    const read = () => {
      if (file === undefined) throw new Error("ENOENT");
      return file;
    };
    expect(leaseNamespace(configured, env, read)).toBe(expected);
  });

  it("identity: the pod's name, else host name and process id", () => {
    expect(leaseIdentity({ POD_NAME: "driftguard-7d9-x2" })).toBe("driftguard-7d9-x2");
    expect(leaseIdentity({})).toMatch(new RegExp(`-${process.pid}$`));
  });
});

describe("API errors in the log", () => {
  it.each([
    {
      name: "the API server's Status message",
      error: Object.assign(new Error("HTTP-Code: 400\nMessage: Unknown API Status Code!"), {
        code: 400,
        body: JSON.stringify({ kind: "Status", message: 'Lease "x" is invalid: spec.renewTime: bad' }),
      }),
      expected: '400: Lease "x" is invalid: spec.renewTime: bad',
    },
    {
      name: "the error's own words without a Status body",
      error: Object.assign(new Error("connect ECONNREFUSED"), { code: 503 }),
      expected: "own: connect ECONNREFUSED",
    },
  ])("$name", ({ error, expected }) => {
    expect(describeApiError(error, (e) => `own: ${(e as Error).message}`)).toBe(expected);
  });
});
