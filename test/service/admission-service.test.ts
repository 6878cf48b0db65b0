// The admission service with stand-in sources: which source is fetched again and when, what a slow or
// failing fetch leaves, the GitOps miss, and that the request-bound logger and metrics hooks are fed.
// No Git and no sleeps: refreshes are answered by the test, time is the test's clock.
import { afterEach, describe, expect, it, vi } from "vitest";
import { createAdmit } from "../../src/admission/admit.js";
import { DesiredState } from "../../src/admission/desired-state.js";
import type { FetchOutcome } from "../../src/admission/on-demand-fetch.js";
import type { AdmissionRequest } from "../../src/core/admission.js";
import type { Decision } from "../../src/core/decision.js";
import { deploymentManifest, storedDeployment } from "../support/deployments.js";
import { type FakeSource, fakeRevision, fakeSource } from "../support/fake-source.js";
import { memoryLogger } from "../support/memory-logger.js";
import { testPolicy } from "../support/policy.js";
import { request } from "../support/reviews.js";

const manifest = (image: string, name = "web") => deploymentManifest({ name, image, replicas: 2 });
const live = (image: string) => storedDeployment(manifest(image));
const update = (image: string, user?: { username: string; groups: string[] }) =>
  request({
    operation: "UPDATE",
    object: live(image),
    oldObject: live("nginx:1"),
    ...(user ? { user } : {}),
  });
const ARGO = {
  username: "system:serviceaccount:argocd:argocd-application-controller",
  groups: ["system:serviceaccounts", "system:serviceaccounts:argocd"],
};

