import { describe, expect, it } from "vitest";
import { parseReview } from "../../src/http/review-schema.js";
import { sampleReview } from "./helpers.js";
import { capturedReviews, K8S_EXAMPLES_SKIP_REASON, k8sExamplesPresent } from "./k8s-examples.js";

/** The sample review with one change applied to its parsed JSON. */
function variant(change: (body: Record<string, any>) => void): unknown {
  const body = structuredClone(sampleReview()) as Record<string, any>;
  change(body);
  return body;
}

describe("parseReview: real captures", () => {
  it.skipIf(!k8sExamplesPresent)(
    `accepts every complete capture${k8sExamplesPresent ? "" : ` (skipped: ${K8S_EXAMPLES_SKIP_REASON})`}`,
    () => {
      const captures = capturedReviews();
      expect(captures.length).toBeGreaterThanOrEqual(4);
      for (const capture of captures) {
        const result = parseReview(capture.body);
        expect(result, capture.file).toEqual({ ok: true, review: capture.body });
      }
    },
  );
});

describe("parseReview", () => {
  it("accepts a review and returns it as is", () => {
    const body = sampleReview();
    expect(parseReview(body)).toEqual({ ok: true, review: body });
  });

  it.each([
    [
      "a DELETE without object",
      variant((b) => {
        b.request.operation = "DELETE";
        delete b.request.object;
      }),
    ],
    [
      "null object and oldObject on CONNECT (nothing to judge)",
      variant((b) => {
        b.request.operation = "CONNECT";
        b.request.object = null;
        b.request.oldObject = null;
      }),
    ],
    [
      "a minimal userInfo (every field omitempty)",
      variant((b) => {
        b.request.userInfo = {};
      }),
    ],
    [
      "a service account with extra",
      variant((b) => {
        b.request.userInfo.extra = { "authentication.kubernetes.io/pod-name": ["p"] };
      }),
    ],
    [
      "unknown fields everywhere (newer API servers)",
      variant((b) => {
        b.future = 1;
        b.request.future = { x: 1 };
        b.request.kind.future = true;
        b.request.userInfo.future = "x";
      }),
    ],
    [
      "a scale subresource request",
      variant((b) => {
        b.request.kind = { group: "autoscaling", version: "v1", kind: "Scale" };
        b.request.subResource = "scale";
        b.request.requestSubResource = "scale";
        b.request.requestKind = { group: "autoscaling", version: "v1", kind: "Scale" };
        b.request.requestResource = { group: "apps", version: "v1", resource: "deployments" };
        b.request.options = { kind: "UpdateOptions", apiVersion: "meta.k8s.io/v1" };
      }),
    ],
  ])("accepts %s", (_name, body) => {
    expect(parseReview(body).ok).toBe(true);
  });

  it.each([
    ["null", null, "body: must be object"],
    ["an array", [], "body: must be object"],
    ["a string", "review", "body: must be object"],
    ["an empty object", {}, "apiVersion: is required"],
    [
      "v1beta1",
      variant((b) => {
        b.apiVersion = "admission.k8s.io/v1beta1";
      }),
      'apiVersion: must be "admission.k8s.io/v1"',
    ],
    [
      "another kind",
      variant((b) => {
        b.kind = "TokenReview";
      }),
      'kind: must be "AdmissionReview"',
    ],
    [
      "no request",
      variant((b) => {
        delete b.request;
      }),
      "request: is required",
    ],
    [
      "a null request",
      variant((b) => {
        b.request = null;
      }),
      "request: must be object",
    ],
    [
      "no uid",
      variant((b) => {
        delete b.request.uid;
      }),
      "request.uid: is required",
    ],
    [
      "a numeric uid",
      variant((b) => {
        b.request.uid = 42;
      }),
      "request.uid: must be string",
    ],
    [
      "an empty uid",
      variant((b) => {
        b.request.uid = "";
      }),
      "request.uid: must not be empty",
    ],
    [
      "PATCH",
      variant((b) => {
        b.request.operation = "PATCH";
      }),
      "request.operation: must be one of CREATE, UPDATE, DELETE, CONNECT",
    ],
    [
      "no operation",
      variant((b) => {
        delete b.request.operation;
      }),
      "request.operation: is required",
    ],
    [
      "no kind.group",
      variant((b) => {
        delete b.request.kind.group;
      }),
      "request.kind.group: is required",
    ],
    [
      "a string kind",
      variant((b) => {
        b.request.kind = "Deployment";
      }),
      "request.kind: must be object",
    ],
    [
      "no resource",
      variant((b) => {
        delete b.request.resource;
      }),
      "request.resource: is required",
    ],
    [
      "a numeric resource.version",
      variant((b) => {
        b.request.resource.version = 1;
      }),
      "request.resource.version: must be string",
    ],
    [
      "a bad requestKind",
      variant((b) => {
        b.request.requestKind = {};
      }),
      "request.requestKind.group: is required",
    ],
    [
      "no userInfo",
      variant((b) => {
        delete b.request.userInfo;
      }),
      "request.userInfo: is required",
    ],
    [
      "a numeric username",
      variant((b) => {
        b.request.userInfo.username = 7;
      }),
      "request.userInfo.username: must be string",
    ],
    [
      "groups as a string",
      variant((b) => {
        b.request.userInfo.groups = "team-a";
      }),
      "request.userInfo.groups: must be array",
    ],
    [
      "a numeric group",
      variant((b) => {
        b.request.userInfo.groups = ["a", 1];
      }),
      "request.userInfo.groups[1]: must be string",
    ],
    [
      "an extra value that is not a list",
      variant((b) => {
        b.request.userInfo.extra = { "authentication.kubernetes.io/pod-name": "p" };
      }),
      'request.userInfo.extra["authentication.kubernetes.io/pod-name"]: must be array',
    ],
    [
      "a string object",
      variant((b) => {
        b.request.object = "{}";
      }),
      "request.object: must be object",
    ],
    [
      "an array oldObject",
      variant((b) => {
        b.request.oldObject = [];
      }),
      "request.oldObject: must be object or null",
    ],
    [
      "a string dryRun",
      variant((b) => {
        b.request.dryRun = "false";
      }),
      "request.dryRun: must be boolean",
    ],
    [
      "a numeric namespace",
      variant((b) => {
        b.request.namespace = 5;
      }),
      "request.namespace: must be string",
    ],
    [
      "a numeric name",
      variant((b) => {
        b.request.name = 5;
      }),
      "request.name: must be string",
    ],
    [
      "a boolean subResource",
      variant((b) => {
        b.request.subResource = true;
      }),
      "request.subResource: must be string",
    ],
    [
      "numeric options",
      variant((b) => {
        b.request.options = 1;
      }),
      "request.options: must be object or null",
    ],
  ])("rejects %s", (_name, body, error) => {
    expect(parseReview(body)).toEqual({ ok: false, error });
  });
});

