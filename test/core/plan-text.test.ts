// The plan's text, golden: the exact lines `diff --cluster` prints (and `plan` will).
import { describe, expect, test } from "vitest";
import { type DriftReport, driftReport } from "../../src/core/drift-report.js";
import type { LiveDrift } from "../../src/core/live-drift.js";
import { planText, summaryLine } from "../../src/core/plan-text.js";
import { type Drift, MASKED } from "../../src/core/types.js";

const origin = { source: "apps", commit: "0123456789abcdef", file: "team/web.yaml" };

function drift(
  path: string,
  change: Drift["change"],
  desired?: unknown,
  actual?: unknown,
  sensitive = false,
) {
  return {
    path,
    segments: path.split("."),
    group: path.includes("image") ? "image" : path === "spec.replicas" ? "replicas" : "metadata",
    change,
    desired,
    actual,
    sensitive,
  } as Drift;
}

function live(name: string, state: LiveDrift["state"], fields: Drift[] = [], marks: Drift[] = []): LiveDrift {
  return {
    key: { namespace: "shop", name },
    uid: `uid-${name}`,
    resourceVersion: "7",
    mode: "audit",
    state,
    origin: state === "drifted" || state === "in-sync" ? origin : undefined,
    reason:
      state === "unknown" ? "2 manifests with different content claim it: a:x.yaml, b:y.yaml" : undefined,
    drifts: fields,
    marks,
    groups: [],
  };
}

const NOW = new Date("2026-12-02T06:00:00Z");

describe("planText", () => {
  test("one header per drifted object, one line per field, errors, the summary", () => {
    const report = driftReport(
      [
        {
          drift: live(
            "web",
            "drifted",
            [
              drift("spec.replicas", "changed", 2, 5),
              drift("metadata.labels.tier", "added", undefined, "frontend"),
              drift(
                "spec.template.spec.containers[name=web].image",
                "changed",
                "nginx:1.27.3",
                "nginx:edited",
              ),
              drift(
                "spec.template.spec.containers[name=web].env[name=TOKEN].value",
                "changed",
                MASKED,
                MASKED,
                true,
              ),
              drift(
                "spec.template.spec.containers[name=web].env[name=KEY].value",
                "added",
                undefined,
                MASKED,
                true,
              ),
              drift("metadata.annotations.owner", "removed", "team-a", undefined),
            ],
            [drift("metadata.labels.argocd\\.argoproj\\.io/instance", "added", undefined, "shop")],
          ),
        },
        { drift: live("api", "in-sync") },
        { drift: live("hand-made", "unmanaged") },
        { drift: live("twice", "unknown") },
      ],
      NOW,
      [{ namespace: "secret-team", message: "cannot list Deployments: forbidden (403)" }],
    );
    expect(planText(report)).toBe(
      [
        "Deployment shop/twice — desired state unknown: 2 manifests with different content claim it: a:x.yaml, b:y.yaml",
        "",
        'Deployment shop/web — source "apps", commit 0123456, file team/web.yaml',
        "  ~ spec.replicas: 2 → 5",
        '  + metadata.labels.tier: "frontend"',
        '  ~ spec.template.spec.containers[name=web].image: "nginx:1.27.3" → "nginx:edited"',
        "  ~ spec.template.spec.containers[name=web].env[name=TOKEN].value: <changed>",
        "  + spec.template.spec.containers[name=web].env[name=KEY].value: <masked>",
        '  - metadata.annotations.owner: "team-a"',
        '  + metadata.labels.argocd\\.argoproj\\.io/instance (GitOps mark, not drift): "shop"',
        "",
        "error: namespace secret-team: cannot list Deployments: forbidden (403)",
        "",
        "1 drifted, 1 in sync, 1 unmanaged, 1 unknown, 1 error",
        "",
      ].join("\n"),
    );
  });

  test("an object in sync prints the summary alone", () => {
    expect(planText(driftReport([{ drift: live("api", "in-sync") }], NOW))).toBe(
      "0 drifted, 1 in sync, 0 unmanaged, 0 errors\n",
    );
  });

  test.each([
    [
      { drifted: 3, inSync: 0, unmanaged: 2, unknown: 0, errors: 0 },
      "3 drifted, 0 in sync, 2 unmanaged, 0 errors",
    ],
    [
      { drifted: 0, inSync: 4, unmanaged: 0, unknown: 2, errors: 2 },
      "0 drifted, 4 in sync, 0 unmanaged, 2 unknown, 2 errors",
    ],
  ])("summary %j", (summary, line) => {
    expect(summaryLine({ summary } as DriftReport)).toBe(line);
  });

  test("a masked value never appears, whatever it holds", () => {
    const secret = drift(
      "spec.template.spec.containers[name=web].env[name=PW].value",
      "removed",
      MASKED,
      undefined,
      true,
    );
    const text = planText(driftReport([{ drift: live("web", "drifted", [secret]) }], NOW));
    expect(text).toContain("- spec.template.spec.containers[name=web].env[name=PW].value: <masked>");
    expect(text).not.toContain(`"${MASKED}"`);
  });
});
