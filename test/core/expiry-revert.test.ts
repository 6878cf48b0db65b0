// Which drift the in-cluster revert puts back after a break-glass grant expires (docs/contract.md §11):
// the grants an index reports as expired, and the drift of an opted-in object they covered while valid.
import { describe, expect, it } from "vitest";
import { type LastWrite, lastWriteOf } from "../../src/core/drift-events.js";
import { expiryRevertOf } from "../../src/core/expiry-revert.js";
import { liveDriftOf } from "../../src/core/live-drift.js";
import type { Lookup } from "../../src/core/lookup.js";
import type { JsonObject } from "../../src/core/types.js";
import { buildGrantIndex, expiredGrants } from "../../src/rbac/grant-index.js";
import type { RbacObjects } from "../../src/rbac/types.js";
import { deploymentManifest, storedDeployment } from "../support/deployments.js";
import { testPolicy } from "../support/policy.js";
import { clone, desiredFor } from "../support/reviews.js";

type O = JsonObject;
const EXPIRY = "2026-11-24T12:00:00Z";
const EXPIRES = Date.parse(EXPIRY);
const BEFORE = "2026-11-24T11:59:00Z";
const AFTER = "2026-11-24T12:01:00Z";

const rbac = (
  resources: string[],
  options: { names?: string[]; expiry?: string; cluster?: boolean } = {},
) => {
  const rules = [
    {
      apiGroups: ["driftguard.io"],
      resources,
      verbs: ["override"],
      ...(options.names ? { resourceNames: options.names } : {}),
    },
  ];
  const annotations = { "driftguard.io/expires-at": options.expiry ?? EXPIRY };
  const subjects = [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "alice" }];
  const roleRef = { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "break-glass" };
  const binding = { metadata: { name: "glass", namespace: "shop", annotations }, roleRef, subjects };
  return {
    roles: [],
    clusterRoles: [{ metadata: { name: "break-glass" }, rules }],
    roleBindings: options.cluster ? [] : [binding],
    clusterRoleBindings: options.cluster ? [{ ...binding, metadata: { name: "glass", annotations } }] : [],
  } as unknown as RbacObjects;
};

const OPTED = deploymentManifest({
  image: "nginx:1",
  metadata: { annotations: { "driftguard.io/revert": "afterGrantExpiry" } },
});
const PLAIN = deploymentManifest({ image: "nginx:1" });

function candidate(options: {
  manifest?: O;
  resources?: string[];
  names?: string[];
  cluster?: boolean;
  written?: string | undefined;
  namespaceOptIn?: boolean;
  now?: number;
  edit?: (o: O) => void;
}) {
  const policy = testPolicy(options.namespaceOptIn ? { revertAfterGrantExpiry: new Set(["shop"]) } : {});
  const manifest = options.manifest ?? OPTED;
  const desired = desiredFor(manifest, policy, "shop");
  const live = clone(storedDeployment(manifest));
  const web = (((live.spec as O).template as O).spec as O).containers as O[];
  options.edit?.(live);
  (web[0] as O).image = "nginx:hand";
  const written: LastWrite | undefined =
    options.written === undefined ? undefined : { manager: "kubectl-set", time: options.written };
  const lookup: Lookup = { kind: "managed", desired, recent: () => [] };
  const drift = liveDriftOf(lookup, live, policy);
  const index = buildGrantIndex(rbac(options.resources ?? ["deployments/image"], options));
  const grants = expiredGrants(index, options.now ?? EXPIRES + 1000);
  return expiryRevertOf(drift, desired, policy, written, grants);
}

describe("expiredGrants", () => {
  it("lists a grant once its expiry has passed, not before", () => {
    const index = buildGrantIndex(rbac(["deployments/image"]));
    expect(expiredGrants(index, EXPIRES - 1)).toEqual([]);
    const [grant] = expiredGrants(index, EXPIRES);
    expect(grant?.namespace).toBe("shop");
    expect(grant?.description).toContain("RoleBinding shop/glass");
    expect(grant?.covers("image", "web")).toBe(true);
    expect(grant?.covers("env", "web")).toBe(false);
  });

  it("never lists a grant without an expiry, or with one that does not parse", () => {
    expect(expiredGrants(buildGrantIndex(rbac(["deployments"], { expiry: "tomorrow" })), EXPIRES)).toEqual(
      [],
    );
  });
});

const CASES: { name: string; options: Parameters<typeof candidate>[0]; reverted: boolean }[] = [
  {
    name: "opted in by Git's annotation, image grant, written while valid",
    options: { written: BEFORE },
    reverted: true,
  },
  {
    name: "opted in by the namespace's config",
    options: { manifest: PLAIN, namespaceOptIn: true, written: BEFORE },
    reverted: true,
  },
  { name: "not opted in", options: { manifest: PLAIN, written: BEFORE }, reverted: false },
  { name: "written after the expiry: someone else's", options: { written: AFTER }, reverted: false },
  { name: "no write time known: never guessed", options: { written: undefined }, reverted: false },
  {
    name: "the grant covered another field group",
    options: { resources: ["deployments/env"], written: BEFORE },
    reverted: false,
  },
  {
    name: "the grant named another Deployment",
    options: { names: ["other"], written: BEFORE },
    reverted: false,
  },
  {
    name: "a ClusterRoleBinding covers every namespace",
    options: { cluster: true, written: BEFORE },
    reverted: true,
  },
  { name: "the grant has not expired yet", options: { written: BEFORE, now: EXPIRES - 1 }, reverted: false },
];

describe("expiryRevertOf", () => {
  for (const { name, options, reverted } of CASES)
    it(name, () => {
      const found = candidate(options);
      expect(found !== undefined).toBe(reverted);
      if (found)
        expect(found.drifts.map((drift) => drift.path)).toEqual([
          "spec.template.spec.containers[name=web].image",
        ]);
    });

  it("puts back only the fields the grant covered", () => {
    const found = candidate({
      written: BEFORE,
      edit: (o) => void ((o.spec as O).replicas = 7),
    });
    expect(found?.drifts.map((drift) => drift.group)).toEqual(["image"]);
  });

  it("reads the write time the scan keeps (the newest managedFields entry)", () => {
    const object = {
      metadata: {
        managedFields: [
          { manager: "a", time: BEFORE },
          { manager: "b", time: AFTER },
        ],
      },
    };
    expect(lastWriteOf(object)?.time).toBe(AFTER);
  });

  it("the revert annotation in Git and on the live object is no drift", () => {
    const policy = testPolicy();
    const desired = desiredFor(OPTED, policy, "shop");
    const drift = liveDriftOf(
      { kind: "managed", desired, recent: () => [] },
      storedDeployment(OPTED),
      policy,
    );
    expect(drift.state).toBe("in-sync");
    expect(desired.revertAfterGrantExpiry).toBe(true);
  });
});
