// The web view's JSON shapes (src/web/view-shapes.ts): drift and decisions cut to the namespaces a
// caller may see before anything is counted, and source states with credentials redacted and
// optional fields left out. Drift entries come from the real liveDriftOf, records from the shared builder.
import { describe, expect, it } from "vitest";
import type { DecisionRecord } from "../../src/core/decision-record.js";
import type { ReportInput } from "../../src/core/drift-report.js";
import type { LiveState } from "../../src/core/live-drift.js";
import {
  type DriftQuery,
  sourceList,
  type Visible,
  visibleDecisions,
  visibleDrift,
} from "../../src/web/view-shapes.js";
import { sampleRecord } from "../support/decision-records.js";
import { driftEntry } from "../support/drift-entries.js";
import { SECRET_IN_GIT, SECRET_REQUESTED, secretDrift, sourceStatus } from "./fixtures.js";

const NOW = new Date("2026-12-02T04:00:00Z");

// shop: one drifted, one in sync, one unmanaged; payments: one drifted, one unknown; ops: one in sync.
const ENTRIES: ReportInput[] = [
  driftEntry({ name: "web", namespace: "shop", image: "nginx:evil" }),
  driftEntry({ name: "cart", namespace: "shop" }),
  driftEntry({ name: "legacy", namespace: "shop", state: "unmanaged" }),
  driftEntry({ name: "api", namespace: "payments", image: "nginx:evil" }),
  driftEntry({ name: "ledger", namespace: "payments", state: "unknown" }),
  driftEntry({ name: "grafana", namespace: "ops" }),
];

const keys = (report: { objects: { namespace: string; name: string }[] }) =>
  report.objects.map((object) => `${object.namespace}/${object.name}`);

describe("visibleDrift", () => {
  const cases: {
    name: string;
    visible: Visible;
    query: DriftQuery;
    objects: string[];
    summary: { drifted: number; inSync: number; unmanaged: number; unknown: number };
  }[] = [
    {
      name: "everything for all",
      visible: "all",
      query: {},
      objects: ["ops/grafana", "payments/api", "payments/ledger", "shop/cart", "shop/legacy", "shop/web"],
      summary: { drifted: 2, inSync: 2, unmanaged: 1, unknown: 1 },
    },
    {
      name: "one namespace granted",
      visible: new Set(["shop"]),
      query: {},
      objects: ["shop/cart", "shop/legacy", "shop/web"],
      summary: { drifted: 1, inSync: 1, unmanaged: 1, unknown: 0 },
    },
    {
      name: "two namespaces granted",
      visible: new Set(["payments", "ops"]),
      query: {},
      objects: ["ops/grafana", "payments/api", "payments/ledger"],
      summary: { drifted: 1, inSync: 1, unmanaged: 0, unknown: 1 },
    },
    {
      name: "nothing granted",
      visible: new Set(),
      query: {},
      objects: [],
      summary: { drifted: 0, inSync: 0, unmanaged: 0, unknown: 0 },
    },
    {
      name: "a namespace asked for and granted",
      visible: "all",
      query: { namespace: "payments" },
      objects: ["payments/api", "payments/ledger"],
      summary: { drifted: 1, inSync: 0, unmanaged: 0, unknown: 1 },
    },
    {
      name: "a namespace asked for but not granted shows nothing",
      visible: new Set(["shop"]),
      query: { namespace: "payments" },
      objects: [],
      summary: { drifted: 0, inSync: 0, unmanaged: 0, unknown: 0 },
    },
    {
      name: "a state asked for",
      visible: "all",
      query: { state: "drifted" },
      objects: ["payments/api", "shop/web"],
      summary: { drifted: 2, inSync: 0, unmanaged: 0, unknown: 0 },
    },
    {
      name: "a state within the granted namespaces",
      visible: new Set(["shop"]),
      query: { state: "drifted" },
      objects: ["shop/web"],
      summary: { drifted: 1, inSync: 0, unmanaged: 0, unknown: 0 },
    },
    {
      name: "namespace and state together",
      visible: "all",
      query: { namespace: "shop", state: "unmanaged" },
      objects: ["shop/legacy"],
      summary: { drifted: 0, inSync: 0, unmanaged: 1, unknown: 0 },
    },
  ];

  it.each(cases)("$name", ({ visible, query, objects, summary }) => {
    const report = visibleDrift(ENTRIES, visible, query, NOW);
    expect(report.apiVersion).toBe("driftguard.io/v1alpha1");
    expect(report.kind).toBe("DriftReport");
    expect(report.generatedAt).toBe(NOW.toISOString());
    expect(keys(report)).toEqual(objects);
    expect(report.summary).toEqual({ ...summary, errors: 0 });
  });

  it("each object keeps the state it has, and a state filter returns only that state", () => {
    for (const state of ["drifted", "in-sync", "unmanaged", "unknown"] as LiveState[]) {
      const report = visibleDrift(ENTRIES, "all", { state }, NOW);
      expect(report.objects.length).toBeGreaterThan(0);
      expect(report.objects.every((object) => object.state === state)).toBe(true);
    }
  });

  it("reads the entries once, as an iterable (the scan's table is one)", () => {
    let reads = 0;
    const iterable: Iterable<ReportInput> = {
      *[Symbol.iterator]() {
        reads++;
        yield* ENTRIES;
      },
    };
    const report = visibleDrift(iterable, new Set(["ops"]), {}, NOW);
    expect(keys(report)).toEqual(["ops/grafana"]);
    expect(reads).toBe(1);
  });

  it("passes errors through and counts them", () => {
    const errors = [{ message: "the Deployment watch is failing" }, { namespace: "shop", message: "x" }];
    const report = visibleDrift(ENTRIES, new Set(["shop"]), {}, NOW, errors);
    expect(report.errors).toEqual(errors);
    expect(report.summary.errors).toBe(2);
    expect(report.errors).not.toBe(errors);
  });

  it("keeps a masked value masked", () => {
    const report = visibleDrift([secretDrift()], "all", {}, NOW);
    const text = JSON.stringify(report);
    expect(text).not.toContain(SECRET_IN_GIT);
    expect(text).not.toContain(SECRET_REQUESTED);
    expect(report.objects[0]?.fields.some((field) => field.masked && field.live === "<masked>")).toBe(true);
  });
});

