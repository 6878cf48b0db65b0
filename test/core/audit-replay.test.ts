// Audit events → the admission requests `replay` judges: table-driven from hand-made audit lines.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { type AuditItem, AuditReader, groupOfPrintedPath, NOT_JUDGED } from "../../src/core/audit-replay.js";
import type { JsonObject } from "../../src/core/types.js";
import { auditEvent } from "../support/audit-events.js";
import { deploymentManifest } from "../support/deployments.js";

const stored = (image: string, replicas = 2) =>
  deploymentManifest({ image, replicas, metadata: { uid: "u1", resourceVersion: "1" } });

const CREATE = auditEvent({
  verb: "create",
  auditID: "c",
  responseObject: stored("nginx:1.25"),
  responseStatus: { code: 201 },
});

function readAll(lines: string[]): AuditItem[] {
  const reader = new AuditReader();
  return lines.map((line) => reader.read(line));
}

function last(lines: string[]): AuditItem {
  return readAll(lines).at(-1) as AuditItem;
}

describe("AuditReader: what is skipped, bad, not judged", () => {
  test.each([
    ["a blank line", "   ", { kind: "skipped", reason: "blank line" }],
    ["not JSON", "{not json", { kind: "bad", message: "not JSON" }],
    [
      "JSON but not an audit Event",
      '{"kind":"Pod"}',
      { kind: "bad", message: "not an audit.k8s.io/v1 Event" },
    ],
    ["an array", "[1,2]", { kind: "bad", message: "not an audit.k8s.io/v1 Event" }],
    [
      "a stage other than ResponseComplete",
      auditEvent({ stage: "ResponseStarted" }),
      { kind: "skipped", reason: "stage ResponseStarted" },
    ],
    [
      "another resource",
      auditEvent({ objectRef: { resource: "pods", apiGroup: "" } }),
      { kind: "skipped", reason: "not a Deployment" },
    ],
    [
      "the status subresource",
      auditEvent({ objectRef: { subresource: "status" } }),
      { kind: "skipped", reason: "subresource status" },
    ],
    ["a read", auditEvent({ verb: "get" }), { kind: "skipped", reason: "a read" }],
    ["an unknown verb", auditEvent({ verb: "frobnicate" }), { kind: "skipped", reason: "verb frobnicate" }],
    [
      "a dry run",
      auditEvent({
        requestURI: "/apis/apps/v1/namespaces/shop/deployments/web?dryRun=All&fieldManager=kubectl-set",
      }),
      { kind: "skipped", reason: "dry run" },
    ],
    [
      "no namespace",
      auditEvent({ objectRef: { namespace: "" } }),
      { kind: "bad", message: "an event without namespace or name" },
    ],
  ] as [string, string, Partial<AuditItem>][])("%s", (_name, line, expected) => {
    expect(new AuditReader().read(line)).toEqual(expected);
  });

  test.each([
    [
      "a patch logged at Request level (no response)",
      [CREATE, auditEvent({ level: "Request", requestObject: { spec: { replicas: 3 } } })],
      NOT_JUDGED.noResult,
    ],
    [
      "an update with no earlier state in the log",
      [auditEvent({ verb: "update", responseObject: stored("nginx:2") })],
      NOT_JUDGED.noPrevious,
    ],
    [
      "a scale with no earlier state",
      [
        auditEvent({
          objectRef: { subresource: "scale" },
          responseObject: { kind: "Scale", spec: { replicas: 3 } },
        }),
      ],
      NOT_JUDGED.noPrevious,
    ],
    [
      "deletecollection",
      [auditEvent({ verb: "deletecollection", objectRef: { name: "" } })],
      NOT_JUDGED.deleteCollection,
    ],
  ] as [string, string[], string][])("not judged: %s", (_name, lines, reason) => {
    expect(last(lines)).toMatchObject({
      kind: "not-judged",
      reason,
      event: { namespace: "shop", user: "alice" },
    });
  });
});

describe("AuditReader: requests", () => {
  test("create: the stored object, operation CREATE, the user and groups", () => {
    const item = last([CREATE]);
    expect(item).toMatchObject({
      kind: "request",
      event: {
        auditID: "c",
        verb: "create",
        time: "2026-12-02T06:00:00.000000Z",
        namespace: "shop",
        name: "web",
      },
      request: {
        uid: "c",
        operation: "CREATE",
        resource: { group: "apps", version: "v1", resource: "deployments" },
        userInfo: { username: "alice", groups: ["team-a", "system:authenticated"] },
        object: stored("nginx:1.25"),
        dryRun: false,
      },
    });
  });

  test("a patch: the old object is the state the earlier write stored, the new one its response", () => {
    const patched = stored("nginx:6.6");
    const item = last([CREATE, auditEvent({ responseObject: patched })]);
    expect(item).toMatchObject({
      kind: "request",
      request: { operation: "UPDATE", object: patched, oldObject: stored("nginx:1.25") },
    });
  });

  test("an update at Request level is judged from its body; the next write's old object is that body", () => {
    const body = stored("nginx:2");
    const items = readAll([
      CREATE,
      auditEvent({ verb: "update", level: "Request", requestObject: body }),
      auditEvent({ responseObject: stored("nginx:3") }),
    ]);
    expect(items[1]).toMatchObject({ kind: "request", request: { object: body } });
    expect(items[2]).toMatchObject({ kind: "request", request: { oldObject: body } });
  });

  test("scale: a Scale request, old replicas from the stored Deployment, which then takes the new ones", () => {
    const scale = {
      kind: "Scale",
      apiVersion: "autoscaling/v1",
      metadata: { name: "web", namespace: "shop" },
      spec: { replicas: 5 },
    };
    const items = readAll([
      CREATE,
      auditEvent({ objectRef: { subresource: "scale" }, responseObject: scale }),
      auditEvent({ responseObject: stored("nginx:1.25", 5) }),
    ]);
    expect(items[1]).toMatchObject({
      kind: "request",
      request: {
        subResource: "scale",
        kind: { kind: "Scale" },
        object: scale,
        oldObject: { spec: { replicas: 2 } },
      },
    });
    expect((items[2] as Extract<AuditItem, { kind: "request" }>).request.oldObject).toMatchObject({
      spec: { replicas: 5 },
    });
  });

  test("delete: DELETE with the last stored state; the object is then forgotten", () => {
    const items = readAll([
      CREATE,
      auditEvent({ verb: "delete", responseObject: { kind: "Status", status: "Success" } }),
      auditEvent({ responseObject: stored("x") }),
    ]);
    expect(items[1]).toMatchObject({
      kind: "request",
      request: { operation: "DELETE", oldObject: stored("nginx:1.25"), object: null },
    });
    expect(items[2]).toMatchObject({ kind: "not-judged", reason: NOT_JUDGED.noPrevious });
  });

  test("impersonation: judged as the impersonated user, as the webhook sees it", () => {
    const item = last([
      auditEvent({
        verb: "create",
        responseObject: stored("a"),
        impersonatedUser: { username: "bob", groups: ["team-b"] },
      }),
    ]);
    expect(item).toMatchObject({ request: { userInfo: { username: "bob", groups: ["team-b"] } } });
  });
});

