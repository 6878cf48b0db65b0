// Golden cases: test/golden/<case>/{desired.yaml, review.json[, policy.json, lookup.json, rbac/]} →
// expected.json, the full AdmissionResponse. A change in wording or decision fails here until the golden
// file is regenerated on purpose: UPDATE_GOLDEN=1 npx vitest run test/core/golden.test.ts
//   policy.json  overrides of the test policy (enforce mode, shipped defaults)
//   lookup.json  what the desired state knows: {"kind": "unmanaged" | "unsynced" | "conflict", ...}, or
//                {"kind": "managed", "recent": [{"commit", "manifest": "<file>.yaml" | null}]} for GitOps
//   rbac/        RBAC objects, evaluated as the webhook evaluates the cluster's
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { staticClusterView } from "../../src/admission/cluster-view.js";
import type { AdmissionRequest } from "../../src/core/admission.js";
import { decide } from "../../src/core/decide.js";
import type { Lookup, RecentRevision } from "../../src/core/lookup.js";
import type { Policy } from "../../src/core/policy.js";
import { respond } from "../../src/core/respond.js";
import type { JsonObject, Origin } from "../../src/core/types.js";
import { parseReview } from "../../src/http/review-schema.js";
import { loadRbacDir } from "../../src/rbac/load-dir.js";
import { testPolicy } from "../support/policy.js";
import { desiredFor, managed } from "../support/reviews.js";

const GOLDEN = resolve(import.meta.dirname, "../golden");
const COMMIT = "4f2a9c1e7b3d5a6c8e9f0a1b2c3d4e5f6a7b8c9d";
// A fixed clock: RBAC expiry is read against it.
const NOW = Date.parse("2026-11-24T12:00:00Z");
const cases = readdirSync(GOLDEN).filter((name) => existsSync(join(GOLDEN, name, "review.json")));

type LookupFile =
  | { kind: "unmanaged" }
  | { kind: "unsynced"; reason: string }
  | { kind: "conflict"; origins: Origin[] }
  | { kind: "managed"; recent: Array<{ commit: string; manifest: string | null }> };

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, "utf8")) as T;
}

function policyFor(dir: string): Policy {
  const file = join(dir, "policy.json");
  if (!existsSync(file)) return testPolicy();
  const raw = readJson<Partial<Policy> & { namespaceModes?: [string, string][] }>(file);
  return testPolicy({
    ...raw,
    namespaceModes: new Map((raw.namespaceModes ?? []) as never),
  } as Partial<Policy>);
}

function manifestIn(dir: string, file: string): JsonObject {
  return parse(readFileSync(join(dir, file), "utf8"), { version: "1.1" }) as JsonObject;
}

function lookupFor(dir: string, policy: Policy, request: AdmissionRequest): Lookup {
  const namespace = request.namespace ?? "default";
  const desired = desiredFor(manifestIn(dir, "desired.yaml"), policy, namespace, COMMIT);
  const file = join(dir, "lookup.json");
  if (!existsSync(file)) return managed(desired);
  const raw = readJson<LookupFile>(file);
  if (raw.kind !== "managed") return raw;
  const recent: RecentRevision[] = raw.recent.map(({ commit, manifest }) => ({
    commit,
    desired: manifest === null ? undefined : desiredFor(manifestIn(dir, manifest), policy, namespace, commit),
  }));
  return managed(desired, recent);
}

async function grantsFor(dir: string) {
  const rbac = join(dir, "rbac");
  if (!existsSync(rbac)) return undefined;
  return staticClusterView((await loadRbacDir(rbac)).objects, () => NOW);
}

describe("golden answers", () => {
  it("has cases of every kind of lookup", () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
    const kinds = new Set(cases.map((name) => name.split("-")[0]));
    for (const kind of ["unmanaged", "unsynced", "conflict", "gitops", "rbac"]) expect(kinds).toContain(kind);
  });

  it.each(cases)("%s", async (name) => {
    const dir = join(GOLDEN, name);
    const policy = policyFor(dir);
    const parsed = parseReview(readJson(join(dir, "review.json")));
    if (!parsed.ok) throw new Error(parsed.error);
    const request = parsed.review.request;
    const cluster = await grantsFor(dir);
    const key = { namespace: request.namespace ?? "", name: request.name ?? "" };
    const username = request.userInfo.username ?? "";
    const requester = { username, groups: request.userInfo.groups ?? [] };
    const lookup = lookupFor(dir, policy, request);
    const decision = decide({
      request,
      lookup,
      policy,
      namespaceTerminating: false,
      grant: cluster?.grantsFor(requester, key),
    });
    const response = respond(request.uid, decision);
    const expectedFile = join(dir, "expected.json");
    if (process.env.UPDATE_GOLDEN) writeFileSync(expectedFile, `${JSON.stringify(response, null, 2)}\n`);
    expect(response).toEqual(readJson(expectedFile));
  });
});