describe("parseReview: what is judged must be present", () => {
  const base = {
    uid: "u-1",
    kind: { group: "apps", version: "v1", kind: "Deployment" },
    resource: { group: "apps", version: "v1", resource: "deployments" },
    userInfo: { username: "alice" },
  };
  const wrap = (request: object) => ({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request });
  it.each([
    [{ ...base, operation: "UPDATE" }, "request.object: is required"],
    [{ ...base, operation: "CREATE", object: null }, "request.object: must be object"],
    [{ ...base, operation: "DELETE", object: null }, "request.oldObject: is required"],
  ])("%o → %s", (request, error) => {
    expect(parseReview(wrap(request))).toEqual({ ok: false, error });
  });
});

describe("parseReview: bounded nesting", () => {
  it("rejects an object nested deeper than 100 levels (JSON.parse accepts any depth)", () => {
    const body = sampleReview() as { request: { object: Record<string, unknown> } };
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 5000; i++) deep = { a: deep };
    body.request.object.spec = deep;
    expect(parseReview(body)).toEqual({ ok: false, error: "request: nested deeper than 100 levels" });
  });

  const nested = (levels: number) => {
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < levels; i++) deep = { a: deep };
    return deep;
  };

  it("counts levels from the body: 100 objects deep passes, 101 do not", () => {
    const body = sampleReview() as { request: { object: Record<string, unknown> } };
    body.request.object.metadata = { labels: { x: nested(94) } };
    expect(parseReview(body).ok).toBe(true);
    body.request.object.metadata = { labels: { x: nested(95) } };
    expect(parseReview(body)).toEqual({ ok: false, error: "request: nested deeper than 100 levels" });
  });

  it("bounds only what is compared: deep managedFields or status are never walked", () => {
    const body = sampleReview() as { request: { object: Record<string, unknown> } };
    body.request.object.metadata = { managedFields: [{ manager: "m", fieldsV1: nested(5000) }] };
    body.request.object.status = nested(5000);
    expect(parseReview(body).ok).toBe(true);
  });
});

describe("parseReview: bounded size", () => {
  const withPorts = (count: number) => {
    const body = sampleReview() as { request: { object: Record<string, any>; oldObject?: unknown } };
    body.request.object.spec = {
      template: { spec: { containers: [{ name: "web", ports: new Array(count).fill(0) }] } },
    };
    return body;
  };

  it("refuses an object holding more than 250,000 values before anything walks it", () => {
    expect(parseReview(withPorts(300_000))).toEqual({
      ok: false,
      error: "request: an object holds more than 250000 values",
    });
  });

  it("accepts one below the bound: the largest real Deployments hold a few thousand", () => {
    expect(parseReview(withPorts(200_000)).ok).toBe(true);
  });
});