describe("AuditReader: refused at the time", () => {
  const denial = (message: string, annotations: JsonObject = {}) =>
    auditEvent({
      responseStatus: { status: "Failure", message, reason: "Forbidden", code: 403 },
      annotations,
    });

  test("by driftguard: the paths of its violations annotation; nothing stored", () => {
    const items = readAll([
      CREATE,
      denial(
        'admission webhook "deployments.driftguard.io" denied the request: driftguard: Deployment shop/web would drift',
        {
          "deployments.driftguard.io/decision": "denied",
          "deployments.driftguard.io/violations":
            "spec.replicas, spec.template.spec.containers[name=web].image",
        },
      ),
      auditEvent({ responseObject: stored("nginx:9") }),
    ]);
    expect(items[1]).toMatchObject({
      kind: "denied-at-time",
      byDriftguard: true,
      code: 403,
      paths: ["spec.replicas", "spec.template.spec.containers[name=web].image"],
    });
    // The refused request changed nothing: the next write's old object is still the created one.
    expect(items[2]).toMatchObject({ request: { oldObject: stored("nginx:1.25") } });
  });

  test.each([
    ['admission webhook "policy.example.com" denied the request: no', false],
    ['deployments.apps "web" is forbidden: User "alice" cannot patch', false],
  ])("by something else: %s", (message, byDriftguard) => {
    expect(last([denial(message)])).toMatchObject({ kind: "denied-at-time", byDriftguard, paths: [] });
  });
});

test.each([
  ["spec.replicas", "replicas"],
  ["spec.template.spec.containers[name=web].image", "image"],
  ["spec.template.spec.containers[name=web].env[name=LOG_LEVEL].value", "env"],
  ["metadata.labels.tier", "metadata"],
  ["deleted", "delete"],
  ["spec.strategy.type", "other"],
  ["((", "other"],
])("groupOfPrintedPath(%s) = %s", (path, group) => {
  expect(groupOfPrintedPath(path)).toBe(group);
});

describe("real lines written by the test bed's kube-apiserver (test/cli/fixtures/testbed-audit.jsonl)", () => {
  // Captured by replay.e2e.ts's edits; managedFields and the last-applied annotation were cut out to
  // keep the file small. Audit events carry no credentials.
  const lines = readFileSync(join(import.meta.dirname, "../cli/fixtures/testbed-audit.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean);
  const items = readAll(lines);

  test("the admin's create, the dry run, alice's set image and scale; a denial by driftguard; a conflict", () => {
    expect(
      items.map((item) => (item.kind === "request" ? `${item.kind} ${item.request.operation}` : item.kind)),
    ).toEqual([
      "request CREATE",
      "skipped",
      "request UPDATE",
      "request UPDATE",
      "denied-at-time",
      "denied-at-time",
    ]);
    expect(items[1]).toEqual({ kind: "skipped", reason: "dry run" });
  });

  test("set image: old from the create, new as stored, alice's groups", () => {
    const item = items[2] as Extract<AuditItem, { kind: "request" }>;
    expect(item.event).toMatchObject({
      user: "alice",
      namespace: "e2e-audit",
      name: "replayed",
      verb: "patch",
    });
    expect(item.request.userInfo.groups).toContain("team-a");
    const image = (o: unknown) => (o as any).spec.template.spec.containers[0].image;
    expect(image(item.request.oldObject)).toBe("nginx:1.27.3");
    expect(image(item.request.object)).toBe("nginx:replayed");
  });

  test("scale: a Scale to 4 replicas over the stored 2", () => {
    const item = items[3] as Extract<AuditItem, { kind: "request" }>;
    expect(item.request).toMatchObject({
      subResource: "scale",
      object: { kind: "Scale", spec: { replicas: 4 } },
    });
    expect(item.request.oldObject).toMatchObject({ spec: { replicas: 2 } });
  });

  test("driftguard's denial names its field; the 409 conflict is someone else's refusal", () => {
    expect(items[4]).toMatchObject({
      kind: "denied-at-time",
      byDriftguard: true,
      code: 403,
      paths: ["spec.template.spec.containers[name=web].image"],
      event: { namespace: "e2e-enforce", user: "alice" },
    });
    expect(items[5]).toMatchObject({ kind: "denied-at-time", byDriftguard: false, code: 409, paths: [] });
  });
});
