// `driftguard replay` as a user runs it: a hand-made audit log, a real Git repository, the JSON report,
// its text, the exit status and the failures that must be errors (exit 2), not crashes.
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ReplayReport } from "../../src/core/replay-report.js";
import type { JsonObject } from "../../src/core/types.js";
import { auditEvent } from "../support/audit-events.js";
import { deploymentManifest, deploymentYaml } from "../support/deployments.js";
import { createTestRepo } from "../support/git/test-repo.js";
import { makeTempDir } from "../support/tls/cert-dir.js";
import { driftguard } from "./run-cli.js";

const stored = (image: string, replicas = 2, env?: JsonObject[]) =>
  deploymentManifest({ image, replicas, ...(env ? { env } : {}), metadata: { uid: "u1" } });

let n = 0;
/** The n-th line of the log: a second apart, numbered ids, the user in no team, no stageTimestamp. */
function line(user: string, verb: string, fields: JsonObject): string {
  n++;
  return auditEvent({
    auditID: `id-${n}`,
    verb,
    user: { username: user, groups: ["system:authenticated"] },
    responseStatus: { code: 200 },
    requestReceivedTimestamp: `2026-12-02T06:00:${String(n).padStart(2, "0")}.000000Z`,
    stageTimestamp: undefined,
    ...fields,
  });
}

const SECRET = "s3cr3t-value";

const LOG = [
  line("admin", "create", { responseObject: stored("nginx:1.25") }),
  line("alice", "patch", { responseObject: stored("nginx:6.6") }),
  "this line is not JSON",
  line("alice", "patch", {
    requestURI: "/apis/apps/v1/namespaces/shop/deployments/web?dryRun=All",
    responseObject: stored("nginx:dry"),
  }),
  line("alice", "patch", { responseObject: stored("nginx:6.6", 2, [{ name: "TOKEN", value: SECRET }]) }),
  line("bob", "patch", { level: "Request", requestObject: { spec: { replicas: 9 } } }),
  line("alice", "patch", {
    responseStatus: {
      code: 403,
      message: 'admission webhook "deployments.driftguard.io" denied the request: driftguard: would drift',
    },
    annotations: { "deployments.driftguard.io/violations": "spec.replicas" },
  }),
  line("alice", "patch", { responseObject: stored("nginx:1.25") }),
].join("\n");

describe("driftguard replay", { timeout: 180_000 }, () => {
  let tmp: string;
  let config: string;
  let log: string;

  beforeAll(async () => {
    tmp = await makeTempDir();
    const repo = await createTestRepo(join(tmp, "remote"), tmp);
    await repo.commit("web", { "apps/web.yaml": deploymentYaml({ replicas: 2 }) });
    config = join(tmp, "driftguard.yaml");
    await writeFile(
      config,
      "mode: audit\nsources: [{name: apps, url: ./remote, paths: [apps]}]\nstateDir: ./state\n",
    );
    log = join(tmp, "audit.log");
    await writeFile(log, `${LOG}\n`);
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it("-o json: would-deny per user, namespace and group; bad lines by number; dry run skipped; exit 1", async () => {
    const run = await driftguard(["replay", "--config", config, "--audit-log", log, "-o", "json"]);
    expect(run.code, run.stderr).toBe(1);
    const report = JSON.parse(run.stdout) as ReplayReport;
    expect(report).toMatchObject({ apiVersion: "driftguard.io/v1alpha1", kind: "ReplayReport" });
    expect(report.input).toMatchObject({ lines: 8, writes: 6, skipped: { "dry run": 1 }, badLines: 1 });
    expect(report.input.bad).toEqual([{ line: 3, message: "not JSON" }]);
    expect(report.summary).toEqual({
      wouldDeny: 2,
      wouldAllow: 2,
      notJudged: 1,
      deniedAtTime: 1,
      deniedByDriftguard: 1,
    });
    expect(report.wouldDeny.map((g) => [g.user, g.namespace, g.group, g.count])).toEqual([
      ["alice", "shop", "env", 1],
      ["alice", "shop", "image", 1],
    ]);
    const image = report.wouldDeny.find((g) => g.group === "image");
    expect(image?.examples).toEqual([
      {
        object: "shop/web",
        verb: "patch",
        time: "2026-12-02T06:00:02.000000Z",
        auditID: "id-2",
        fields: ["spec.template.spec.containers[name=web].image"],
      },
    ]);
    expect(report.deniedAtTime).toMatchObject([{ user: "alice", group: "replicas", count: 1 }]);
    expect(report.notJudged).toMatchObject([{ count: 1, examples: [{ object: "shop/web", verb: "patch" }] }]);
    expect(report.assumptions.rbac).toMatch(/^none \(no --rbac\)/);
    expect(report.assumptions.desiredState).toMatch(/^Git as it is now.*source "apps" at [0-9a-f]{7}/);
    // Paths only: an env value never reaches the report.
    expect(run.stdout).not.toContain(SECRET);
  });

  it("text: the header with its assumptions, the groups with times and examples", async () => {
    const run = await driftguard(["replay", "--config", config, "--audit-log", log]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("driftguard replay: what enforce mode would have denied");
    expect(run.stdout).toContain("RBAC grants: none (no --rbac)");
    expect(run.stdout).toContain("Would be denied in enforce mode: 2 request(s) (2 would pass)");
    expect(run.stdout).toContain(
      "  alice in shop, image: 1 request(s), 2026-12-02T06:00:02.000000Z … 2026-12-02T06:00:02.000000Z",
    );
    expect(run.stdout).toContain("Denied at the time: 1 request(s), 1 by driftguard");
    expect(run.stdout).toContain("  line 3: not JSON");
    expect(run.stdout).not.toContain(SECRET);
  });

  it("exit 0 when nothing would be denied; exit 2 for a missing log or a bad flag", async () => {
    const quiet = join(tmp, "quiet.log");
    await writeFile(quiet, `${LOG.split("\n")[0]}\n`);
    expect((await driftguard(["replay", "--config", config, "--audit-log", quiet])).code).toBe(0);
    const missing = await driftguard(["replay", "--config", config, "--audit-log", join(tmp, "nope.log")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot read the audit log: no such file or folder");
    const noLog = await driftguard(["replay", "--config", config]);
    expect(noLog.code).toBe(2);
    expect(noLog.stderr).toContain("--audit-log FILE is required");
    expect((await driftguard(["replay", "--help"])).stdout).toContain("--audit-log FILE");
  });
});
