// What each drift Event says, and which answers and scan changes leave one: DriftDenied, DriftWarned,
// none for a dry-run; the allowance an exemption explains; DriftDetected naming who or the last manager;
// DriftResolved. Notes name fields, Git's file and commit, never a sensitive value, and stay under 1 KiB.
import { describe, expect, it } from "vitest";
import { AnswerMemory } from "../../src/core/answer-memory.js";
import { decide } from "../../src/core/decide.js";
import {
  admissionAnswerFor,
  admissionEventFor,
  detectedEventFor,
  EVENT_NOTE_LIMIT,
  lastWriteOf,
  newDrifts,
  resolvedEventFor,
} from "../../src/core/drift-events.js";
import type { LiveDrift } from "../../src/core/live-drift.js";
import type { Policy } from "../../src/core/policy.js";
import { type Drift, type JsonObject, MASKED } from "../../src/core/types.js";
import { deploymentManifest, storedDeployment } from "../support/deployments.js";
import { testPolicy } from "../support/policy.js";
import { desiredFor, managed, request } from "../support/reviews.js";

type O = JsonObject;
const GIT = deploymentManifest({ replicas: 2, env: [{ name: "TOKEN", value: "s3cret" }] });
const live = () => storedDeployment(GIT);
const containerOf = (o: O) => ((((o.spec as O).template as O).spec as O).containers as O[])[0] as O;
const SCALERS = {
  users: ["alice"],
  groups: [],
  serviceAccounts: [],
  fields: ["replicas" as const],
  description: "config exemptions[0]",
};

function decisionFor(
  edit: (o: O) => void,
  options: { mode?: "audit" | "enforce"; dryRun?: boolean; policy?: Partial<Policy> } = {},
) {
  const policy = testPolicy({ mode: options.mode ?? "enforce", ...options.policy });
  const next = live();
  edit(next);
  return decide({
    request: request({
      operation: "UPDATE",
      object: next,
      oldObject: live(),
      dryRun: options.dryRun ?? false,
    }),
    lookup: managed(desiredFor(GIT, policy)),
    policy,
    namespaceTerminating: false,
  });
}

const setImage = (o: O) => (containerOf(o).image = "nginx:9");
const scale = (o: O) => ((o.spec as O).replicas = 5);

describe("admission Events", () => {
  it.each([
    { name: "enforce denial", mode: "enforce", dryRun: false, edit: setImage, reason: "DriftDenied" },
    {
      name: "audit allowance with drift",
      mode: "audit",
      dryRun: false,
      edit: setImage,
      reason: "DriftWarned",
    },
    { name: "dry-run denial", mode: "enforce", dryRun: true, edit: setImage, reason: undefined },
    { name: "dry-run audit allowance", mode: "audit", dryRun: true, edit: setImage, reason: undefined },
    { name: "no drift", mode: "enforce", dryRun: false, edit: () => {}, reason: undefined },
  ] as const)("$name → $reason", ({ mode, dryRun, edit, reason }) => {
    const event = admissionEventFor(decisionFor(edit, { mode, dryRun }), "uid-1");
    expect(event?.reason).toBe(reason);
    if (!event) return;
    expect(event).toMatchObject({ type: "Warning", action: "Admit", uid: "uid-1" });
    expect(event.key).toEqual({ namespace: "shop", name: "web" });
  });

  it("names requester, file, commit and field in the note", () => {
    const denied = admissionEventFor(decisionFor(setImage), undefined);
    expect(denied?.note).toMatch(
      /^alice tried to change it away from Git \(.+ at [0-9a-f]{7}\); enforce mode denied it: /,
    );
    expect(denied?.note).toContain(
      'spec.template.spec.containers[name=web].image: Git "nginx:1.25", request "nginx:9"',
    );
    const warned = admissionEventFor(decisionFor(setImage, { mode: "audit" }), undefined);
    expect(warned?.note).toMatch(
      /^alice changed it away from Git \(.+ at [0-9a-f]{7}\); audit mode allowed it: /,
    );
  });

  it("an exempted change leaves no Event, and is remembered as explained by the grant", () => {
    const decision = decisionFor(scale, { policy: { exemptions: [SCALERS] } });
    expect(decision.verdict.outcome).not.toBe("deny");
    expect(admissionEventFor(decision, "uid-1")).toBeUndefined();
    expect(admissionAnswerFor(decision, "uid-1", 42)).toEqual({
      key: { namespace: "shop", name: "web" },
      uid: "uid-1",
      at: 42,
      who: "alice",
      warned: [],
      exempted: [{ path: "spec.replicas", grant: "config exemptions[0]" }],
    });
  });

  it("remembers no answer for a dry-run, a denial, or an allowance without drift", () => {
    for (const decision of [
      decisionFor(scale, { policy: { exemptions: [SCALERS] }, dryRun: true }),
      decisionFor(setImage),
      decisionFor(() => {}),
    ])
      expect(admissionAnswerFor(decision, "uid-1", 1)).toBeUndefined();
  });

  it("never carries an env value, and stays under the note limit in bytes", () => {
    const decision = decisionFor(
      (o) => {
        containerOf(o).env = [
          { name: "TOKEN", value: "leaked-value" },
          ...Array.from({ length: 40 }, (_, i) => ({ name: `V${i}`, value: "ü".repeat(200) })),
        ];
      },
      { mode: "audit" },
    );
    const note = admissionEventFor(decision, undefined)?.note ?? "";
    expect(note).not.toContain("leaked-value");
    expect(note).toContain("and 36 more");
    expect(new TextEncoder().encode(note).length).toBeLessThanOrEqual(EVENT_NOTE_LIMIT);
  });
});