describe("visibleDecisions", () => {
  // Ten records, a minute apart, alternating shop and payments; n = 0 is the oldest.
  const RECORDS: DecisionRecord[] = Array.from({ length: 10 }, (_, n) =>
    sampleRecord(
      {
        object: { namespace: n % 2 === 0 ? "shop" : "payments", name: n < 5 ? "web" : "api" },
        requester: { username: n < 3 ? "bob" : "alice", groups: [] },
      },
      n,
    ),
  );
  const uidsOf = (items: DecisionRecord[]) => items.map((record) => Number(record.requestUid.slice(-2)));

  const cases: {
    name: string;
    visible: Visible;
    filter: Parameters<typeof visibleDecisions>[2];
    limit: number;
    kept: number[];
  }[] = [
    {
      name: "all, no limit reached",
      visible: "all",
      filter: {},
      limit: 100,
      kept: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    },
    { name: "all, newest three, oldest first", visible: "all", filter: {}, limit: 3, kept: [7, 8, 9] },
    {
      name: "limit equal to the count",
      visible: "all",
      filter: {},
      limit: 10,
      kept: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    },
    { name: "shop only", visible: new Set(["shop"]), filter: {}, limit: 100, kept: [0, 2, 4, 6, 8] },
    {
      name: "limit counted after the cut",
      visible: new Set(["payments"]),
      filter: {},
      limit: 2,
      kept: [7, 9],
    },
    { name: "nothing granted", visible: new Set(), filter: {}, limit: 100, kept: [] },
    {
      name: "a namespace asked for, not granted",
      visible: new Set(["shop"]),
      filter: { namespace: "payments" },
      limit: 100,
      kept: [],
    },
    { name: "by name", visible: "all", filter: { name: "web" }, limit: 100, kept: [0, 1, 2, 3, 4] },
    {
      name: "by user, within the cut",
      visible: new Set(["shop"]),
      filter: { user: "bob" },
      limit: 100,
      kept: [0, 2],
    },
    {
      name: "since",
      visible: "all",
      filter: { since: Date.parse("2026-12-02T03:14:00Z") + 6 * 60_000 },
      limit: 100,
      kept: [6, 7, 8, 9],
    },
  ];

  it.each(cases)("$name", ({ visible, filter, limit, kept }) => {
    // Given newest first: the answer is oldest first whatever the input order.
    const history = visibleDecisions([...RECORDS].reverse(), visible, filter, limit);
    expect(history.apiVersion).toBe("driftguard.io/v1alpha1");
    expect(history.kind).toBe("DecisionHistory");
    expect(uidsOf(history.items)).toEqual(kept);
    expect("errors" in history).toBe(false);
  });

  it("one record per request uid", () => {
    const twice = [...RECORDS, ...RECORDS];
    expect(visibleDecisions(twice, "all", {}, 100).items).toHaveLength(10);
  });

  it("passes errors through, and leaves the field out when there are none", () => {
    const errors = [{ message: "cannot list the API server's DecisionRecords" }];
    const history = visibleDecisions(RECORDS, new Set(["shop"]), {}, 100, errors);
    expect(history.errors).toEqual(errors);
    expect(history.errors).not.toBe(errors);
    expect(JSON.stringify(visibleDecisions(RECORDS, "all", {}, 100, []))).not.toContain('"errors"');
  });
});

