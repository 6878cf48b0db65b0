// proposeChange, the entry of a proposal, from the plain ProposalInput a review or a record becomes:
// the head-moved rule, the answers without a proposal, and the Kustomize patch's shape.

import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { prepareDesired } from "../../src/core/desired.js";
import type { JsonObject } from "../../src/core/types.js";
import { requestedDrifts } from "../../src/propose/from-review.js";
import { valueCandidates } from "../../src/propose/helm-values.js";
import { listPatch, patchText } from "../../src/propose/kustomize-edit.js";
import { type ProposeContext, proposeChange } from "../../src/propose/propose.js";
import type { ProposalInput } from "../../src/propose/types.js";
import type { SourceConfig } from "../../src/sources/types.js";
import { deploymentManifest } from "../support/deployments.js";
import { testPolicy } from "../support/policy.js";
import { memoryTree } from "../support/repo-trees.js";

const KEY = { namespace: "shop", name: "web" };
const SOURCE: SourceConfig = {
  name: "apps",
  url: "unused",
  paths: ["apps"],
  namespace: "default",
  intervalMs: 60_000,
};
const OLD = "a".repeat(40);
const HEAD = "b".repeat(40);

function contextAt(commit: string, manifest: JsonObject) {
  const origin = { source: "apps", commit, file: "apps/web.yaml" };
  const desired = prepareDesired(manifest, KEY, origin, testPolicy());
  const tree = memoryTree({ "apps/web.yaml": stringify(manifest) });
  return { desired, tree };
}

function inputFor(requested: JsonObject, context: { desired: ProposeContext["desired"] }): ProposalInput {
  return {
    key: KEY,
    uid: "0123abcd-0000",
    requester: { username: "alice", groups: [] },
    drifts: requestedDrifts(requested, context.desired),
    origin: context.desired.origin,
  };
}

const noRender: ProposeContext["render"] = async () => ({ ok: false, message: "no render in this test" });

describe("proposeChange", () => {
  it("edits the plain manifest at the compared commit", async () => {
    const at = contextAt(OLD, deploymentManifest({ replicas: 2 }));
    const input = inputFor(deploymentManifest({ replicas: 3 }), at);
    const edit = await proposeChange(input, { source: SOURCE, ...at, render: noRender });
    expect(edit.files.map((f) => f.path)).toEqual(["apps/web.yaml"]);
    expect(parse(edit.files[0]?.after ?? "").spec.replicas).toBe(3);
    expect(edit.files[0]?.before).toContain("replicas: 2");
  });

  it("on a moved head: edits the head's file when the drifted fields still hold Git's old values", async () => {
    const old = contextAt(OLD, deploymentManifest({ replicas: 2 }));
    const head = {
      commit: HEAD,
      ...contextAt(HEAD, deploymentManifest({ replicas: 2, labels: { team: "web" } })),
    };
    const input = inputFor(deploymentManifest({ replicas: 3 }), old);
    const edit = await proposeChange(input, { source: SOURCE, ...old, render: noRender, head });
    const after = parse(edit.files[0]?.after ?? "");
    expect(after.spec.replicas).toBe(3);
    expect(after.metadata.labels).toEqual({ team: "web" }); // the head's own change is kept
    expect(edit.notes[0]).toContain("the drifted fields are unchanged there");
  });

  it("on a moved head that changed a drifted field: DG_PROPOSE_HEAD_MOVED", async () => {
    const old = contextAt(OLD, deploymentManifest({ replicas: 2 }));
    const head = { commit: HEAD, ...contextAt(HEAD, deploymentManifest({ replicas: 4 })) };
    const input = inputFor(deploymentManifest({ replicas: 3 }), old);
    await expect(
      proposeChange(input, { source: SOURCE, ...old, render: noRender, head }),
    ).rejects.toMatchObject({
      code: "DG_PROPOSE_HEAD_MOVED",
      message: expect.stringContaining("changed spec.replicas since"),
    });
  });

  it("nothing asked: DG_PROPOSE_NO_CHANGE; a masked value (from a record): DG_PROPOSE_VALUE_MASKED", async () => {
    const at = contextAt(OLD, deploymentManifest({ replicas: 2 }));
    const same = inputFor(deploymentManifest({ replicas: 2 }), at);
    await expect(proposeChange(same, { source: SOURCE, ...at, render: noRender })).rejects.toMatchObject({
      code: "DG_PROPOSE_NO_CHANGE",
    });
    const masked: ProposalInput = {
      ...same,
      drifts: [
        {
          path: "spec.x",
          segments: ["spec", "x"],
          change: "changed",
          requested: "<masked>",
          sensitive: true,
        },
      ],
    };
    await expect(proposeChange(masked, { source: SOURCE, ...at, render: noRender })).rejects.toMatchObject({
      code: "DG_PROPOSE_VALUE_MASKED",
    });
  });
});

