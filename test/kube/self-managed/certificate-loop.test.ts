// The self-managed certificate loop against a fake API server: what a first start, a restart, a
// rotation and a race between replicas write, and in which order.
import { afterEach, describe, expect, it, vi } from "vitest";
import { certificatesIn, DAY, FakeCluster, SETTINGS, T0, until } from "./replicas.js";

let cluster: FakeCluster;

afterEach(async () => {
  await cluster.stopAll();
  vi.useRealTimers();
});

describe("certificate loop", () => {
  it("first start: creates the Secret, sets every webhook's caBundle, then writes the files", async () => {
    cluster = new FakeCluster();
    const { loop, files } = cluster.replica();
    await loop.ready;
    const bundle = cluster.bundle();
    expect(cluster.events).toEqual(["secret:read none", "secret:create", "webhook:patch", "files:write"]);
    expect(certificatesIn(bundle.caBundle)).toEqual([bundle.caCert.trim()]);
    expect([cluster.webhooks.pem(0), cluster.webhooks.pem(1)]).toEqual([bundle.caBundle, bundle.caBundle]);
    expect(files.pair).toEqual({ cert: bundle.cert, key: bundle.key });
    expect(cluster.webhooks.watching).toBe(true);
  });

  it("restart: reuses the Secret's pair and rewrites nothing; a fresh pod only gets its files", async () => {
    cluster = new FakeCluster();
    const first = cluster.replica();
    await first.loop.ready;
    await first.loop.stop();
    const { resourceVersion } = cluster.secrets.stored?.metadata ?? {};
    cluster.events.length = 0;

    await cluster.replica(first.files).loop.ready;
    expect(cluster.events).toEqual(["secret:read found"]);
    const fresh = cluster.replica();
    await fresh.loop.ready;
    expect(cluster.events).toEqual(["secret:read found", "secret:read found", "files:write"]);
    expect(fresh.files.pair).toEqual(first.files.pair);
    expect(cluster.secrets.stored?.metadata?.resourceVersion).toBe(resourceVersion);
  });

  it("rotation in the renewal window, by the running loop: both CAs trusted, caBundle before files", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    cluster = new FakeCluster();
    const { loop, files } = cluster.replica();
    await loop.ready;
    const old = cluster.bundle();
    cluster.events.length = 0;

    cluster.now = new Date(T0.getTime() + 340 * DAY); // 25 days left, 30 days renewBefore
    await vi.advanceTimersByTimeAsync(SETTINGS.checkIntervalMs);
    await until(() => files.writes === 2, "the rotated pair");
    const rotated = cluster.bundle();
    expect(cluster.events).toEqual(["secret:read found", "secret:replace", "webhook:patch", "files:write"]);
    expect(rotated.caCert).not.toBe(old.caCert);
    expect(certificatesIn(rotated.caBundle)).toEqual([rotated.caCert.trim(), old.caCert.trim()]);
    expect(cluster.webhooks.pem(0)).toBe(rotated.caBundle);
    expect(files.pair?.cert).toBe(rotated.cert);
    expect(vi.getTimerCount()).toBe(1); // the next check
  });

  it("two replicas starting on no Secret: the loser of the create reads the winner's pair", async () => {
    cluster = new FakeCluster();
    const [a, b] = [cluster.replica(), cluster.replica()];
    await Promise.all([a.loop.ready, b.loop.ready]);
    const bundle = cluster.bundle();
    expect(cluster.events.slice(0, 2)).toEqual(["secret:read none", "secret:read none"]);
    expect(cluster.secrets.calls).toMatchObject({ create: 2, conflicts: 1, read: 3 });
    expect(a.files.pair).toEqual({ cert: bundle.cert, key: bundle.key });
    expect(b.files.pair).toEqual(a.files.pair);
    expect(certificatesIn(cluster.webhooks.pem(0))).toEqual([bundle.caCert.trim()]);
    // Settled by the 409 and a re-read, not by failing and retrying later.
    expect([...a.logged(40), ...b.logged(40)]).toEqual([]);
  });

  it("two replicas rotating at once: the stale resourceVersion loses, one new CA is added", async () => {
    cluster = new FakeCluster();
    const first = cluster.replica();
    await first.loop.ready;
    await first.loop.stop();
    const old = cluster.bundle();
    cluster.now = new Date(T0.getTime() + 340 * DAY);

    const [a, b] = [cluster.replica(), cluster.replica()];
    await Promise.all([a.loop.ready, b.loop.ready]);
    const rotated = cluster.bundle();
    expect(cluster.secrets.calls).toMatchObject({ replace: 2, conflicts: 1 });
    expect(a.files.pair?.cert).toBe(rotated.cert);
    expect(b.files.pair?.cert).toBe(rotated.cert);
    expect(certificatesIn(rotated.caBundle)).toEqual([rotated.caCert.trim(), old.caCert.trim()]);
    expect([...a.logged(40), ...b.logged(40)]).toEqual([]);
  });

  it("a dropped caBundle is put back on the watch event, from memory, patching only that field", async () => {
    cluster = new FakeCluster();
    const { loop } = cluster.replica();
    await loop.ready;
    const bundle = cluster.bundle().caBundle;
    cluster.events.length = 0;

    cluster.webhooks.dropCaBundle(1);
    await until(() => cluster.webhooks.pem(1) === bundle, "the caBundle to be restored");
    expect(cluster.events).toEqual(["webhook:patch"]);
    expect(cluster.webhooks.patches.at(-1)).toEqual([
      {
        op: "replace",
        path: "/webhooks/1/clientConfig/caBundle",
        value: Buffer.from(bundle).toString("base64"),
      },
    ]);
  });
});
