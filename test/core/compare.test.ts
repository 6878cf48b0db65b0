// compare: the one comparison of a live object with Git. Changed, added and removed fields; secrets
// never inside a Drift; one normalization per live object and kind of desired object.
import { describe, expect, it } from "vitest";
import { compare, inSync, withPrevious } from "../../src/core/compare.js";
import { liveObject } from "../../src/core/live-object.js";
import { type JsonObject, MASKED } from "../../src/core/types.js";
import { storedDeployment } from "../support/deployments.js";
import { testPolicy } from "../support/policy.js";
import { clone, desiredFor } from "../support/reviews.js";

type O = JsonObject;
// Its own manifest, not the shared builder's: the tier label and the password env are what it reads.
const GIT: O = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "shop", labels: { app: "web", tier: "front" } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: {
        containers: [{ name: "web", image: "nginx:1", env: [{ name: "DB_PASSWORD", value: "hunter2" }] }],
      },
    },
  },
};
const policy = testPolicy();
const desired = desiredFor(GIT, policy, "shop");
const stored = () => storedDeployment(GIT);
const container = (object: O) => ((((object.spec as O).template as O).spec as O).containers as O[])[0]!;

describe("compare", () => {
  it("finds nothing on the object as the API server stores Git's manifest", () => {
    expect(compare(desired, liveObject(stored()))).toEqual([]);
    expect(inSync(desired, liveObject(stored()))).toBe(true);
  });

  it("names changed, added and removed fields with their group", () => {
    const live = stored();
    container(live).image = "nginx:2";
    (live.metadata as O).labels = { app: "web", owner: "bob" };
    const drifts = compare(desired, liveObject(live));
    expect(
      drifts.map(({ path, change, group, desired: d, actual }) => ({ path, change, group, d, actual })),
    ).toEqual([
      { path: "metadata.labels.tier", change: "removed", group: "metadata", d: "front", actual: undefined },
      { path: "metadata.labels.owner", change: "added", group: "metadata", d: undefined, actual: "bob" },
      {
        path: "spec.template.spec.containers[name=web].image",
        change: "changed",
        group: "image",
        d: "nginx:1",
        actual: "nginx:2",
      },
    ]);
    expect(inSync(desired, liveObject(live))).toBe(false);
  });

  it("never carries a sensitive value: env values and secret-like values are masked on both sides", () => {
    const live = stored();
    container(live).env = [{ name: "DB_PASSWORD", value: "letmein" }];
    const [drift] = compare(desired, liveObject(live));
    expect(drift).toMatchObject({ sensitive: true, change: "changed", desired: MASKED, actual: MASKED });
    expect(JSON.stringify(drift)).not.toMatch(/hunter2|letmein/);
    const token = stored();
    (token.metadata as O).annotations = { note: "token=abc123" };
    const [added] = compare(desired, liveObject(token));
    expect(added).toMatchObject({ sensitive: true, change: "added", desired: undefined, actual: MASKED });
    expect(JSON.stringify(added)).not.toContain("abc123");
  });

  it("masks a drift whose previous value alone looks secret", () => {
    const live = stored();
    (live.metadata as O).labels = { app: "web", tier: "back" };
    const [drift] = compare(desired, liveObject(live));
    expect(drift?.sensitive).toBe(false);
    const masked = withPrevious(drift!, "password=swordfish");
    expect(masked).toMatchObject({ sensitive: true, desired: MASKED, actual: MASKED, previous: MASKED });
  });

  it("normalizes a live object once for desired objects that ask for it alike", () => {
    const older = clone(GIT);
    container(older).image = "nginx:0";
    const other = desiredFor(older, policy, "shop", "c0");
    const live = liveObject(stored());
    expect(live.normalizedFor(desired)).toBe(live.normalizedFor(other));
    const noReplicas = clone(GIT);
    delete (noReplicas.spec as O).replicas;
    const hpa = desiredFor(noReplicas, policy, "shop");
    expect(live.normalizedFor(hpa)).not.toBe(live.normalizedFor(desired));
    expect((live.normalizedFor(hpa).spec as O).replicas).toBeUndefined();
  });
});

describe("compare: keys that every JavaScript object inherits", () => {
  // Label keys such as `toString` or `constructor` are valid in Kubernetes; read through the prototype,
  // a hand-added one was invisible to the comparison (a bypass), and a field named after one crashed.
  it.each(["toString", "constructor", "valueOf", "hasOwnProperty", "isPrototypeOf"])(
    "a label %s added by hand is drift, and one Git has is compared",
    (key) => {
      const live = stored();
      (live.metadata as O).labels = { app: "web", tier: "front", [key]: "evil" };
      const drifts = compare(desired, liveObject(live));
      expect(drifts.map(({ path, change }) => [path, change])).toEqual([[`metadata.labels.${key}`, "added"]]);
      const withKey = clone(GIT);
      (withKey.metadata as O).labels = { app: "web", tier: "front", [key]: "git" };
      expect(compare(desiredFor(withKey, policy, "shop"), liveObject(live))).toMatchObject([
        { path: `metadata.labels.${key}`, change: "changed", desired: "git", actual: "evil" },
      ]);
    },
  );

  it("normalizes and compares a pod whose fields are named like Object's own", () => {
    const live = stored();
    Object.assign(container(live), { constructor: { toString: [false] }, valueOf: null });
    const drifts = compare(desired, liveObject(live));
    expect(drifts.map((d) => d.path)).toEqual(["spec.template.spec.containers[name=web].constructor"]);
  });
});
