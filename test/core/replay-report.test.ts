// The replay's tally and its text: groups per user, namespace and field group, bounded examples.
import { describe, expect, test } from "vitest";
import type { EventFacts } from "../../src/core/audit-replay.js";
import { MAX_BAD_LINES, MAX_EXAMPLES, ReplayTally, replayText } from "../../src/core/replay-report.js";

const at = (second: number, user = "alice", namespace = "shop"): EventFacts => ({
  auditID: `id-${second}`,
  time: `2026-12-02T06:00:${String(second).padStart(2, "0")}Z`,
  user,
  groups: [],
  verb: "patch",
  namespace,
  name: "web",
  subresource: undefined,
});
const IMAGE = { path: "spec.template.spec.containers[name=web].image", group: "image" as const };
const REPLICAS = { path: "spec.replicas", group: "replicas" as const };
const ASSUMED = { desiredState: "Git as it is now", rbac: "none" };
const NOW = new Date("2026-12-02T07:00:00Z");

describe("ReplayTally", () => {
  test("a request with two groups counts in both; first and last time; examples capped", () => {
    const tally = new ReplayTally();
    for (let second = 1; second <= MAX_EXAMPLES + 2; second++) tally.judged(at(second), [IMAGE]);
    tally.judged(at(30), [IMAGE, REPLICAS]);
    tally.judged(at(31, "bob"), undefined);
    const report = tally.report("audit.log", ASSUMED, NOW);
    expect(report.summary).toEqual({
      wouldDeny: MAX_EXAMPLES + 3,
      wouldAllow: 1,
      notJudged: 0,
      deniedAtTime: 0,
      deniedByDriftguard: 0,
    });
    expect(
      report.wouldDeny.map((g) => [g.user, g.group, g.count, g.firstTime, g.lastTime, g.examples.length]),
    ).toEqual([
      ["alice", "image", MAX_EXAMPLES + 3, "2026-12-02T06:00:01Z", "2026-12-02T06:00:30Z", MAX_EXAMPLES],
      ["alice", "replicas", 1, "2026-12-02T06:00:30Z", "2026-12-02T06:00:30Z", 1],
    ]);
  });

  test("bad lines: all counted, the first ones kept with their numbers", () => {
    const tally = new ReplayTally();
    for (let line = 1; line <= MAX_BAD_LINES + 5; line++) tally.badLine(line, "not JSON");
    const report = tally.report("audit.log", ASSUMED, NOW);
    expect(report.input.badLines).toBe(MAX_BAD_LINES + 5);
    expect(report.input.bad).toHaveLength(MAX_BAD_LINES);
    expect(replayText(report)).toContain("  and 5 more\n");
  });

  test("text, golden", () => {
    const tally = new ReplayTally();
    for (let i = 0; i < 4; i++) tally.line();
    tally.skip("dry run");
    tally.judged(at(1), [IMAGE]);
    tally.deniedThen(at(2, "alice", "prod"), true, 403, [REPLICAS]);
    tally.deniedThen(at(3), false, 409, []);
    tally.unjudged(at(4, "bob"), "no resulting object");
    expect(replayText(tally.report("audit.log", ASSUMED, NOW))).toBe(
      [
        "driftguard replay: what enforce mode would have denied",
        "Audit log: audit.log: 4 line(s), 4 write(s) of Deployments; skipped: dry run 1",
        "Desired state: Git as it is now",
        "RBAC grants: none",
        "",
        "Would be denied in enforce mode: 1 request(s) (0 would pass)",
        "  alice in shop, image: 1 request(s), 2026-12-02T06:00:01Z … 2026-12-02T06:00:01Z",
        "    2026-12-02T06:00:01Z patch shop/web: spec.template.spec.containers[name=web].image",
        "",
        "Denied at the time: 2 request(s), 1 by driftguard",
        "  alice in prod, replicas: 1 request(s), 2026-12-02T06:00:02Z … 2026-12-02T06:00:02Z",
        "    2026-12-02T06:00:02Z patch prod/web: spec.replicas",
        "  by something else (HTTP 409): 1",
        "",
        "Not judged: 1 request(s)",
        "  1 × no resulting object",
        "    2026-12-02T06:00:04Z patch shop/web",
        "",
      ].join("\n"),
    );
  });
});
