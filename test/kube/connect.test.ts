// connectCluster without a reachable API server: readiness holds back for a grace period only, so that
// a missing ClusterRole or an unreachable API server can never leave the webhook without endpoints.
import pino from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { connectCluster } from "../../src/kube/connect.js";
import { unreachableKubeconfig } from "../support/unreachable-kubeconfig.js";

describe("connectCluster", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("is off under watch auto outside a pod without a kubeconfig", () => {
    expect(
      connectCluster({ watch: "auto", resyncMs: 600_000 }, {}, pino({ level: "silent" })),
    ).toBeUndefined();
  });

  it("reports ready after the grace period even when the RBAC objects never list", async () => {
    const kubeconfig = await unreachableKubeconfig();
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const connection = connectCluster(
      { watch: "on", kubeconfig, resyncMs: 600_000 },
      {},
      pino({ level: "silent" }),
    );
    try {
      expect(connection?.parts.synced?.()).toBe(false);
      vi.advanceTimersByTime(29_000);
      expect(connection?.parts.synced?.()).toBe(false);
      vi.advanceTimersByTime(1_500);
      expect(connection?.parts.synced?.()).toBe(true);
    } finally {
      vi.useRealTimers();
      await connection?.stop();
    }
  });

  it("watches Deployments for the live scan only when asked, leaving kube-system out; readiness ignores it", async () => {
    const kubeconfig = await unreachableKubeconfig();
    const config = { watch: "on" as const, kubeconfig, resyncMs: 600_000 };
    const without = connectCluster(config, {}, pino({ level: "silent" }));
    const withScan = connectCluster(config, {}, pino({ level: "silent" }), { scanDeployments: true });
    try {
      expect(without?.parts.deployments).toBeUndefined();
      const feed = withScan?.parts.deployments;
      expect(feed?.excludedNamespaces).toEqual(["kube-system"]);
      expect(feed?.list()).toEqual([]);
      expect(["starting", "failing"]).toContain(feed?.state().kind);
      expect(withScan?.parts.status?.()).toMatchObject({ deployments: { name: "deployments", objects: 0 } });
    } finally {
      await without?.stop();
      await withScan?.stop();
    }
  });
});
