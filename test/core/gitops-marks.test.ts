// GitOps marks (docs/contract.md §5): what Argo CD, Flux and Helm write on the Deployment at apply time.
// A GitOps identity applying Git's content with its tool's marks is applying Git; for everyone else a
// mark is a field like any other. Through decide, as the webhook answers.
import { describe, expect, it } from "vitest";
import { buildGitOpsMarks, DEFAULT_MARK_SETTINGS } from "../../src/config/gitops-marks.js";
import type { AdmissionRequest } from "../../src/core/admission.js";
import { compare } from "../../src/core/compare.js";
import { decide } from "../../src/core/decide.js";
import { isMark, reproducesWithMarks } from "../../src/core/gitops-marks.js";
import { liveObject } from "../../src/core/live-object.js";
import { formatPath } from "../../src/core/paths.js";
import type { Policy } from "../../src/core/policy.js";
import { respond } from "../../src/core/respond.js";
import type { JsonObject } from "../../src/core/types.js";
import { deploymentManifest, storedDeployment } from "../support/deployments.js";
import { testPolicy } from "../support/policy.js";
import { ALICE, desiredFor, managed, request } from "../support/reviews.js";

type Metadata = { labels?: Record<string, string | null>; annotations?: Record<string, string | null> };

const ARGO = {
  username: "system:serviceaccount:argocd:argocd-application-controller",
  groups: ["system:serviceaccounts", "system:serviceaccounts:argocd", "system:authenticated"],
};
const INSTANCE = "app.kubernetes.io/instance";
const TRACKING_ID = "argocd.argoproj.io/tracking-id";
const TRACKING = { [TRACKING_ID]: "shop-prod:apps/Deployment:shop/web" };

// Git's manifest without any mark, and one rendered from a chart that sets the instance label itself.
const PLAIN = deploymentManifest({ labels: { app: "web" } });
const CHART = deploymentManifest({ labels: { app: "web", [INSTANCE]: "web-release" } });

/** `base` as stored, with metadata keys set (a string) or removed (null) on the Deployment itself. */
function marked(base: JsonObject, changes: Metadata = {}, image?: string): JsonObject {
  const object = storedDeployment(base);
  const metadata = object.metadata as JsonObject;
  for (const map of ["labels", "annotations"] as const) {
    for (const [key, value] of Object.entries(changes[map] ?? {})) {
      const entries = (metadata[map] ?? {}) as Record<string, string>;
      if (value === null) delete entries[key];
      else entries[key] = value;
      metadata[map] = entries;
    }
  }
  if (image !== undefined) containerOf(object).image = image;
  return object;
}

function containerOf(object: JsonObject): JsonObject {
  return (
    (((object.spec as JsonObject).template as JsonObject).spec as JsonObject).containers as JsonObject[]
  )[0]!;
}

function run(req: AdmissionRequest, git: JsonObject = PLAIN, policy: Policy = testPolicy()) {
  const decision = decide({
    request: req,
    lookup: managed(desiredFor(git, policy, "shop")),
    policy,
    namespaceTerminating: false,
  });
  return { decision, response: respond(req.uid, decision) };
}

const create = (object: JsonObject, user = ARGO) => request({ operation: "CREATE", object, user });
const update = (oldObject: JsonObject, object: JsonObject, user = ARGO) =>
  request({ operation: "UPDATE", oldObject, object, user });
const violations = (r: ReturnType<typeof run>) =>
  r.decision.kind === "judged" ? r.decision.violations.map((v) => v.path) : [];
const preexisting = (r: ReturnType<typeof run>) =>
  r.decision.kind === "judged" ? r.decision.preexisting.map((v) => v.path) : [];
const label = (key: string) => formatPath(["metadata", "labels", key]);

