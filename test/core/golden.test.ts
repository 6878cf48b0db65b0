// Golden cases: test/golden/<case>/{desired.yaml, review.json[, policy.json]} → expected.json, the full
// AdmissionResponse. A change in wording or decision fails here until the golden file is regenerated
// on purpose: UPDATE_GOLDEN=1 npx vitest run test/core/golden.test.ts
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { decide } from "../../src/core/decide.js";
import type { Policy } from "../../src/core/policy.js";
import { respond } from "../../src/core/respond.js";
import type { JsonObject } from "../../src/core/types.js";
import { parseReview } from "../../src/http/review-schema.js";
import { testPolicy } from "../support/policy.js";
import { desiredFor, managed } from "../support/reviews.js";

const GOLDEN = resolve(import.meta.dirname, "../golden");
const cases = readdirSync(GOLDEN).filter((name) => existsSync(join(GOLDEN, name, "review.json")));

function policyFor(dir: string): Policy {
  const file = join(dir, "policy.json");
  if (!existsSync(file)) return testPolicy();
  const raw = JSON.parse(readFileSync(file, "utf8")) as Partial<Policy> & {
    namespaceModes?: [string, string][];
  };
  return testPolicy({
    ...raw,
    namespaceModes: new Map((raw.namespaceModes ?? []) as never),
  } as Partial<Policy>);
}

describe("golden answers", () => {
  it("has cases", () => expect(cases.length).toBeGreaterThanOrEqual(5));

  it.each(cases)("%s", (name) => {
    const dir = join(GOLDEN, name);
    const policy = policyFor(dir);
    const manifest = parse(readFileSync(join(dir, "desired.yaml"), "utf8"), { version: "1.1" }) as JsonObject;
    const parsed = parseReview(JSON.parse(readFileSync(join(dir, "review.json"), "utf8")));
    if (!parsed.ok) throw new Error(parsed.error);
    const request = parsed.review.request;
    const desired = desiredFor(
      manifest,
      policy,
      request.namespace ?? "default",
      "4f2a9c1e7b3d5a6c8e9f0a1b2c3d4e5f6a7b8c9d",
    );
    const response = respond(
      request.uid,
      decide({ request, lookup: managed(desired), policy, namespaceTerminating: false }),
    );
    const expectedFile = join(dir, "expected.json");
    if (process.env.UPDATE_GOLDEN) writeFileSync(expectedFile, `${JSON.stringify(response, null, 2)}\n`);
    expect(response).toEqual(JSON.parse(readFileSync(expectedFile, "utf8")));
  });
});
