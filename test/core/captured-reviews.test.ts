// Real captured AdmissionReviews (../shared/k8s-examples) through parse + decide + respond, with the
// Git manifest taken from the captured objects themselves.
import { describe, expect, it } from "vitest";
import type { AdmissionRequest } from "../../src/core/admission.js";
import { decide } from "../../src/core/decide.js";
import { respond } from "../../src/core/respond.js";
import type { JsonObject } from "../../src/core/types.js";
import { parseReview } from "../../src/http/review-schema.js";
import { capturedReviews, K8S_EXAMPLES_SKIP_REASON, k8sExamplesPresent } from "../http/k8s-examples.js";
import { testPolicy } from "../support/policy.js";
import { desiredFor, managed } from "../support/reviews.js";

const policy = testPolicy();
const reviews = new Map(capturedReviews().map((c) => [c.file.slice(0, 2), c.body]));

function requestOf(prefix: string): AdmissionRequest {
  const parsed = parseReview(reviews.get(prefix));
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.review.request;
}

/** A Git manifest for a stored object: what a user would have committed. */
function manifestOf(stored: JsonObject): JsonObject {
  const { name, namespace, labels, annotations } = stored.metadata as JsonObject;
  const kept = { ...(annotations as JsonObject) };
  delete kept["kubectl.kubernetes.io/last-applied-configuration"];
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace, labels, annotations: kept } as JsonObject,
    spec: stored.spec as JsonObject,
  };
}

describe.skipIf(!k8sExamplesPresent)("real captured reviews", () => {
  if (!k8sExamplesPresent) console.warn(K8S_EXAMPLES_SKIP_REASON);

  it("01 kubectl patch adding an annotation: one violation, metadata group", () => {
    const request = requestOf("01");
    const desired = desiredFor(manifestOf(request.oldObject as JsonObject), policy);
    const decision = decide({ request, lookup: managed(desired), policy, namespaceTerminating: false });
    expect(decision.kind === "judged" && decision.violations.map((v) => [v.path, v.group])).toEqual([
      ["metadata.annotations.hello", "metadata"],
    ]);
    expect(respond(request.uid, decision).allowed).toBe(false);
  });

  it("02 DELETE: the `deleted` violation", () => {
    const request = requestOf("02");
    const desired = desiredFor(manifestOf(request.oldObject as JsonObject), policy);
    const decision = decide({ request, lookup: managed(desired), policy, namespaceTerminating: false });
    expect(decision.kind === "judged" && decision.violations.map((v) => v.path)).toEqual(["deleted"]);
  });

  it("03 CREATE by kubectl apply of the Git manifest: no drift", () => {
    const request = requestOf("03");
    const desired = desiredFor(manifestOf(request.object as JsonObject), policy);
    const decision = decide({ request, lookup: managed(desired), policy, namespaceTerminating: false });
    expect(respond(request.uid, decision)).toEqual({ uid: request.uid, allowed: true });
  });

  it("04c scale: judged on spec.replicas", () => {
    const request = requestOf("04");
    const name = request.name ?? "";
    const manifest = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace: request.namespace ?? "default" },
      spec: {
        replicas: 1,
        selector: {},
        template: { spec: { containers: [{ name: "c", image: "nginx" }] } },
      },
    };
    const decision = decide({
      request,
      lookup: managed(desiredFor(manifest as JsonObject, policy)),
      policy,
      namespaceTerminating: false,
    });
    const replicas = ((request.object as JsonObject).spec as JsonObject).replicas ?? 0;
    expect(decision.kind === "judged" && decision.violations.map((v) => [v.path, v.actual])).toEqual(
      replicas === 1 ? [] : [["spec.replicas", replicas]],
    );
  });
});