const ORIGIN = { source: "apps", commit: "0123456789abcdef", file: "apps/web.yaml" };
function drift(path: string, desired: number | string, actual: number | string, sensitive = false): Drift {
  return {
    path,
    segments: path.split("."),
    group: undefined,
    change: "changed",
    desired: sensitive ? MASKED : desired,
    actual: sensitive ? MASKED : actual,
    sensitive,
  };
}
function liveDrift(drifts: Drift[], state?: LiveDrift["state"]): LiveDrift {
  return {
    key: { namespace: "shop", name: "web" },
    uid: "uid-1",
    resourceVersion: "7",
    mode: "enforce",
    state: state ?? (drifts.length > 0 ? "drifted" : "in-sync"),
    origin: ORIGIN,
    reason: undefined,
    drifts,
    marks: [],
    groups: [],
  };
}
const REPLICAS = drift("spec.replicas", 2, 5);
const IMAGE = drift("spec.template.spec.containers[name=web].image", "nginx:1.25", "nginx:9");
const SECRET = drift("spec.template.spec.containers[name=web].env[name=TOKEN].value", "s3cret", "leak", true);
const answer = (fields: { warned?: string[]; exempted?: { path: string; grant: string }[] }) => ({
  key: { namespace: "shop", name: "web" },
  uid: "uid-1",
  at: 1,
  who: "system:serviceaccount:kube-system:horizontal-pod-autoscaler",
  warned: fields.warned ?? [],
  exempted: fields.exempted ?? [],
});

