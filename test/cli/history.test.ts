// `driftguard history --state-dir` over a fixed store (fixtures/history-state: the records of
// history-fixture.ts and one line torn by a crash), as a user runs it: text and json against golden
// files, the filters, and the errors. The API server path is in test/e2e/history.e2e.ts.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURE_RECORDS } from "./history-fixture.js";
import { driftguard, ROOT } from "./run-cli.js";

const STATE = join(ROOT, "test/cli/fixtures/history-state");
const STORE = join(STATE, "history/records-000000000001.jsonl");
const golden = (name: string) => join(ROOT, "test/cli/fixtures", name);

if (process.env.UPDATE_GOLDEN) {
  mkdirSync(join(STATE, "history"), { recursive: true });
  const lines = FIXTURE_RECORDS.map((record) => `${JSON.stringify(record)}\n`).join("");
  // The last line as kill -9 leaves it: cut mid-record, no newline.
  writeFileSync(STORE, `${lines}${JSON.stringify(FIXTURE_RECORDS[0]).slice(0, 57)}`);
}

async function matchesGolden(args: string[], file: string) {
  const result = await driftguard(["history", "--state-dir", STATE, ...args]);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  if (process.env.UPDATE_GOLDEN) writeFileSync(golden(file), result.stdout);
  expect(result.stdout).toBe(readFileSync(golden(file), "utf8"));
  return result.stdout;
}

describe("driftguard history --state-dir", () => {
  it("text: one block per record, oldest first, the torn line skipped", async () => {
    const text = await matchesGolden([], "history-text.golden");
    expect(text.match(/\(request /g)).toHaveLength(FIXTURE_RECORDS.length);
    expect(text).not.toContain("hunter2");
  });

  it("json: a versioned DecisionHistory holding the records as stored", async () => {
    const text = await matchesGolden(["-o", "json"], "history-json.golden");
    const history = JSON.parse(text);
    expect(history.apiVersion).toBe("driftguard.io/v1alpha1");
    expect(history.kind).toBe("DecisionHistory");
    expect(history.items).toEqual(FIXTURE_RECORDS);
  });

  // Five runs of the CLI through tsx: seconds each on a busy machine, past the default 30 s.
  it("filters by namespace, name and user (a service account also as namespace/name)", {
    timeout: 90_000,
  }, async () => {
    const uids = async (args: string[]) => {
      const result = await driftguard(["history", "--state-dir", STATE, "-o", "json", ...args]);
      return JSON.parse(result.stdout).items.map((r: { requestUid: string }) => r.requestUid.slice(-1));
    };
    expect(await uids(["--namespace", "team-a"])).toEqual(["2", "4"]);
    expect(await uids(["--namespace", "shop", "--name", "web"])).toEqual(["0", "1", "3"]);
    expect(await uids(["--user", "ci/deployer"])).toEqual(["2"]);
    expect(await uids(["--user", "alice"])).toEqual(["0", "4"]);
    expect(await uids(["--user", "nobody"])).toEqual([]);
  });

  it("says so when nothing matches; errors are coded", async () => {
    const none = await driftguard(["history", "--state-dir", STATE, "--name", "nothing"]);
    expect(none).toMatchObject({ code: 0, stdout: "no recorded decisions\n" });
    const badSince = await driftguard(["history", "--state-dir", STATE, "--since", "yesterday"]);
    expect(badSince.code).toBe(2);
    expect(badSince.stderr).toContain("--since yesterday: not a duration");
    const unreadable = await driftguard(["history", "--state-dir", STORE]);
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toContain("cannot read the decision history");
  });
});
