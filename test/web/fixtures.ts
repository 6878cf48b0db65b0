// Shared inputs for the web view tests: source statuses as a GitSource reports them, a stand-in for
// the API server's access reviews, and a record and a drift entry holding a secret env value, both made
// by the product's own code (decide + recordOf, liveDriftOf), so that masking is the real one.
import { decide } from "../../src/core/decide.js";
import { type DecisionRecord, recordOf } from "../../src/core/decision-record.js";
import type { ReportInput } from "../../src/core/drift-report.js";
import { liveDriftOf } from "../../src/core/live-drift.js";
import type { JsonObject } from "../../src/core/types.js";
import type { ResourceCheck, Reviewer, ViewerIdentity } from "../../src/kube/access-reviews.js";
import type { SourceStatus } from "../../src/sources/types.js";
import { deploymentManifest, storedDeployment } from "../support/deployments.js";
import { testPolicy } from "../support/policy.js";
import { clone, desiredFor, managed, request } from "../support/reviews.js";

type O = JsonObject;

/** A source status as GitSource.status() gives it; a synced source unless overridden. */
export function sourceStatus(overrides: Partial<SourceStatus> = {}): SourceStatus {
  return {
    name: "apps",
    url: "https://git.example/apps.git",
    state: { kind: "synced", commit: "4b825dc642cb6eb9a060e54bf8d69288fbee4904", at: 1_000 },
    lastAttemptAt: Date.parse("2026-12-02T03:00:00Z"),
    lastSuccessAt: Date.parse("2026-12-02T03:00:00Z"),
    fileErrors: [],
    apps: [],
    notices: [],
    restored: false,
    ...overrides,
  };
}

export interface ReviewerCall {
  method: "authenticate" | "mayGetUrl" | "mayAccess";
  args: unknown[];
}

/**
 * Stand-in for the API server's TokenReview and SubjectAccessReview (src/kube/access-reviews.ts): it
 * knows some tokens, grants the view's URL to some users and grants resource checks by a rule the test
 * sets. It records every call and how many were in flight at once; `failing` makes the reviews it
 * names throw, as a client does when the API server is away.
 */
export class StandInReviewer implements Reviewer {
  readonly calls: ReviewerCall[] = [];
  failing: Partial<Record<ReviewerCall["method"], Error>> = {};
  inFlight = 0;
  maxInFlight = 0;

  constructor(
    readonly tokens: Map<string, ViewerIdentity>,
    readonly urlGrants: Set<string>,
    /** Whether `user` may do `check` (namespace "" = every namespace). */
    public grants: (user: ViewerIdentity, check: ResourceCheck) => boolean = () => false,
  ) {}

  count(method: ReviewerCall["method"]): number {
    return this.calls.filter((call) => call.method === method).length;
  }

  async authenticate(token: string): Promise<ViewerIdentity | undefined> {
    return this.answer("authenticate", [token], () => this.tokens.get(token));
  }

  async mayGetUrl(user: ViewerIdentity, path: string): Promise<boolean> {
    return this.answer("mayGetUrl", [user, path], () => this.urlGrants.has(user.username));
  }

  async mayAccess(user: ViewerIdentity, check: ResourceCheck): Promise<boolean> {
    return this.answer("mayAccess", [user, check], () => this.grants(user, check));
  }

  private async answer<T>(method: ReviewerCall["method"], args: unknown[], value: () => T): Promise<T> {
    this.calls.push({ method, args: structuredClone(args) });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      // A network round trip: answers come back on a later turn, so concurrency can be seen.
      await new Promise((resolve) => setTimeout(resolve, 0));
      const failure = this.failing[method];
      if (failure) throw failure;
      return value();
    } finally {
      this.inFlight--;
    }
  }
}

/** The Git manifest with a password env, as the core tests use. */
const GIT: O = deploymentManifest({
  image: "nginx:1.27",
  labels: { app: "web" },
  env: [{ name: "DB_PASSWORD", value: "hunter2" }],
});
export const SECRET_IN_GIT = "hunter2";
export const SECRET_REQUESTED = "letmein-0xC0FFEE";

const withSecret = (object: O, value: string): O => {
  const next = clone(object);
  const container = ((((next.spec as O).template as O).spec as O).containers as O[])[0] as O;
  container.env = [{ name: "DB_PASSWORD", value }];
  return next;
};

/** The record of a denied change of the password env of shop/web, made by decide() and recordOf(). */
export function secretRecord(now: number, uid = "11111111-2222-4333-8444-555555555555"): DecisionRecord {
  const policy = testPolicy();
  const old = storedDeployment(GIT);
  const req = request({
    operation: "UPDATE",
    uid,
    object: withSecret(old, SECRET_REQUESTED),
    oldObject: old,
  });
  const decision = decide({
    request: req,
    lookup: managed(desiredFor(GIT, policy, "shop")),
    policy,
    namespaceTerminating: false,
  });
  const record = recordOf(decision, req, now);
  if (!record) throw new Error("a denied env change always makes a record");
  return record;
}

/** The live drift of shop/web whose password env was changed by hand, through liveDriftOf. */
export function secretDrift(): ReportInput {
  const policy = testPolicy();
  const live = withSecret(storedDeployment(GIT), SECRET_REQUESTED);
  (live.metadata as O).uid = "uid-secret-web";
  const drift = liveDriftOf(
    { kind: "managed", desired: desiredFor(GIT, policy, "shop"), recent: () => [] },
    live,
    policy,
  );
  return { drift, since: 1_000 };
}