describe("scan Events", () => {
  it.each([
    { name: "first seen drifted", before: undefined, after: [REPLICAS], fresh: ["spec.replicas"] },
    { name: "in sync → drifted", before: [], after: [REPLICAS], fresh: ["spec.replicas"] },
    { name: "one more field", before: [REPLICAS], after: [REPLICAS, IMAGE], fresh: [IMAGE.path] },
    {
      name: "the same field, another value",
      before: [REPLICAS],
      after: [drift("spec.replicas", 2, 6)],
      fresh: [],
    },
    { name: "fewer fields", before: [REPLICAS, IMAGE], after: [REPLICAS], fresh: [] },
    { name: "back in sync", before: [REPLICAS], after: [], fresh: [] },
  ])("$name: new drift $fresh", ({ before, after, fresh }) => {
    const found = newDrifts(before && liveDrift(before), liveDrift(after));
    expect(found.map((d) => d.path)).toEqual(fresh);
    const event = detectedEventFor(before && liveDrift(before), liveDrift(after), [], undefined);
    expect(event?.reason).toBe(fresh.length > 0 ? "DriftDetected" : undefined);
  });

  it("no DriftDetected for a field a warning already explained", () => {
    expect(
      detectedEventFor(undefined, liveDrift([REPLICAS]), [answer({ warned: ["spec.replicas"] })], undefined),
    ).toBeUndefined();
  });

  it("an exempted change: names who made it and the grant, Git's file and commit", () => {
    const grant = "RoleBinding shop/break-glass";
    const event = detectedEventFor(
      liveDrift([]),
      liveDrift([REPLICAS]),
      [answer({ exempted: [{ path: "spec.replicas", grant }] })],
      undefined,
    );
    expect(event).toMatchObject({ reason: "DriftDetected", type: "Warning", action: "Scan", uid: "uid-1" });
    expect(event?.note).toBe(
      `spec.replicas: Git 2, live 5: changed by system:serviceaccount:kube-system:horizontal-pod-autoscaler, allowed by ${grant} (Git: apps/web.yaml at 0123456)`,
    );
  });

  it("drift nobody's answer explains: names the last field manager and time, never a masked value", () => {
    const event = detectedEventFor(undefined, liveDrift([SECRET, IMAGE]), [], {
      manager: "kubectl-edit",
      time: "2026-12-02T05:00:00Z",
    });
    expect(event?.note).toContain(
      "no admission answer explains it; last written by kubectl-edit at 2026-12-02T05:00:00Z",
    );
    expect(event?.note).toContain("made while driftguard was not answering, or before it was installed");
    expect(event?.note).toContain("env[name=TOKEN].value: <changed> (values not shown)");
    expect(event?.note).not.toContain("leak");
    expect(event?.note).not.toContain("s3cret");
  });

  it("mixed: the exempted field by its grant, the rest as unexplained", () => {
    const event = detectedEventFor(
      undefined,
      liveDrift([REPLICAS, IMAGE]),
      [answer({ exempted: [{ path: "spec.replicas", grant: "config exemptions[0]" }] })],
      undefined,
    );
    expect(event?.note).toMatch(
      /^spec\.replicas: Git 2, live 5: changed by .* allowed by config exemptions\[0\]; /,
    );
    expect(event?.note).toContain(
      `${IMAGE.path}: Git "nginx:1.25", live "nginx:9": no admission answer explains it`,
    );
  });

  it("Git moving ahead of an unchanged live object is said as such, as a Normal Event", () => {
    const before = liveDrift([]);
    const after = { ...liveDrift([IMAGE]), origin: { ...ORIGIN, commit: "fedcba9876543210" } };
    const event = detectedEventFor(before, after, [], { manager: "kubectl-edit", time: undefined });
    expect(event).toMatchObject({ reason: "DriftDetected", type: "Normal" });
    expect(event?.note).toBe(
      `${IMAGE.path}: Git "nginx:1.25", live "nginx:9": Git moved (apps/web.yaml at fedcba9) and the live object has not followed yet`,
    );
    // A write of the object at the same time is a write: not Git's move alone.
    const written = { ...after, resourceVersion: "8" };
    expect(detectedEventFor(before, written, [], undefined)?.note).toContain(
      "no admission answer explains it",
    );
  });

  it.each([
    { name: "drifted → in sync", before: liveDrift([REPLICAS]), after: liveDrift([]), resolved: true },
    { name: "in sync → drifted", before: liveDrift([]), after: liveDrift([REPLICAS]), resolved: false },
    { name: "drifted → gone", before: liveDrift([REPLICAS]), after: undefined, resolved: false },
    {
      name: "drifted → unknown",
      before: liveDrift([REPLICAS]),
      after: liveDrift([], "unknown"),
      resolved: false,
    },
  ])("DriftResolved: $name → $resolved", ({ before, after, resolved }) => {
    const event = resolvedEventFor(before, after);
    expect(event !== undefined).toBe(resolved);
    if (event)
      expect(event).toMatchObject({
        reason: "DriftResolved",
        type: "Normal",
        action: "Scan",
        note: "In sync with Git again (apps/web.yaml at 0123456): spec.replicas",
      });
  });

  it("lastWriteOf picks the newest managedFields entry", () => {
    const object = {
      metadata: {
        managedFields: [
          { manager: "kubectl-client-side-apply", time: "2026-12-01T10:00:00Z" },
          { manager: "kubectl-edit", time: "2026-12-02T05:00:00Z" },
          { manager: "kube-controller-manager", time: "2026-12-01T11:00:00Z" },
        ],
      },
    };
    expect(lastWriteOf(object)).toEqual({ manager: "kubectl-edit", time: "2026-12-02T05:00:00Z" });
    expect(lastWriteOf({ metadata: {} })).toBeUndefined();
  });

  it("lastWriteOf leaves out writes of the status subresource (the controller's rollout progress)", () => {
    const object = {
      metadata: {
        managedFields: [
          { manager: "kubectl-set", operation: "Update", time: "2026-12-02T05:00:00Z" },
          { manager: "kube-controller-manager", subresource: "status", time: "2026-12-02T05:09:00Z" },
        ],
      },
    };
    expect(lastWriteOf(object)).toEqual({ manager: "kubectl-set", time: "2026-12-02T05:00:00Z" });
  });
});

describe("the answer memory", () => {
  it("forgets answers past the window, objects past the bound, and tells a new object by its uid", () => {
    let now = 0;
    const memory = new AnswerMemory({ windowMs: 1000, maxObjects: 2, now: () => now });
    const at = (name: string, uid: string | undefined) => ({
      ...answer({}),
      key: { namespace: "shop", name },
      uid,
      at: now,
    });
    memory.remember(at("a", "uid-a"));
    expect(memory.answersFor({ namespace: "shop", name: "a" }, "uid-a")).toHaveLength(1);
    expect(memory.answersFor({ namespace: "shop", name: "a" }, "uid-other")).toHaveLength(0);
    now = 1001;
    expect(memory.answersFor({ namespace: "shop", name: "a" }, "uid-a")).toHaveLength(0);
    memory.remember(at("b", undefined));
    memory.remember(at("c", "uid-c"));
    memory.remember(at("d", "uid-d"));
    expect(memory.size).toBe(2);
    expect(memory.answersFor({ namespace: "shop", name: "b" }, "uid-b")).toHaveLength(0);
    expect(memory.answersFor({ namespace: "shop", name: "d" }, "uid-d")).toHaveLength(1);
  });
});
