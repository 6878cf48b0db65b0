// The JSON Patch that puts Git back (docs/contract.md §11): table-driven cases of each kind of drift,
// with the exact ops, then a property: applying the patch to the live object leaves no drift from Git.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compare } from "../../src/core/compare.js";
import { liveObject } from "../../src/core/live-object.js";
import { applyPatch, type PatchOp, revertPatch } from "../../src/core/revert-patch.js";
import type { JsonObject } from "../../src/core/types.js";
import { deploymentManifest, storedDeployment } from "../support/deployments.js";
import { testPolicy } from "../support/policy.js";
import { clone, desiredFor } from "../support/reviews.js";

type O = JsonObject;
const policy = testPolicy();
const GIT: O = deploymentManifest({
  image: "nginx:1.25",
  replicas: 2,
  labels: { app: "web", tier: "front" },
  env: [
    { name: "A", value: "1" },
    { name: "B", value: "2" },
  ],
  resources: { limits: { cpu: "500m" } },
});
const desired = desiredFor(GIT, policy, "shop");
const RV = "4711";
const stored = () => {
  const object = clone(storedDeployment(GIT, { metadata: { resourceVersion: RV, uid: "u-1" } }));
  return object;
};
const pod = (o: O) => ((o.spec as O).template as O).spec as O;
const containers = (o: O) => pod(o).containers as O[];
const web = (o: O) => containers(o)[0] as O;
const TEST: PatchOp = { op: "test", path: "/metadata/resourceVersion", value: RV };
const C0 = "/spec/template/spec/containers/0";

function patchFor(edit: (o: O) => void): { live: O; ops: PatchOp[] } {
  const live = stored();
  edit(live);
  const drifts = compare(desired, liveObject(live));
  return { live, ops: revertPatch(live, desired, drifts, RV) };
}

const CASES: { name: string; edit: (o: O) => void; ops: PatchOp[] }[] = [
  { name: "in sync: only the test", edit: () => {}, ops: [TEST] },
  {
    name: "image changed → Git's image",
    edit: (o) => {
      web(o).image = "nginx:2";
    },
    ops: [TEST, { op: "replace", path: `${C0}/image`, value: "nginx:1.25" }],
  },
  {
    name: "replicas changed",
    edit: (o) => {
      (o.spec as O).replicas = 5;
    },
    ops: [TEST, { op: "replace", path: "/spec/replicas", value: 2 }],
  },
  {
    name: "label added by hand → removed",
    edit: (o) => {
      ((o.metadata as O).labels as O).owner = "bob";
    },
    ops: [TEST, { op: "remove", path: "/metadata/labels/owner" }],
  },
  {
    name: "label Git has gone → added back",
    edit: (o) => {
      delete ((o.metadata as O).labels as O).tier;
    },
    ops: [TEST, { op: "add", path: "/metadata/labels/tier", value: "front" }],
  },
  {
    name: "env var added by hand → removed by its index",
    edit: (o) => {
      (web(o).env as O[]).splice(1, 0, { name: "DEBUG", value: "1" });
    },
    ops: [TEST, { op: "remove", path: `${C0}/env/1` }],
  },
  {
    name: "env var Git has gone → put back at its place",
    edit: (o) => {
      (web(o).env as O[]).splice(0, 1);
    },
    ops: [TEST, { op: "add", path: `${C0}/env/0`, value: { name: "A", value: "1" } }],
  },
  {
    name: "env value changed (sensitive or not, Git's value goes in)",
    edit: (o) => {
      ((web(o).env as O[])[1] as O).value = "3";
    },
    ops: [TEST, { op: "replace", path: `${C0}/env/1/value`, value: "2" }],
  },
  {
    name: "env reordered → moved back",
    edit: (o) => {
      (web(o).env as O[]).reverse();
    },
    ops: [TEST, { op: "move", from: `${C0}/env/1`, path: `${C0}/env/0` }],
  },
  {
    name: "sidecar added by hand → removed by index",
    edit: (o) => {
      containers(o).push({ ...clone(web(o)), name: "sidecar", image: "busybox" });
    },
    ops: [TEST, { op: "remove", path: "/spec/template/spec/containers/1" }],
  },
  {
    name: "resources gone → added back whole",
    edit: (o) => {
      delete web(o).resources;
    },
    ops: [TEST, { op: "add", path: `${C0}/resources`, value: { limits: { cpu: "500m" } } }],
  },
  {
    name: "a limit added by hand beside Git's",
    edit: (o) => {
      ((web(o).resources as O).limits as O).memory = "1Gi";
    },
    ops: [TEST, { op: "remove", path: `${C0}/resources/limits/memory` }],
  },
  {
    name: "an annotation added by hand goes, the ones never compared stay; a slash is escaped",
    edit: (o) => {
      (o.metadata as O).annotations = {
        "deployment.kubernetes.io/revision": "3",
        "example.com/owner": "bob",
      };
    },
    ops: [TEST, { op: "remove", path: "/metadata/annotations/example.com~1owner" }],
  },
];