describe("sourceList", () => {
  const PASSWORD = "s3cret";
  const SECRET_URL = `https://user:${PASSWORD}@git.example/repo.git`;

  it("redacts userinfo wherever a source status can quote a URL", () => {
    const list = sourceList(
      [
        sourceStatus({
          name: "apps",
          url: SECRET_URL,
          state: {
            kind: "failing",
            commit: "abc1234",
            since: 5_000,
            error: `fatal: unable to access '${SECRET_URL}': Could not resolve host`,
          },
          fileErrors: [{ file: "apps/web.yaml", line: 3, message: `fetched from ${SECRET_URL}` }],
          apps: [
            {
              path: "charts/web",
              type: "helm",
              renderedAt: undefined,
              error: `helm pull ${SECRET_URL} failed`,
              unstable: [],
            },
          ],
        }),
      ],
      NOW,
    );
    const text = JSON.stringify(list);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain("user:");
    const [item] = list.items;
    expect(item?.url).toBe("https://***@git.example/repo.git");
    expect(item?.error).toContain("https://***@git.example/repo.git");
    expect(item?.fileErrors[0]?.message).toContain("***@git.example");
    expect(item?.apps[0]?.error).toContain("***@git.example");
  });

  it("redacts a token in a URL's user part and a quoted Authorization header", () => {
    const list = sourceList(
      [
        sourceStatus({
          url: "https://ghp_abcdef0123456789@github.example/org/repo.git",
          state: {
            kind: "failing",
            commit: undefined,
            since: 1,
            error: "401 with Authorization: Bearer eyJhbGciOi.x.y",
          },
        }),
      ],
      NOW,
    );
    const text = JSON.stringify(list);
    expect(text).not.toContain("ghp_abcdef0123456789");
    expect(text).not.toContain("eyJhbGciOi");
  });

  const states: {
    name: string;
    status: Parameters<typeof sourceStatus>[0];
    expected: Record<string, unknown>;
  }[] = [
    {
      name: "pending: no commit, no times, no error",
      status: { state: { kind: "pending" }, lastAttemptAt: undefined, lastSuccessAt: undefined },
      expected: {
        name: "apps",
        url: "https://git.example/apps.git",
        state: "pending",
        restored: false,
        fileErrors: [],
        apps: [],
        notices: 0,
      },
    },
    {
      name: "synced: commit and times",
      status: { restored: true },
      expected: {
        name: "apps",
        url: "https://git.example/apps.git",
        state: "synced",
        commit: "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        lastAttemptAt: "2026-12-02T03:00:00.000Z",
        lastSuccessAt: "2026-12-02T03:00:00.000Z",
        restored: true,
        fileErrors: [],
        apps: [],
        notices: 0,
      },
    },
    {
      name: "failing before any success: no commit, the error and since",
      status: {
        state: {
          kind: "failing",
          commit: undefined,
          since: Date.parse("2026-12-02T02:00:00Z"),
          error: "boom",
        },
        lastSuccessAt: undefined,
      },
      expected: {
        name: "apps",
        url: "https://git.example/apps.git",
        state: "failing",
        lastAttemptAt: "2026-12-02T03:00:00.000Z",
        failingSince: "2026-12-02T02:00:00.000Z",
        error: "boom",
        restored: false,
        fileErrors: [],
        apps: [],
        notices: 0,
      },
    },
    {
      name: "file errors without a line, apps not rendered, notices counted",
      status: {
        fileErrors: [{ file: "a.yaml", message: "bad YAML" }],
        apps: [
          { path: "k/base", type: "kustomize", renderedAt: undefined, error: undefined, unstable: ["x"] },
          { path: "charts/web", type: "helm", renderedAt: "abc1234", error: undefined, unstable: [] },
        ],
        notices: [
          { file: "a.yaml", message: "skipped a ConfigMap" },
          { file: "b.yaml", message: "skipped a Service" },
        ],
      },
      expected: {
        name: "apps",
        url: "https://git.example/apps.git",
        state: "synced",
        commit: "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        lastAttemptAt: "2026-12-02T03:00:00.000Z",
        lastSuccessAt: "2026-12-02T03:00:00.000Z",
        restored: false,
        fileErrors: [{ file: "a.yaml", message: "bad YAML" }],
        apps: [
          { path: "k/base", type: "kustomize" },
          { path: "charts/web", type: "helm", renderedAt: "abc1234" },
        ],
        notices: 2,
      },
    },
  ];

  it.each(states)("$name", ({ status, expected }) => {
    const list = sourceList([sourceStatus(status)], NOW);
    expect(list).toEqual({
      apiVersion: "driftguard.io/v1alpha1",
      kind: "SourceList",
      generatedAt: NOW.toISOString(),
      items: [expected],
    });
    // Optional fields are left out, never null (toEqual alone treats undefined keys as absent).
    const text = JSON.stringify(list);
    expect(text).not.toContain("null");
    expect(Object.keys(list.items[0] ?? {}).sort()).toEqual(Object.keys(expected).sort());
  });

  it("keeps the sources' order and gives none for none", () => {
    const list = sourceList([sourceStatus({ name: "b" }), sourceStatus({ name: "a" })], NOW);
    expect(list.items.map((item) => item.name)).toEqual(["b", "a"]);
    expect(sourceList([], NOW).items).toEqual([]);
  });
});