describe("a GitOps identity applying Git's content with its tool's marks is applying Git", () => {
  const FLUX_KUSTOMIZE = {
    "kustomize.toolkit.fluxcd.io/name": "apps",
    "kustomize.toolkit.fluxcd.io/namespace": "flux-system",
  };
  const HELM_RELEASE = {
    labels: {
      "app.kubernetes.io/managed-by": "Helm",
      "helm.toolkit.fluxcd.io/name": "web",
      "helm.toolkit.fluxcd.io/namespace": "flux-system",
    },
    annotations: { "meta.helm.sh/release-name": "web", "meta.helm.sh/release-namespace": "shop" },
  };
  it.each<[string, JsonObject, () => AdmissionRequest]>([
    [
      "first sync, label tracking",
      PLAIN,
      () => create(marked(PLAIN, { labels: { [INSTANCE]: "shop-prod" } })),
    ],
    // Git has no annotations at all: the whole map is one added path, holding only marks.
    ["first sync, annotation tracking", PLAIN, () => create(marked(PLAIN, { annotations: TRACKING }))],
    [
      "first sync, annotation+label tracking with an installation ID",
      PLAIN,
      () =>
        create(
          marked(PLAIN, {
            labels: { [INSTANCE]: "shop-prod" },
            annotations: { ...TRACKING, "argocd.argoproj.io/installation-id": "cluster-a" },
          }),
        ),
    ],
    [
      "label tracking overriding the chart's own instance label",
      CHART,
      () => create(marked(CHART, { labels: { [INSTANCE]: "shop-prod" } })),
    ],
    [
      "re-sync with label tracking",
      PLAIN,
      () => {
        const live = marked(PLAIN, { labels: { [INSTANCE]: "shop-prod" } });
        return update(live, structuredClone(live));
      },
    ],
    [
      "re-sync after a move from label to annotation tracking: the old mark goes",
      PLAIN,
      () =>
        update(
          marked(PLAIN, { labels: { [INSTANCE]: "shop-prod" } }),
          marked(PLAIN, { annotations: TRACKING }),
        ),
    ],
    [
      "the sync that brings a drifted image back to Git, with the label",
      PLAIN,
      () =>
        update(
          marked(PLAIN, { labels: { [INSTANCE]: "shop-prod" } }, "nginx:6.6"),
          marked(PLAIN, { labels: { [INSTANCE]: "shop-prod" } }),
        ),
    ],
    [
      "Flux kustomize-controller's owner labels",
      PLAIN,
      () => create(marked(PLAIN, { labels: FLUX_KUSTOMIZE })),
    ],
    ["Flux helm-controller through Helm", PLAIN, () => create(marked(PLAIN, HELM_RELEASE))],
  ])("%s: allowed as Git's", (_name, git, req) => {
    const r = run(req(), git);
    expect(r.decision.kind).toBe("gitops");
    expect(r.response.allowed).toBe(true);
    expect(r.response.warnings).toBeUndefined();
  });

  it("a tracking ID whose value looks secret (masked in the drift) is still a mark", () => {
    const annotations = { [TRACKING_ID]: "auth-service:apps/Deployment:shop/web" };
    const object = marked(PLAIN, { annotations });
    const policy = testPolicy();
    const drifts = compare(desiredFor(PLAIN, policy, "shop"), liveObject(object));
    expect(drifts.map((drift) => [drift.path, drift.sensitive])).toEqual([["metadata.annotations", true]]);
    expect(run(create(object), PLAIN, policy).decision.kind).toBe("gitops");
  });
});

describe("a GitOps identity is still judged on everything that is not a mark", () => {
  it.each<[string, JsonObject, () => AdmissionRequest, string[]]>([
    [
      "a changed image along with the label",
      PLAIN,
      () => create(marked(PLAIN, { labels: { [INSTANCE]: "shop-prod" } }, "evil:1")),
      [label(INSTANCE), "spec.template.spec.containers[name=web].image"],
    ],
    [
      "a label that is no mark",
      PLAIN,
      () => create(marked(PLAIN, { labels: { team: "payments" } })),
      [label("team")],
    ],
    [
      "an annotation map with a mark and a key that is none",
      PLAIN,
      () => create(marked(PLAIN, { annotations: { ...TRACKING, "example.com/owner": "mallory" } })),
      ["metadata.annotations"],
    ],
    // Tools add their keys; none removes a key Git declares.
    [
      "removing the chart's own instance label",
      CHART,
      () => create(marked(CHART, { labels: { [INSTANCE]: null } })),
      [label(INSTANCE)],
    ],
    [
      "the instance label on the pod template (marks are the Deployment's own metadata)",
      PLAIN,
      () => {
        const object = marked(PLAIN);
        const template = (object.spec as JsonObject).template as JsonObject;
        ((template.metadata as JsonObject).labels as JsonObject)[INSTANCE] = "shop-prod";
        return create(object);
      },
      [`spec.template.metadata.labels["${INSTANCE}"]`],
    ],
  ])("%s: denied, matching no recent revision", (_name, git, req, paths) => {
    const r = run(req(), git);
    expect(r.decision).toMatchObject({ kind: "judged", gitops: "no-matching-revision" });
    expect(violations(r)).toEqual(paths);
    expect(r.response.allowed).toBe(false);
    expect(r.response.warnings?.join("\n")).toContain("matches no recent Git revision");
  });
});

