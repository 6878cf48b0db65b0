// The normalized-object cache of the admission service: reused only for identical input, so that a
// decision with it is always the decision without it (property), whatever a review claims as uid and
// resourceVersion.
import { describe, expect, it } from "vitest";
import { createNormalizedCache } from "../../src/admission/normalized-cache.js";
import { decide } from "../../src/core/decide.js";
import { normalize } from "../../src/core/normalize.js";
import { respond } from "../../src/core/respond.js";
import type { JsonObject } from "../../src/core/types.js";
import { storedByApiServer } from "../support/apiserver-standin.js";
import { deploymentManifest } from "../support/deployments.js";
import { testPolicy } from "../support/policy.js";
import { clone, desiredFor, managed, request } from "../support/reviews.js";

type O = JsonObject;
const GIT: O = deploymentManifest({ replicas: 3, labels: { app: "web" } });
const policy = testPolicy();
const desired = desiredFor(GIT, policy, "shop");
const stored = (version = "41"): O => {
  const object = storedByApiServer(clone(GIT) as never, "shop") as O;
  Object.assign(object.metadata as O, { uid: "u-1", resourceVersion: version });
  return object;
};
const withImage = (object: O, image: string): O => {
  const next = clone(object);
  ((((next.spec as O).template as O).spec as O).containers as O[])[0]!.image = image;
  return next;
};

const formOf = (
  live: ReturnType<typeof createNormalizedCache>,
  object: O,
  role: "object" | "oldObject" = "object",
) => live(object, role).normalizedFor(desired);

describe("normalized cache", () => {
  it("keeps a form from the second sight of a stored version, and reuses it from another parse", () => {
    const live = createNormalizedCache();
    const first = formOf(live, stored(), "oldObject");
    const second = formOf(live, stored(), "oldObject");
    expect(second).not.toBe(first);
    expect(formOf(live, JSON.parse(JSON.stringify(stored())), "oldObject")).toBe(second);
  });

  it("never serves the form of different content under the same uid and resourceVersion", () => {
    const live = createNormalizedCache();
    formOf(live, stored());
    formOf(live, stored());
    const forged = withImage(stored(), "evil:1");
    expect(formOf(live, forged)).toEqual(normalize(forged, desired.options).object);
  });

  it("misses on the same content in another key order (reported paths keep their order)", () => {
    const live = createNormalizedCache();
    const object = stored();
    formOf(live, object);
    const kept = formOf(live, object);
    const spec = object.spec as O;
    const reordered = { ...object, spec: Object.fromEntries(Object.entries(spec).reverse()) };
    expect(formOf(live, reordered)).not.toBe(kept);
  });

  it("keeps nothing for an object without a resourceVersion (not stored yet)", () => {
    const live = createNormalizedCache();
    const object = stored("");
    formOf(live, object);
    const second = formOf(live, clone(object));
    expect(formOf(live, clone(object))).not.toBe(second);
  });

  it("keeps several contents of one stored version (a no-op and a denied write on it)", () => {
    const live = createNormalizedCache();
    formOf(live, stored());
    const same = formOf(live, stored());
    formOf(live, withImage(stored(), "nginx:2"));
    expect(formOf(live, stored())).toBe(same);
  });

  it("keeps nothing beyond its budget", () => {
    const live = createNormalizedCache(10);
    formOf(live, stored("1"));
    const second = formOf(live, stored("1"));
    expect(formOf(live, stored("1"))).not.toBe(second);
  });
});

describe("decide with the cache answers as decide without it (property)", () => {
  it("any sequence of updates, real or forged, under one uid and resourceVersion", async () => {
    const fc = (await import("fast-check")).default;
    const image = fc.constantFrom("nginx:1.25", "nginx:1.26", "evil:1");
    const replicas = fc.constantFrom(3, 4);
    const version = fc.constantFrom("41", "42");
    const object = fc
      .record({
        image,
        replicas,
        version,
        junk: fc.oneof(fc.constantFrom("a", "b"), fc.jsonValue({ maxDepth: 3 })),
      })
      .map(({ image: tag, replicas: count, version: rv, junk }) => {
        const next = withImage(stored(rv), tag);
        (next.spec as O).replicas = count;
        ((next.metadata as O).labels as O).extra = junk as never;
        return next;
      });
    fc.assert(
      fc.property(fc.array(fc.tuple(object, object), { minLength: 1, maxLength: 8 }), (steps) => {
        const live = createNormalizedCache();
        for (const [next, old] of steps) {
          const req = request({ operation: "UPDATE", object: clone(next), oldObject: clone(old) });
          const input = { request: req, lookup: managed(desired), policy, namespaceTerminating: false };
          const cached = respond(req.uid, decide({ ...input, live }));
          expect(cached).toEqual(respond(req.uid, decide(input)));
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("drift kept with a form", () => {
  it("is the same list for an identical object, and read-only", () => {
    const live = createNormalizedCache();
    live(withImage(stored(), "nginx:2"), "object").driftFrom(desired);
    const first = live(withImage(stored(), "nginx:2"), "object").driftFrom(desired);
    const again = live(withImage(stored(), "nginx:2"), "object").driftFrom(desired);
    expect(again).toBe(first);
    expect(first.length).toBe(1);
    expect(Object.isFrozen(first) && Object.isFrozen(first[0])).toBe(true);
  });

  it("is computed anew for another desired object (a new Git revision)", () => {
    const live = createNormalizedCache();
    const object = withImage(stored(), "nginx:2");
    live(object, "object").driftFrom(desired);
    live(clone(object), "object").driftFrom(desired);
    const next = desiredFor(withImage(GIT, "nginx:2"), policy, "shop");
    expect(live(clone(object), "object").driftFrom(next)).toEqual([]);
  });
});