describe("revertPatch", () => {
  for (const { name, edit, ops } of CASES)
    it(name, () => {
      const built = patchFor(edit);
      expect(built.ops).toEqual(ops);
      // And the result is Git's.
      expect(compare(desired, liveObject(applyPatch(built.live, built.ops)))).toEqual([]);
    });

  it("starts with the resourceVersion test, whatever the drift", () => {
    const { ops } = patchFor((o) => {
      web(o).image = "x";
    });
    expect(ops[0]).toEqual(TEST);
  });

  it("removes a map Git lacks whole when it holds nothing else", () => {
    const { ops } = patchFor((o) => {
      (o.metadata as O).annotations = { "example.com/owner": "bob" };
    });
    expect(ops).toEqual([TEST, { op: "remove", path: "/metadata/annotations" }]);
  });

  it("leaves fields nobody compares (status, managedFields) alone", () => {
    const { live, ops } = patchFor((o) => {
      o.status = { replicas: 2 };
      web(o).image = "nginx:2";
    });
    expect(applyPatch(live, ops).status).toEqual({ replicas: 2 });
  });
});

describe("revertPatch, property: the patched object has no drift from Git", () => {
  const ENV_NAMES = ["A", "B", "C", "D"];
  const edit = fc.record({
    image: fc.option(fc.constantFrom("nginx:2", "busybox", "nginx:1.25")),
    replicas: fc.option(fc.integer({ min: 0, max: 9 })),
    env: fc.shuffledSubarray(
      ENV_NAMES.map((name) => ({ name, value: name.toLowerCase() })),
      { minLength: 0, maxLength: 4 },
    ),
    reverse: fc.boolean(),
    label: fc.option(fc.constantFrom("x", "y")),
    dropTier: fc.boolean(),
    sidecar: fc.boolean(),
    dropResources: fc.boolean(),
    memory: fc.boolean(),
  });
  it("for any mix of hand edits", () => {
    fc.assert(
      fc.property(edit, (e) => {
        const { live, ops } = patchFor((o) => {
          if (e.image !== null) web(o).image = e.image;
          if (e.replicas !== null) (o.spec as O).replicas = e.replicas;
          web(o).env = e.reverse ? [...e.env].reverse() : e.env;
          if (e.label !== null) ((o.metadata as O).labels as O).extra = e.label;
          if (e.dropTier) delete ((o.metadata as O).labels as O).tier;
          if (e.dropResources) delete web(o).resources;
          else if (e.memory) ((web(o).resources as O).limits as O).memory = "1Gi";
          if (e.sidecar) containers(o).unshift({ name: "sidecar", image: "busybox" });
        });
        expect(compare(desired, liveObject(applyPatch(live, ops)))).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
