// The drift of a live Deployment as every report shows it (docs/contract.md §10): the four states, GitOps
// marks apart, field groups, the mode of the namespace, and the versioned JSON shape with values masked.
import { describe, expect, it } from "vitest";
import { DRIFT_REPORT_API_VERSION, driftReport } from "../../src/core/drift-report.js";
import { liveDriftOf, sameDrift } from "../../src/core/live-drift.js";
import type { Lookup } from "../../src/core/lookup.js";
import { type JsonObject, MASKED } from "../../src/core/types.js";
import { deploymentManifest, storedDeployment } from "../support/deployments.js";
import { testPolicy } from "../support/policy.js";
import { clone, desiredFor } from "../support/reviews.js";

type O = JsonObject;
const GIT: O = deploymentManifest({
  image: "nginx:1",
  replicas: 2,
  labels: { app: "web" },
  env: [{ name: "DB_PASSWORD", value: "hunter2" }],
});
const policy = testPolicy({ namespaceModes: new Map([["shop", "audit"]]) });
const managed: Lookup = { kind: "managed", desired: desiredFor(GIT, policy, "shop"), recent: () => [] };
const live = (edit: (object: O) => void = () => {}) => {
  const object = clone(storedDeployment(GIT));
  edit(object);
  return object;
};
const spec = (object: O) => ((object.spec as O).template as O).spec as O;
const web = (object: O) => (spec(object).containers as O[])[0] as O;

const CASES: { name: string; lookup: Lookup; edit?: (object: O) => void; state: string; groups: string[] }[] =
  [
    { name: "Git's content as stored", lookup: managed, state: "in-sync", groups: [] },
    {
      name: "an image set by hand",
      lookup: managed,
      edit: (o) => {
        web(o).image = "nginx:2";
      },
      state: "drifted",
      groups: ["image"],
    },
    {
      name: "replicas and an env value",
      lookup: managed,
      edit: (o) => {
        (o.spec as O).replicas = 5;
        web(o).env = [{ name: "DB_PASSWORD", value: "letmein" }];
      },
      state: "drifted",
      groups: ["replicas", "env"],
    },
    {
      name: "only an Argo CD tracking label (a GitOps mark)",
      lookup: managed,
      edit: (o) => {
        ((o.metadata as O).labels as O)["app.kubernetes.io/instance"] = "shop";
      },
      state: "in-sync",
      groups: [],
    },
    {
      name: "a field with no group of its own",
      lookup: managed,
      edit: (o) => {
        spec(o).hostNetwork = true;
      },
      state: "drifted",
      groups: ["other"],
    },
    { name: "not in Git", lookup: { kind: "unmanaged" }, state: "unmanaged", groups: [] },
    {
      name: "no source synced",
      lookup: { kind: "unsynced", reason: "not synced yet" },
      state: "unknown",
      groups: [],
    },
  ];

describe("liveDriftOf", () => {
  it.each(CASES)("$name: $state $groups", ({ lookup, edit, state, groups }) => {
    const drift = liveDriftOf(lookup, live(edit), policy);
    expect(drift.state).toBe(state);
    expect(drift.groups).toEqual(groups);
    expect(drift.mode).toBe("audit");
    expect(drift.key).toEqual({ namespace: "shop", name: "web" });
    if (state === "in-sync" || state === "drifted") expect(drift.origin?.file).toBeDefined();
  });

  it("lists marks apart from drift", () => {
    const drift = liveDriftOf(
      managed,
      live((o) => {
        ((o.metadata as O).labels as O)["app.kubernetes.io/instance"] = "shop";
        web(o).image = "nginx:2";
      }),
      policy,
    );
    expect(drift.drifts.map((d) => d.path)).toEqual(["spec.template.spec.containers[name=web].image"]);
    expect(drift.marks.map((d) => d.path)).toEqual(['metadata.labels["app.kubernetes.io/instance"]']);
  });

  it("says the same only when state, origin and fields are the same", () => {
    const image = (tag: string) =>
      liveDriftOf(
        managed,
        live((o) => void (web(o).image = tag)),
        policy,
      );
    expect(sameDrift(image("nginx:2"), image("nginx:2"))).toBe(true);
    expect(sameDrift(image("nginx:2"), image("nginx:3"))).toBe(false);
    expect(sameDrift(image("nginx:1"), liveDriftOf({ kind: "unmanaged" }, live(), policy))).toBe(false);
  });
});

describe("driftReport", () => {
  const drifted = liveDriftOf(
    managed,
    live((o) => {
      web(o).image = "nginx:2";
      web(o).env = [{ name: "DB_PASSWORD", value: "letmein" }];
    }),
    policy,
  );
  const report = driftReport(
    [
      { drift: drifted, since: Date.UTC(2026, 11, 1) },
      { drift: liveDriftOf({ kind: "unmanaged" }, live(), policy) },
    ],
    new Date(Date.UTC(2026, 11, 2)),
    [{ namespace: "private", message: "forbidden" }],
  );

  it("is versioned and counts every state", () => {
    expect(report.apiVersion).toBe(DRIFT_REPORT_API_VERSION);
    expect(report.kind).toBe("DriftReport");
    expect(report.generatedAt).toBe("2026-12-02T00:00:00.000Z");
    expect(report.summary).toEqual({ drifted: 1, inSync: 0, unmanaged: 1, unknown: 0, errors: 1 });
  });

  it("names the Git file and commit and masks secret values", () => {
    const [object] = report.objects.filter((o) => o.state === "drifted");
    expect(object?.git?.file).toBe(managed.kind === "managed" ? managed.desired.origin.file : "");
    expect(object?.since).toBe("2026-12-01T00:00:00.000Z");
    const env = object?.fields.find((f) => f.group === "env");
    expect(env).toMatchObject({ masked: true, git: MASKED, live: MASKED, mark: false });
    expect(JSON.stringify(report)).not.toContain("letmein");
    expect(JSON.stringify(report)).not.toContain("hunter2");
    expect(object?.fields.find((f) => f.group === "image")).toMatchObject({
      git: "nginx:1",
      live: "nginx:2",
    });
  });
});