describe("the marks are configured per tool", () => {
  const policyWith = (settings: Partial<typeof DEFAULT_MARK_SETTINGS>) =>
    testPolicy({ gitopsMarks: buildGitOpsMarks({ ...DEFAULT_MARK_SETTINGS, ...settings }) });
  const CUSTOM_KEY = "argocd.argoproj.io/instance";
  it.each<[string, Partial<typeof DEFAULT_MARK_SETTINGS>, Metadata, boolean]>([
    [
      "argocd-cm's own instanceLabelKey",
      { argocd: { enabled: true, instanceLabelKey: CUSTOM_KEY } },
      { labels: { [CUSTOM_KEY]: "shop" } },
      true,
    ],
    [
      "… then the default key is no mark",
      { argocd: { enabled: true, instanceLabelKey: CUSTOM_KEY } },
      { labels: { [INSTANCE]: "shop" } },
      false,
    ],
    [
      "Argo CD turned off: no label",
      { argocd: { enabled: false, instanceLabelKey: INSTANCE } },
      { labels: { [INSTANCE]: "shop" } },
      false,
    ],
    [
      "Argo CD turned off: no tracking ID",
      { argocd: { enabled: false, instanceLabelKey: INSTANCE } },
      { annotations: TRACKING },
      false,
    ],
    [
      "Flux turned off",
      { flux: { enabled: false } },
      { labels: { "kustomize.toolkit.fluxcd.io/name": "apps" } },
      false,
    ],
    [
      "Helm turned off",
      { helm: { enabled: false } },
      { annotations: { "meta.helm.sh/release-name": "web" } },
      false,
    ],
    [
      "Helm turned off leaves Flux's labels",
      { helm: { enabled: false } },
      { labels: { "helm.toolkit.fluxcd.io/name": "web" } },
      true,
    ],
    [
      "an extra label",
      { labels: ["example.com/synced-by"] },
      { labels: { "example.com/synced-by": "bot" } },
      true,
    ],
    [
      "an extra annotation",
      { annotations: ["example.com/sync"] },
      { annotations: { "example.com/sync": "1" } },
      true,
    ],
    [
      "an extra label key is no annotation key",
      { labels: ["example.com/sync"] },
      { annotations: { "example.com/sync": "1" } },
      false,
    ],
  ])("%s", (_name, settings, metadata, allowed) => {
    const r = run(create(marked(PLAIN, metadata)), PLAIN, policyWith(settings));
    expect(r.decision.kind).toBe(allowed ? "gitops" : "judged");
    expect(r.response.allowed).toBe(allowed);
  });
});

