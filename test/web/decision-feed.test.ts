// The decisions the web view lists (src/web/decision-feed.ts): this replica's recent records, bounded,
// joined on the request uid with the API server's list, which is cached, made one call at a time, and
// kept (with an error shown) when a later list fails. The API server's list is a stand-in function.
import { describe, expect, it } from "vitest";
import type { DecisionRecord } from "../../src/core/decision-record.js";
import { createDecisionFeed } from "../../src/web/decision-feed.js";
import { sampleRecord } from "../support/decision-records.js";

const record = (n: number, overrides: Partial<DecisionRecord> = {}) => sampleRecord(overrides, n);
const uids = (records: DecisionRecord[]) => records.map((one) => Number(one.requestUid.slice(-4)));

/** Stand-in for listing the API server's DecisionRecords: answers what `records` holds, or `failure`. */
function clusterList(initial: DecisionRecord[] = []) {
  const state = {
    records: initial,
    failure: undefined as Error | undefined,
    calls: 0,
    /** When set, each call waits for `release()`. */
    gate: undefined as Promise<void> | undefined,
  };
  const list = async () => {
    state.calls++;
    if (state.gate) await state.gate;
    if (state.failure) throw state.failure;
    return [...state.records];
  };
  return { state, list };
}

describe("createDecisionFeed", () => {
  it.each([
    { keep: 3, added: 5, kept: [2, 3, 4] },
    { keep: 5, added: 5, kept: [0, 1, 2, 3, 4] },
    { keep: 1, added: 4, kept: [3] },
    { keep: 10, added: 0, kept: [] },
  ])("keeps the newest $keep of $added recent records", async ({ keep, added, kept }) => {
    const feed = createDecisionFeed({ keep });
    for (let n = 0; n < added; n++) feed.add(record(n));
    const { records, errors } = await feed.read();
    expect(uids(records)).toEqual(kept);
    expect(errors).toEqual([]);
  });

  it("joins the API server's list and this replica's by request uid, sorted by time", async () => {
    // The cluster holds 0, 2, 4 (another replica's) and 3; this replica made 3 and 5, and 1 (added late).
    const { list } = clusterList([
      record(4),
      record(0),
      record(3, { requester: { username: "api-copy", groups: [] } }),
      record(2),
    ]);
    const feed = createDecisionFeed({ keep: 10, listCluster: list, now: () => 0 });
    feed.add(record(5));
    feed.add(record(3));
    feed.add(record(1));
    const { records, errors } = await feed.read();
    expect(errors).toEqual([]);
    expect(uids(records)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(records.filter((one) => Number(one.requestUid.slice(-4)) === 3)).toHaveLength(1);
    const times = records.map((one) => Date.parse(one.time));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it("without a cluster list, reads only the recent records and never errs", async () => {
    const feed = createDecisionFeed({ keep: 10 });
    feed.add(record(2));
    feed.add(record(1));
    expect(await feed.read()).toEqual({ records: [record(1), record(2)], errors: [] });
  });

  it("reuses the API server's list for clusterCacheMs, then lists again", async () => {
    const clock = { now: 0 };
    const { state, list } = clusterList([record(0)]);
    const feed = createDecisionFeed({
      keep: 10,
      listCluster: list,
      clusterCacheMs: 5_000,
      now: () => clock.now,
    });
    expect(uids((await feed.read()).records)).toEqual([0]);
    expect(state.calls).toBe(1);

    state.records = [record(0), record(1)];
    clock.now = 4_999;
    expect(uids((await feed.read()).records)).toEqual([0]);
    expect(state.calls).toBe(1);

    clock.now = 5_000;
    expect(uids((await feed.read()).records)).toEqual([0, 1]);
    expect(state.calls).toBe(2);
  });

  it("a record added meanwhile shows at once, even while the list is cached", async () => {
    const { state, list } = clusterList([record(0)]);
    const feed = createDecisionFeed({ keep: 10, listCluster: list, now: () => 0 });
    await feed.read();
    feed.add(record(7));
    expect(uids((await feed.read()).records)).toEqual([0, 7]);
    expect(state.calls).toBe(1);
  });

  it("makes one list for reads at once (single flight)", async () => {
    const { state, list } = clusterList([record(0), record(1)]);
    let release = () => {};
    state.gate = new Promise((resolve) => (release = resolve));
    const feed = createDecisionFeed({ keep: 10, listCluster: list, now: () => 0 });
    const reads = [feed.read(), feed.read(), feed.read()];
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(state.calls).toBe(1);
    release();
    const answers = await Promise.all(reads);
    expect(state.calls).toBe(1);
    for (const answer of answers) expect(uids(answer.records)).toEqual([0, 1]);
  });

  it("keeps the last good list when a list fails, says so, and clears the error on recovery", async () => {
    const clock = { now: 0 };
    const { state, list } = clusterList([record(0), record(1)]);
    const feed = createDecisionFeed({
      keep: 10,
      listCluster: list,
      clusterCacheMs: 1_000,
      now: () => clock.now,
    });
    feed.add(record(2));
    expect(await feed.read()).toMatchObject({ errors: [] });

    state.failure = new Error("connect ECONNREFUSED 10.96.0.1:443");
    clock.now = 1_000;
    const failed = await feed.read();
    expect(uids(failed.records)).toEqual([0, 1, 2]);
    expect(failed.errors).toHaveLength(1);
    expect(failed.errors[0]?.message).toContain("ECONNREFUSED");
    expect(failed.errors[0]?.message).toContain("and the last list");
    expect(state.calls).toBe(2);

    // While it fails, the API server is asked no more often than a list is reused: a page refreshed by
    // many viewers must not hammer an API server that is away.
    const again = await feed.read();
    expect(state.calls).toBe(2);
    expect(uids(again.records)).toEqual([0, 1, 2]);
    expect(again.errors).toHaveLength(1);
    clock.now = 1_999;
    await feed.read();
    expect(state.calls).toBe(2);

    state.failure = undefined;
    state.records = [record(0), record(1), record(3)];
    clock.now = 2_000;
    const recovered = await feed.read();
    expect(state.calls).toBe(3);
    expect(recovered.errors).toEqual([]);
    expect(uids(recovered.records)).toEqual([0, 1, 2, 3]);
  });

  it("a failure before any list shows this replica's records only, and says so", async () => {
    const { state, list } = clusterList();
    state.failure = new Error("Forbidden: decisionrecords.driftguard.io is forbidden");
    const feed = createDecisionFeed({ keep: 10, listCluster: list, now: () => 0 });
    feed.add(record(4));
    const { records, errors } = await feed.read();
    expect(uids(records)).toEqual([4]);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain("showing this replica's records)");
    expect(errors[0]?.message).not.toContain("last list");
    expect(errors[0]?.message).toContain("Forbidden");
  });

  it("a failure's message carries no credentials", async () => {
    const { state, list } = clusterList();
    state.failure = new Error(
      "request to https://admin:hunter2@10.96.0.1/apis failed; Authorization: Bearer sekrit-token",
    );
    const feed = createDecisionFeed({ keep: 10, listCluster: list, now: () => 0 });
    const text = JSON.stringify(await feed.read());
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("sekrit-token");
  });
});