describe("requestedDrifts", () => {
  it("leaves out the GitOps marks: a mark key alone, and mark keys inside a whole labels map Git lacks", () => {
    const git = deploymentManifest({ replicas: 2 });
    const desired = prepareDesired(
      git,
      KEY,
      { source: "apps", commit: OLD, file: "apps/web.yaml" },
      testPolicy(),
    );
    const labels = { "kustomize.toolkit.fluxcd.io/name": "apps", team: "web" };
    const drifts = requestedDrifts(
      deploymentManifest({ replicas: 2, labels }),
      desired,
      testPolicy().gitopsMarks,
    );
    expect(drifts.map((d) => [d.path, d.requested, d.written])).toEqual([
      ["metadata.labels", { team: "web" }, { team: "web" }],
    ]);
    const onlyMark = deploymentManifest({
      replicas: 2,
      labels: { "kustomize.toolkit.fluxcd.io/name": "apps" },
    });
    expect(requestedDrifts(onlyMark, desired, testPolicy().gitopsMarks)).toEqual([]);
  });
});

describe("the Kustomize patch", () => {
  it("names list elements by merge key; a removed field is null, a removed element $patch: delete", () => {
    const drifts = [
      {
        path: "a",
        segments: ["spec", "template", "spec", "containers", "[name=web]", "image"],
        change: "changed" as const,
        requested: "nginx:2",
      },
      {
        path: "b",
        segments: ["spec", "template", "spec", "containers", "[name=web]", "env", "[name=OLD]"],
        change: "removed" as const,
        requested: undefined,
      },
      {
        path: "c",
        segments: ["metadata", "labels", "tier"],
        change: "removed" as const,
        requested: undefined,
      },
      {
        path: "d",
        segments: [
          "spec",
          "template",
          "spec",
          "containers",
          "[name=web]",
          "ports",
          "[containerPort=80,protocol=TCP]",
        ],
        change: "added" as const,
        requested: { containerPort: 80, protocol: "TCP" },
      },
    ];
    const patch = parse(patchText("web", drifts, "test"));
    expect(patch).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { labels: { tier: null }, name: "web" },
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: "web",
                image: "nginx:2",
                env: [{ name: "OLD", $patch: "delete" }],
                ports: [{ containerPort: 80, protocol: "TCP" }],
              },
            ],
          },
        },
      },
    });
  });

  it("is listed under an existing patches list, in the list's own style, and only once", () => {
    const text = "resources: [../base]\npatches:\n- path: a.yaml   # first\n";
    const listed = listPatch(text, "k.yaml", "p.yaml");
    expect(listed).toBe("resources: [../base]\npatches:\n- path: a.yaml   # first\n- path: p.yaml\n");
    expect(listPatch(listed, "k.yaml", "p.yaml")).toBe(listed);
  });
});

describe("Helm value candidates", () => {
  it("are the map keys whose scalar equals Git's value (a number in values, a string rendered)", () => {
    const values = "replicaCount: 2\nimage: {tag: '1.25'}\nlimits: [2]\nother: {count: '2'}\n";
    expect(valueCandidates(values, 2)).toEqual([["replicaCount"], ["other", "count"]]);
    expect(valueCandidates(values, "1.25")).toEqual([["image", "tag"]]);
    expect(valueCandidates(values, { a: 1 })).toEqual([]);
  });
});