function setUp(options: { unmanaged?: "allow" | "warn" } = {}) {
  let clock = 1_000_000;
  const now = () => clock;
  const apps = fakeSource("apps", now);
  const other = fakeSource("other", now);
  const policy = testPolicy(options.unmanaged ? { unmanaged: options.unmanaged } : {});
  const state = new DesiredState([apps, other], policy);
  for (const source of [apps, other]) source.onChange(() => state.rebuild());
  apps.serve(fakeRevision("apps", "c1", [manifest("nginx:1")]));
  other.serve(fakeRevision("other", "o1", [manifest("redis:7", "cache")]));
  // Both last fetched a minute ago: older than onDemandAfter.
  apps.lastAttemptAt = other.lastAttemptAt = clock - 60_000;
  const decisions: Array<{ decision: Decision; seconds: number }> = [];
  const fetches: FetchOutcome[] = [];
  const log = memoryLogger();
  const ticks = [0, 250];
  const admit = createAdmit({
    state,
    sources: [apps, other],
    policy,
    refresh: { onDemandAfterMs: 5_000, timeoutMs: 3_000 },
    logger: log.logger,
    now,
    elapsedClock: () => ticks.shift() ?? 0,
    onDecision: (decision, _request, seconds) => decisions.push({ decision, seconds }),
    onFetch: (outcome) => fetches.push(outcome),
  });
  const context = memoryLogger();
  const ask = (req: AdmissionRequest) => admit(req, { log: context.logger.child({ uid: req.uid }) });
  return {
    apps,
    other,
    state,
    ask,
    decisions,
    fetches,
    context,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

/** The next refresh of `source` finds commit `commit` with `image`. */
function nextCommit(source: FakeSource, commit: string, image: string) {
  source.onRefresh = async () => {
    source.serve(fakeRevision(source.name, commit, [manifest(image)]));
    return { kind: "updated", from: "c1", to: commit, changedFiles: 1 };
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("admission service", () => {
  it("asks Git nothing for a quiet allow, and reports the verdict and the time it took", async () => {
    const t = setUp();
    const response = await t.ask(update("nginx:1"));
    expect(response).toEqual({ uid: expect.any(String), allowed: true });
    expect([...t.apps.refreshes, ...t.other.refreshes]).toEqual([]);
    expect(t.decisions).toHaveLength(1);
    expect(t.decisions[0]).toMatchObject({
      decision: { verdict: { outcome: "allow", reason: "in-sync" } },
      seconds: 0.25,
    });
    expect(t.fetches).toEqual([]);
  });

  it("fetches the object's own stale source before denying, once, and decides on the new commit", async () => {
    const t = setUp();
    nextCommit(t.apps, "c2", "nginx:2");
    const rebuilds = t.state.rebuilds;
    const response = await t.ask(update("nginx:2"));
    expect(response.allowed).toBe(true);
    expect(t.apps.refreshes).toHaveLength(1);
    expect(t.other.refreshes).toEqual([]);
    // One rebuild, by the source's change listener; the service does not rebuild again.
    expect(t.state.rebuilds).toBe(rebuilds + 1);
    expect(t.fetches).toEqual(["fresh"]);
    expect(t.decisions[0]?.decision.verdict.outcome).toBe("allow");
  });

  it("denies without fetching when the last fetch is recent", async () => {
    const t = setUp();
    t.apps.lastAttemptAt = 1_000_000 - 1_000;
    const response = await t.ask(update("evil:1"));
    expect(response.allowed).toBe(false);
    expect(t.apps.refreshes).toEqual([]);
    expect(t.fetches).toEqual([]);
  });

  it("asks every stale source about an object none of them holds", async () => {
    const t = setUp({ unmanaged: "warn" });
    const req = request({
      operation: "CREATE",
      object: { ...live("nginx:1"), metadata: { name: "new", namespace: "shop" } },
    });
    const response = await t.ask(req);
    expect(response.allowed).toBe(true);
    expect(response.warnings?.[0]).toContain("not tracked in any Git source");
    expect(t.apps.refreshes).toHaveLength(1);
    expect(t.other.refreshes).toHaveLength(1);
    expect(t.fetches).toEqual(["unchanged"]);
  });

  it("answers from the known revision when the fetch takes longer than refresh.timeout, and says so in the request's log", async () => {
    vi.useFakeTimers();
    const t = setUp();
    t.apps.onRefresh = () => new Promise(() => undefined);
    const pending = t.ask(update("evil:1"));
    await vi.advanceTimersByTimeAsync(3_000);
    const response = await pending;
    expect(response.allowed).toBe(false);
    expect(t.fetches).toEqual(["timed_out"]);
    const line = t.context.lines.find((entry) => String(entry.msg).includes("took too long"));
    expect(line).toMatchObject({ uid: expect.any(String), timeoutMs: 3_000 });
  });

  it("counts a fetch that failed, and keeps the answer it had", async () => {
    const t = setUp();
    t.apps.onRefresh = async () => ({ kind: "failed", error: "remote unreachable" });
    const response = await t.ask(update("evil:1"));
    expect(response.allowed).toBe(false);
    expect(t.fetches).toEqual(["failed"]);
  });

  it("fetches for a GitOps identity whose content matches no known revision, however recent the last fetch", async () => {
    const t = setUp();
    t.apps.lastAttemptAt = 1_000_000 - 1;
    nextCommit(t.apps, "c2", "nginx:2");
    const response = await t.ask(update("nginx:2", ARGO));
    expect(t.apps.refreshes).toHaveLength(1);
    expect(response.allowed).toBe(true);
    expect(t.decisions[0]?.decision).toMatchObject({ kind: "gitops", commit: "c2" });
  });

  it("looks recent revisions up only when a GitOps identity asks", async () => {
    const t = setUp();
    let asked = 0;
    const lookup = t.state.lookup.bind(t.state);
    vi.spyOn(t.state, "lookup").mockImplementation((key) => {
      const found = lookup(key);
      if (found.kind !== "managed") return found;
      return {
        ...found,
        recent: () => {
          asked += 1;
          return found.recent();
        },
      };
    });
    t.apps.lastAttemptAt = 1_000_000;
    await t.ask(update("nginx:1"));
    await t.ask(update("evil:1"));
    expect(asked).toBe(0);
    await t.ask(update("nginx:1", ARGO));
    expect(asked).toBe(1);
  });
});
