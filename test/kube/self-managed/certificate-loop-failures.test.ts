// The certificate loop while the API server does not answer, and stop(): retries with backoff, never
// a crash, and nothing left running once stopped. Timers are vitest's; no test waits real seconds.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DAY, FakeCluster, SETTINGS, T0, until } from "./replicas.js";

let cluster: FakeCluster;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  cluster = new FakeCluster();
});

afterEach(async () => {
  await cluster.stopAll();
  vi.useRealTimers();
});

const retries = (logged: Array<Record<string, unknown>>) =>
  logged.filter((entry) => entry.msg === "cannot set up certificates yet").map((entry) => entry.retryInMs);

describe("certificate loop without an API server", () => {
  it("retries the first setup at 0.5 s, 1 s, 2 s… and is ready once the API server answers", async () => {
    cluster.secrets.failing = 3;
    const replica = cluster.replica();
    let ready = false;
    void replica.loop.ready.then(() => (ready = true));
    await until(() => retries(replica.logged(40)).length === 1);
    await vi.advanceTimersByTimeAsync(500);
    await until(() => retries(replica.logged(40)).length === 2);
    await vi.advanceTimersByTimeAsync(1_000);
    await until(() => retries(replica.logged(40)).length === 3);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(cluster.secrets.calls.read).toBe(0);
    expect(ready).toBe(false);

    await vi.advanceTimersByTimeAsync(1);
    await until(() => ready, "ready");
    expect(retries(replica.logged(40))).toEqual([500, 1_000, 2_000]);
    expect(cluster.secrets.calls.create).toBe(1);
    expect(replica.files.writes).toBe(1);
  });

  it("a failed periodic check is logged and tried again at the next interval", async () => {
    const replica = cluster.replica();
    await replica.loop.ready;
    cluster.secrets.failing = 1;
    await vi.advanceTimersByTimeAsync(SETTINGS.checkIntervalMs);
    await until(() => replica.logged(40).some((entry) => entry.msg === "certificate check failed; retrying"));
    await until(() => vi.getTimerCount() === 1, "the next check to be scheduled");

    cluster.now = new Date(T0.getTime() + 340 * DAY);
    await vi.advanceTimersByTimeAsync(SETTINGS.checkIntervalMs);
    await until(() => replica.files.writes === 2, "the rotation at the next check");
  });

  it("stop() clears the check timer and ends the caBundle watch", async () => {
    const { loop } = cluster.replica();
    await loop.ready;
    expect(vi.getTimerCount()).toBe(1);
    await loop.stop();
    expect(vi.getTimerCount()).toBe(0);
    expect(cluster.webhooks.watchStops).toBe(1);
    const reads = cluster.secrets.calls.read;
    await vi.advanceTimersByTimeAsync(10 * SETTINGS.checkIntervalMs);
    expect(cluster.secrets.calls.read).toBe(reads);
  });

  it("stop() while the first setup is retrying cancels the retry and settles ready", async () => {
    cluster.secrets.failing = Number.POSITIVE_INFINITY;
    const replica = cluster.replica();
    await until(() => retries(replica.logged(40)).length === 1);
    expect(vi.getTimerCount()).toBe(1);
    await replica.loop.stop();
    await replica.loop.ready;
    expect(vi.getTimerCount()).toBe(0);
    expect(cluster.webhooks.watching).toBe(false);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(retries(replica.logged(40))).toHaveLength(1);
  });
});
