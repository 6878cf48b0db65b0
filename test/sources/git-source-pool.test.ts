// A Git source that parses through the parse pool serves exactly what one that parses in-thread serves:
// the same files, docs, errors, notices and per-file last good, at the load and at a later commit.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createParsePool, type FileParser } from "../../src/sources/parse-pool.js";
import type { GitSource, SourceRevision } from "../../src/sources/types.js";
import { memoryLogger } from "../support/memory-logger.js";
import { appYaml, createSourceFixture, type SourceFixture } from "./source-fixture.js";

let fx: SourceFixture;
let pool: FileParser;
const poolLog = memoryLogger();
/** Files the pooled source sent to the pool (small changes are parsed in-thread). */
let sent = 0;
const counting: FileParser = {
  parse: (jobs) => {
    sent += jobs.length;
    return pool.parse(jobs);
  },
  close: () => pool.close(),
};

beforeAll(async () => {
  fx = await createSourceFixture();
  pool = createParsePool({ logger: poolLog.logger, workers: 2 });
});

afterAll(async () => {
  await fx.cleanup();
  await pool.close();
});

/** 150 files: enough for the pool (small changes are parsed in-thread), with each kind of outcome. */
function manyFiles(image: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < 140; i++) files[`apps/team-${i % 7}/app-${i}.yaml`] = appYaml(`app-${i}`, { image });
  files["apps/broken/syntax.yaml"] = "a: [1\n";
  files["apps/broken/schema.yaml"] = appYaml("bad").replace("spec:\n", 'spec:\n  replicas: "3"\n');
  files["apps/other/config.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n";
  files["apps/other/no-kind.yaml"] = "metadata: {name: x}\n";
  files["apps/other/list.yaml"] =
    `apiVersion: v1\nkind: List\nitems:\n  - ${appYaml("listed").replaceAll("\n", "\n    ")}\n`;
  files["apps/other/old.yaml"] = appYaml("old").replace("apps/v1", "extensions/v1beta1");
  files["apps/other/two.yaml"] = `${appYaml("one")}---\n${appYaml("two")}`;
  files["apps/other/empty.yaml"] = "";
  files["apps/other/web.json"] = JSON.stringify({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "s" },
  });
  files["apps/other/binary.yaml"] = "\u0000\u0001";
  return files;
}

/** What a revision serves, without the commit-independent identity of its objects. */
function served(revision: SourceRevision | undefined) {
  return {
    files: [...(revision?.files.values() ?? [])],
    notices: revision?.notices,
  };
}

describe("the parse pool in a Git source", () => {
  let inThread: GitSource;
  let pooled: GitSource;

  test("the load serves the same revision", async () => {
    await fx.repo.commit("many", manyFiles("nginx:1"));
    inThread = fx.createSource({ name: "in-thread" });
    pooled = fx.createSource({ name: "pooled" }, { parser: counting });
    await Promise.all([inThread.start(), pooled.start()]);
    expect(pooled.current()?.files.size).toBe(150);
    expect(served(pooled.current())).toEqual(served(inThread.current()));
    expect(JSON.stringify(served(pooled.current()))).toBe(JSON.stringify(served(inThread.current())));
    expect(pooled.status().fileErrors).toEqual(inThread.status().fileErrors);
    expect(pooled.status().fileErrors.map((error) => error.file)).toEqual([
      "apps/broken/schema.yaml",
      "apps/broken/syntax.yaml",
      "apps/other/binary.yaml",
    ]);
    expect(sent).toBe(150);
    expect(poolLog.lines.filter((line) => line.level >= 40)).toEqual([]);
  });

  test("a commit that breaks many files keeps their last good docs, alike", async () => {
    const next = manyFiles("nginx:2");
    for (let i = 0; i < 80; i++)
      next[`apps/team-${i % 7}/app-${i}.yaml`] = `${appYaml(`app-${i}`)}  bad: [\n`;
    await fx.repo.commit("break", next);
    const [a, b] = await Promise.all([inThread.refresh("test"), pooled.refresh("test")]);
    expect(b).toMatchObject({ kind: "updated", changedFiles: 140 });
    expect(a).toMatchObject({ kind: "updated", changedFiles: 140 });
    expect(served(pooled.current())).toEqual(served(inThread.current()));
    expect(sent).toBe(150 + 140);
    const kept = pooled.current()?.files.get("apps/team-0/app-0.yaml");
    expect(kept?.error).toBeDefined();
    expect(kept?.docs[0]?.object).toMatchObject({
      spec: { template: { spec: { containers: [{ image: "nginx:1" }] } } },
    });
  });
});
