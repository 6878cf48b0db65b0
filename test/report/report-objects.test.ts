// The Report and PolicyReport objects of one Deployment's drift (docs/contract.md §10): golden files for
// the shapes the API server stores, and the rules around them (pass in sync, fail or warn by mode, an
// error only on an existing Report, results capped, secrets never shown, times left out of comparison).
// A golden file is regenerated on purpose: UPDATE_GOLDEN=1 npx vitest run test/report/report-objects.test.ts
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { liveDriftOf } from "../../src/core/live-drift.js";
import type { Lookup } from "../../src/core/lookup.js";
import {
  type ReportInput,
  type ReportKind,
  type ReportObject,
  reportContent,
  reportPlan,
} from "../../src/core/report-objects.js";
import type { JsonObject, Mode } from "../../src/core/types.js";
import { deploymentManifest, storedDeployment } from "../support/deployments.js";
import { testPolicy } from "../support/policy.js";
import { clone, desiredFor } from "../support/reviews.js";

type O = JsonObject;
const UID = "6f1c2a8e-0d7b-4c51-9a63-2b8f4e1d9c07";
const SINCE = Date.parse("2026-11-30T08:15:00.250Z");
const OBSERVED = Date.parse("2026-12-01T10:00:00Z");
const GIT: O = deploymentManifest({
  image: "nginx:1",
  replicas: 2,
  labels: { app: "web" },
  env: [{ name: "DB_PASSWORD", value: "hunter2" }],
});
const spec = (object: O) => ((object.spec as O).template as O).spec as O;
const web = (object: O) => (spec(object).containers as O[])[0] as O;

function inputFor(options: { mode?: Mode; lookup?: Lookup; edit?: (object: O) => void }): ReportInput {
  const policy = testPolicy({ mode: options.mode ?? "enforce" });
  const lookup: Lookup = options.lookup ?? {
    kind: "managed",
    desired: desiredFor(GIT, policy, "shop", "4b825dc642cb6eb9a060e54bf8d69288fbee4904"),
    recent: () => [],
  };
  const live = clone(storedDeployment(GIT));
  (live.metadata as O).uid = UID;
  options.edit?.(live);
  const drift = liveDriftOf(lookup, live, policy);
  return { drift, since: drift.state === "drifted" ? SINCE : undefined, observedAt: OBSERVED };
}

const drifted = (object: O) => {
  (object.spec as O).replicas = 5;
  web(object).image = "nginx:2";
  web(object).env = [{ name: "DB_PASSWORD", value: "letmein" }];
};

function written(kind: ReportKind, input: ReportInput, maxResults = 50): ReportObject {
  const plan = reportPlan(kind, input, maxResults);
  if (plan.action === "remove") throw new Error("expected a Report");
  return plan.report;
}

function golden(name: string, report: ReportObject): void {
  const file = join(import.meta.dirname, "golden", `${name}.json`);
  const text = `${JSON.stringify(report, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN) writeFileSync(file, text);
  expect(text).toBe(readFileSync(file, "utf8"));
}

describe("Report objects", () => {
  it.each([
    { name: "report-drifted-enforce", kind: "openreports" as const, mode: "enforce" as const, edit: drifted },
    { name: "report-in-sync", kind: "openreports" as const, mode: "enforce" as const, edit: undefined },
    {
      name: "policyreport-drifted-audit",
      kind: "policyreports" as const,
      mode: "audit" as const,
      edit: drifted,
    },
  ])("$name matches its golden file", ({ name, kind, mode, edit }) => {
    golden(name, written(kind, inputFor({ mode, ...(edit ? { edit } : {}) })));
  });

  it.each([
    { mode: "enforce" as const, status: "fail" },
    { mode: "audit" as const, status: "warn" },
    { mode: "off" as const, status: "warn" },
  ])("one $status result per drifted field group in $mode mode", ({ mode, status }) => {
    const report = written("openreports", inputFor({ mode, edit: drifted }));
    expect(report.results.map((r) => [r.rule, r.result])).toEqual([
      ["replicas", status],
      ["image", status],
      ["env", status],
    ]);
    expect(report.summary).toMatchObject({ pass: 0, [status]: 3 });
  });

  it("is named by the Deployment's uid and owned by it, without blocking its deletion", () => {
    const report = written("openreports", inputFor({}));
    expect(report.metadata).toMatchObject({ name: UID, namespace: "shop" });
    expect(report.metadata.ownerReferences).toEqual([
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        name: "web",
        uid: UID,
        controller: false,
        blockOwnerDeletion: false,
      },
    ]);
  });

  it("never shows a sensitive value, not even masked", () => {
    const text = JSON.stringify(written("openreports", inputFor({ edit: drifted })));
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("letmein");
    expect(text).toContain("(values hidden)");
  });

  it.each([
    { name: "unmanaged", lookup: { kind: "unmanaged" } as Lookup, action: "remove" },
    {
      name: "unknown",
      lookup: { kind: "unsynced", reason: "no source has synced yet" } as Lookup,
      action: "update-existing",
    },
  ])("a Deployment $name: $action", ({ lookup, action }) => {
    const plan = reportPlan("openreports", inputFor({ lookup }), 50);
    expect(plan.action).toBe(action);
    if (plan.action === "update-existing") {
      expect(plan.report.results).toHaveLength(1);
      expect(plan.report.results[0]).toMatchObject({ result: "error", rule: "desired-state" });
      expect(plan.report.results[0]?.message).toContain("no source has synced yet");
    }
  });

  it("a Deployment without a uid gets no Report", () => {
    const input = inputFor({});
    expect(reportPlan("openreports", { ...input, drift: { ...input.drift, uid: undefined } }, 50)).toEqual({
      action: "remove",
    });
  });

  it("caps results at maxResults and names the groups left out", () => {
    const report = written("openreports", inputFor({ edit: drifted }), 2);
    expect(report.results.map((r) => r.rule)).toEqual(["replicas", "image"]);
    expect(report.results[1]?.properties.notShown).toBe("env");
    expect(report.summary.fail).toBe(2);
    expect(report.configuration).toEqual({ limits: { maxResults: 2 } });
  });

  it("lists at most 20 paths of a group and says how many more", () => {
    const report = written(
      "openreports",
      inputFor({
        edit: (object) => {
          web(object).env = Array.from({ length: 25 }, (_, i) => ({ name: `V${i}`, value: "x" }));
        },
      }),
    );
    const env = report.results.find((r) => r.rule === "env");
    expect(env?.properties.paths?.split(", ")).toHaveLength(21);
    expect(env?.properties.paths).toMatch(/… and \d+ more$/);
  });

  it("compares content without the times, and sees every other change", () => {
    const input = inputFor({ edit: drifted });
    const report = written("openreports", input);
    const later = written("openreports", { ...input, since: SINCE + 60_000, observedAt: OBSERVED + 60_000 });
    expect(reportContent(later)).toBe(reportContent(report));
    // As read back from the API server: more metadata, keys in another order.
    const stored = JSON.parse(
      JSON.stringify({ ...report, metadata: { resourceVersion: "9", ...report.metadata } }),
    );
    expect(reportContent(stored)).toBe(reportContent(report));
    const fixed = written("openreports", inputFor({}));
    expect(reportContent(fixed)).not.toBe(reportContent(report));
    const imageOnly = written("openreports", inputFor({ edit: (o) => void (web(o).image = "nginx:3") }));
    const otherImage = written("openreports", inputFor({ edit: (o) => void (web(o).image = "nginx:4") }));
    expect(reportContent(imageOnly)).not.toBe(reportContent(otherImage));
  });
});
