// The bounded part of the fuzz run (npm run fuzz does 100,000), and the property that no verdict-neutral
// change turns a denial into an allowance. Both go through the real server over HTTPS with a real Git
// source, enforce mode. Without ../shared they run on the built-in shop/web seeds and say so.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JsonObject } from "../../src/core/types.js";
import { type Client, httpsClient } from "./client.js";
import { mutate } from "./mutate.js";
import { neutralMutation, neutralTarget } from "./neutral.js";
import { caseSeed } from "./prng.js";
import { report } from "./report.js";
import { REQUEST_TIMEOUT_MS, runFuzz } from "./run.js";
import { loadSeeds, type SeedReview } from "./seeds.js";
import { startTarget, type Target } from "./target.js";

const BOUNDED_COUNT = 3_000;
const BOUNDED_SEED = 424242;

const seeds = loadSeeds();
for (const line of seeds.skipped) console.warn(`fuzz: ${line}`);

describe("the mutator", () => {
  it("makes the same case from the same seed, so a printed seed replays the failure", () => {
    for (let index = 0; index < 200; index++) {
      const seed = caseSeed(BOUNDED_SEED, index);
      expect(mutate(seeds.reviews, seed)).toEqual(mutate(seeds.reviews, seed));
    }
  });
});

describe("fuzzing the webhook over HTTPS", () => {
  let target: Target;
  let client: Client;

  beforeAll(async () => {
    target = await startTarget(seeds.gitFiles);
    client = httpsClient(target.url, target.ca, 4);
  });

  afterAll(async () => {
    client?.close();
    await target?.stop();
  });

  const review = async (body: unknown) => {
    const sent = await client.post("/validate", JSON.stringify(body), REQUEST_TIMEOUT_MS);
    if (!sent.ok) throw new Error(sent.error);
    expect(sent.answer.status).toBe(200);
    return (JSON.parse(sent.answer.text) as { response: Record<string, any> }).response;
  };

  it(`answers ${BOUNDED_COUNT} mutated reviews with a 400 or a valid AdmissionReview, never anything else`, async () => {
    const result = await runFuzz({
      seeds: seeds.reviews,
      client,
      count: BOUNDED_COUNT,
      seed: BOUNDED_SEED,
      concurrency: 4,
    });
    if (result.failures.length > 0 || result.stopped)
      console.log(report(result, BOUNDED_SEED, seeds.reviews.length));
    expect(result.failures).toEqual([]);
    expect(result.stopped).toBeUndefined();
    expect(result.total.sent).toBe(BOUNDED_COUNT);
    // The mix reached all three answers: a fuzzer that only ever got 400s would test the parser alone.
    expect(Math.min(result.total["400"], result.total.allowed, result.total.denied)).toBeGreaterThan(100);
  }, 180_000);

  // The denied seeds: drifted UPDATEs and DELETEs of managed Deployments, and the captured kubectl patch.
  const denied: SeedReview[] = seeds.reviews.filter(
    (s) => / (UPDATE-drift|DELETE)$/.test(s.name) || s.name.startsWith("k8s-examples/01-"),
  );

  it("checks its premise: every denied seed is denied as sent", async () => {
    for (const seed of denied) expect((await review(seed.body)).allowed, seed.name).toBe(false);
  }, 120_000);

  it("never turns a denial into an allowance by a verdict-neutral change", async () => {
    const baseline = new Map<string, Record<string, any>>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...denied),
        fc.array(fc.tuple(neutralTarget, neutralMutation), { minLength: 1, maxLength: 4 }),
        async (seed, mutations) => {
          let before = baseline.get(seed.name);
          if (!before) baseline.set(seed.name, (before = await review(seed.body)));
          const body = structuredClone(seed.body);
          const request = body.request as JsonObject;
          for (const [where, mutation] of mutations) {
            for (const key of where === "both" ? ["object", "oldObject"] : [where]) {
              const object = request[key];
              if (object && typeof object === "object" && !Array.isArray(object)) mutation.apply(object);
            }
          }
          // The same denial: verdict, message, what it names (audit annotations), warnings.
          expect(await review(body)).toEqual(before);
        },
      ),
      { numRuns: 200, seed: 97 },
    );
  }, 180_000);

  // The other direction, with a known answer: a label the user adds to the pod template of a managed
  // Deployment (a map Git declares) is drift, so enforce mode denies it, whatever the key.
  const noops = seeds.reviews.filter((s) => s.name.endsWith(" UPDATE-noop"));
  // Names every object inherits (toString, constructor, …) included: they were missed once
  // (docs/reliability.md, "Found").
  const labelKey = fc.oneof(
    fc.stringMatching(/^[a-z0-9]([-a-z0-9_.]{0,20}[a-z0-9])?$/),
    fc.constantFrom("app.kubernetes.io/part-of", "team", "version", "toString", "constructor", "valueOf"),
  );

  it("denies a label added by hand to a managed pod template, whatever its key", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...noops),
        labelKey,
        fc.stringMatching(/^[a-z0-9]{0,10}$/),
        async (seed, key, value) => {
          const body = structuredClone(seed.body);
          const object = (body.request as JsonObject).object as any;
          const labels = (object.spec.template.metadata.labels ??= {});
          fc.pre(!Object.hasOwn(labels, key));
          labels[key] = value;
          expect((await review(body)).allowed).toBe(false);
        },
      ),
      { numRuns: 150, seed: 98 },
    );
  }, 180_000);
});