describe("for anyone else a mark is a field like any other", () => {
  const onArgo = marked(PLAIN, { labels: { [INSTANCE]: "shop-prod" }, annotations: TRACKING });
  const onChart = marked(CHART, { labels: { [INSTANCE]: "shop-prod" } });
  it.each<[string, JsonObject, () => AdmissionRequest, string[]]>([
    [
      "creating with the label",
      PLAIN,
      () => create(marked(PLAIN, { labels: { [INSTANCE]: "shop-prod" } }), ALICE),
      [label(INSTANCE)],
    ],
    [
      "adding the label",
      PLAIN,
      () => update(marked(PLAIN), marked(PLAIN, { labels: { [INSTANCE]: "mine" } }), ALICE),
      [label(INSTANCE)],
    ],
    [
      "changing the label",
      PLAIN,
      () =>
        update(onArgo, marked(PLAIN, { labels: { [INSTANCE]: "other-app" }, annotations: TRACKING }), ALICE),
      [label(INSTANCE)],
    ],
    [
      "removing the label where Git holds the key",
      CHART,
      () => update(onChart, marked(CHART, { labels: { [INSTANCE]: null } }), ALICE),
      [label(INSTANCE)],
    ],
    // Ignored for everyone before marks existed: a user could move an object into another Argo CD app.
    // Git has no annotations, so the path is the whole map.
    [
      "changing the tracking ID",
      PLAIN,
      () =>
        update(
          onArgo,
          marked(PLAIN, {
            labels: { [INSTANCE]: "shop-prod" },
            annotations: { [TRACKING_ID]: "other:apps/Deployment:shop/web" },
          }),
          ALICE,
        ),
      ["metadata.annotations"],
    ],
    [
      "changing Flux's owner label",
      PLAIN,
      () =>
        update(
          marked(PLAIN, { labels: { "kustomize.toolkit.fluxcd.io/name": "apps" } }),
          marked(PLAIN, { labels: { "kustomize.toolkit.fluxcd.io/name": "other" } }),
          ALICE,
        ),
      [label("kustomize.toolkit.fluxcd.io/name")],
    ],
  ])("%s: denied in enforce mode", (_name, git, req, paths) => {
    const r = run(req(), git);
    expect(violations(r)).toEqual(paths);
    expect(r.response.allowed).toBe(false);
  });

  it("removing a mark Git does not hold brings the object back to Git: allowed (the tool writes it again)", () => {
    const r = run(update(onArgo, marked(PLAIN, { annotations: TRACKING }), ALICE));
    expect(violations(r)).toEqual([]);
    // The tracking annotation left on the object is the tool's: expected, not reported as drift.
    expect(preexisting(r)).toEqual([]);
    expect(r.response.allowed).toBe(true);
  });

  it("a plain user's apply of Git's manifest on an Argo CD object leaves the marks alone: allowed", () => {
    const drifted = marked(
      PLAIN,
      { labels: { [INSTANCE]: "shop-prod" }, annotations: TRACKING },
      "nginx:6.6",
    );
    const r = run(update(drifted, onArgo, ALICE));
    expect(r.response.allowed).toBe(true);
    expect(violations(r)).toEqual([]);
    // The marks already live are what the GitOps tool writes: no warning on every update for them.
    expect(preexisting(r)).toEqual([]);
    expect(r.response.warnings ?? []).toEqual([]);
  });

  it("compare still reports marks: they are not ignored", () => {
    const policy = testPolicy();
    const paths = compare(desiredFor(PLAIN, policy, "shop"), liveObject(onArgo)).map((drift) => drift.path);
    expect(paths).toEqual([label(INSTANCE), "metadata.annotations"]);
  });
});

describe("isMark", () => {
  const marks = buildGitOpsMarks(DEFAULT_MARK_SETTINGS);
  const policy = testPolicy();
  const driftsOf = (git: JsonObject, live: JsonObject) => {
    const desired = desiredFor(git, policy, "shop");
    const object = liveObject(live);
    return { drifts: compare(desired, object), normalized: object.normalizedFor(desired), desired, object };
  };
  it.each<[string, JsonObject, JsonObject, boolean[]]>([
    ["an added mark label", PLAIN, marked(PLAIN, { labels: { [INSTANCE]: "a" } }), [true]],
    ["a changed mark label", CHART, marked(CHART, { labels: { [INSTANCE]: "a" } }), [true]],
    ["a removed mark label", CHART, marked(CHART, { labels: { [INSTANCE]: null } }), [false]],
    ["a whole annotation map of marks", PLAIN, marked(PLAIN, { annotations: TRACKING }), [true]],
    ["an image", PLAIN, marked(PLAIN, {}, "x:1"), [false]],
  ])("%s", (_name, git, live, expected) => {
    const { drifts, normalized, desired, object } = driftsOf(git, live);
    expect(drifts.map((drift) => isMark(drift, marks, normalized))).toEqual(expected);
    expect(reproducesWithMarks(desired, object, marks)).toBe(expected.every(Boolean));
  });

  it("a Git manifest whose whole label map is marks, removed, is no mark", () => {
    const onlyInstance = deploymentManifest({ labels: { [INSTANCE]: "web-release" } });
    const { drifts, normalized } = driftsOf(
      onlyInstance,
      marked(onlyInstance, { labels: { [INSTANCE]: null } }),
    );
    expect(drifts.map((drift) => [drift.path, drift.change])).toEqual([["metadata.labels", "removed"]]);
    expect(isMark(drifts[0]!, marks, normalized)).toBe(false);
  });
});
