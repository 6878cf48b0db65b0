// The recorder (docs/contract.md §11): a decision that matters becomes one "decision record" log line
// with the record under `record`, a line in the disk store and a submit to the cluster's sink; one that
// does not (a dry-run, a plain allow) leaves nothing anywhere.
import { describe, expect, it } from "vitest";
import type { RecordSink } from "../../src/admission/contract.js";
import { decide } from "../../src/core/decide.js";
import type { DecisionRecord } from "../../src/core/decision-record.js";
import { openDiskStore, readDiskStore } from "../../src/history/disk-store.js";
import { createHistoryRecorder } from "../../src/history/recorder.js";
import { deploymentManifest, storedDeployment } from "../support/deployments.js";
import { memoryLogger } from "../support/memory-logger.js";
import { testPolicy } from "../support/policy.js";
import { desiredFor, managed, request } from "../support/reviews.js";
import { makeTempDir } from "../support/tls/cert-dir.js";

const GIT = deploymentManifest({ image: "nginx:1.27", replicas: 3 });
const policy = testPolicy();
const lookup = managed(desiredFor(GIT, policy));

function requestFor(image: string, dryRun = false, uid = "11111111-2222-4333-8444-555555555555") {
  return request({
    operation: "UPDATE",
    uid,
    object: storedDeployment(deploymentManifest({ image, replicas: 3 })),
    oldObject: storedDeployment(GIT),
    dryRun,
  });
}

class SinkSpy implements RecordSink {
  submitted: DecisionRecord[] = [];
  submit(record: DecisionRecord) {
    this.submitted.push(record);
  }
  counts = () => ({ failed: 0, dropped: 0 });
  status = () => ({ state: "ok" });
  drain = async () => {};
}

describe("history recorder", () => {
  it("a denial: one log line, one line on disk, one submit; counted by outcome", async () => {
    const dir = await makeTempDir();
    const log = memoryLogger();
    const disk = openDiskStore({
      dir,
      segmentBytes: 1 << 20,
      maxBytes: 1 << 24,
      maxQueue: 10,
      logger: log.logger,
    });
    const sink = new SinkSpy();
    const recorder = createHistoryRecorder({
      logger: log.logger,
      disk,
      cluster: sink,
      now: () => Date.parse("2026-12-02T03:14:00Z"),
    });
    for (const [image, dryRun] of [
      ["nginx:evil", false],
      ["nginx:evil", true],
      ["nginx:1.27", false],
    ] as const) {
      const req = requestFor(image, dryRun);
      recorder.decided(
        decide({ request: req, lookup, policy, namespaceTerminating: false, grant: undefined }),
        req,
      );
    }
    await recorder.drain();
    const lines = log.lines.filter((line) => line.msg === "decision record");
    expect(lines).toHaveLength(1);
    expect(lines[0]?.level).toBe(30); // info
    const record = lines[0]?.record as DecisionRecord;
    expect(record).toMatchObject({
      kind: "DecisionRecord",
      requestUid: "11111111-2222-4333-8444-555555555555",
    });
    expect((await readDiskStore(dir)).records).toEqual([record]);
    expect(sink.submitted).toEqual([record]);
    expect(recorder.counts()).toEqual({
      records: { allow: 0, warn: 0, deny: 1 },
      failures: { disk: 0, cluster: 0 },
      dropped: { disk: 0, cluster: 0 },
    });
  });
});
