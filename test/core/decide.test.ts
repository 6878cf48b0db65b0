// Table of docs/contract.md §4–§6 rules through decide + respond.
import { describe, expect, it } from "vitest";
import type { AdmissionRequest } from "../../src/core/admission.js";
import { decide } from "../../src/core/decide.js";
import type { GrantResolver } from "../../src/core/exemptions.js";
import type { Lookup } from "../../src/core/lookup.js";
import type { Policy } from "../../src/core/policy.js";
import { respond } from "../../src/core/respond.js";
import type { JsonObject } from "../../src/core/types.js";
import { buildGrantIndex, grantResolverFor } from "../../src/rbac/grant-index.js";
import { storedDeployment } from "../support/deployments.js";
import { testPolicy } from "../support/policy.js";
import { ALICE, clone, desiredFor, managed, request, scaleObject } from "../support/reviews.js";

type O = JsonObject;
// Its own manifest, not the shared builder's: the password env is what the secret cases read.
const GIT: O = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "shop", labels: { app: "web" } },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: {
        containers: [{ name: "web", image: "nginx:1.25", env: [{ name: "DB_PASSWORD", value: "hunter2" }] }],
      },
    },
  },
};
const live = () => storedDeployment(GIT);
const withImage = (image: string, from = live()) => {
  const next = clone(from);
  ((((next.spec as O).template as O).spec as O).containers as O[])[0]!.image = image;
  return next;
};
const SA = (ns: string, name: string) => ({
  username: `system:serviceaccount:${ns}:${name}`,
  groups: ["system:serviceaccounts", `system:serviceaccounts:${ns}`],
});

function run(
  req: AdmissionRequest,
  options: {
    policy?: Policy;
    lookup?: Lookup;
    terminating?: boolean;
    grant?: GrantResolver | undefined;
  } = {},
) {
  const policy = options.policy ?? testPolicy();
  const lookup = options.lookup ?? managed(desiredFor(GIT, policy));
  const decision = decide({
    request: req,
    lookup,
    policy,
    namespaceTerminating: options.terminating ?? false,
    grant: options.grant,
  });
  return { decision, response: respond(req.uid, decision) };
}

const paths = (r: ReturnType<typeof run>) =>
  r.decision.kind === "judged" ? r.decision.violations.map((v) => v.path) : [];
const IMAGE = "spec.template.spec.containers[name=web].image";

describe("decide: the drift rule", () => {
  it("denies a manual image change in enforce mode, naming source, commit, file and values", () => {
    const r = run(request({ operation: "UPDATE", object: withImage("nginx:6.6"), oldObject: live() }));
    expect(paths(r)).toEqual([IMAGE]);
    expect(r.response.allowed).toBe(false);
    expect(r.response.status).toMatchObject({ code: 403, reason: "Forbidden" });
    const message = r.response.status?.message ?? "";
    expect(message).toMatch(
      /^driftguard: Deployment shop\/web would drift from Git \(source "apps", commit 0123456, file apps\/web.yaml\)/,
    );
    expect(message).toContain(`${IMAGE}: Git "nginx:1.25", request "nginx:6.6"`);
    expect(message).toContain("exempt alice from field group image");
  });

  it("allows the same change in audit mode with warnings and audit annotations", () => {
    const r = run(request({ operation: "UPDATE", object: withImage("nginx:6.6"), oldObject: live() }), {
      policy: testPolicy({ mode: "audit" }),
    });
    expect(r.response.allowed).toBe(true);
    expect(r.response.warnings?.join("\n")).toContain(`${IMAGE}: Git "nginx:1.25", request "nginx:6.6"`);
    expect(r.response.auditAnnotations).toMatchObject({
      decision: "allowed-drift",
      mode: "audit",
      violations: IMAGE,
      commit: "0123456789abcdef",
    });
    for (const key of Object.keys(r.response.auditAnnotations ?? {})) expect(key).not.toContain("/");
  });

  it("reports pre-existing drift as a warning, never a reason to deny", () => {
    const drifted = withImage("nginx:6.6");
    const next = clone(drifted);
    (next.metadata as O).annotations = { "example.com/note": "x" };
    const r = run(request({ operation: "UPDATE", object: next, oldObject: drifted }));
    expect(paths(r)).toEqual(["metadata.annotations"]);
    expect(r.decision.kind === "judged" && r.decision.preexisting.map((d) => d.path)).toEqual([IMAGE]);
    expect(r.response.warnings?.some((w) => w.includes("drift already live") && w.includes(IMAGE))).toBe(
      true,
    );
  });

  it("never denies a move back to Git's value", () => {
    const r = run(request({ operation: "UPDATE", object: live(), oldObject: withImage("nginx:6.6") }));
    expect(r.response).toEqual({ uid: r.response.uid, allowed: true });
  });

  it("judges every difference on CREATE", () => {
    expect(paths(run(request({ operation: "CREATE", object: withImage("nginx:6.6") })))).toEqual([IMAGE]);
  });

  it("never echoes env values or secrets", () => {
    const next = live();
    ((((next.spec as O).template as O).spec as O).containers as O[])[0]!.env = [
      { name: "DB_PASSWORD", value: "letmein" },
    ];
    const r = run(request({ operation: "UPDATE", object: next, oldObject: live() }));
    expect(r.response.status?.message).toContain("<changed>");
    expect(JSON.stringify(r.response)).not.toMatch(/hunter2|letmein/);
  });

  it("dry-run gets the same decision", () => {
    const r = run(
      request({ operation: "UPDATE", object: withImage("nginx:6.6"), oldObject: live(), dryRun: true }),
    );
    expect(r.response.allowed).toBe(false);
  });
});

describe("decide: DELETE and scale", () => {
  it("denies DELETE of a managed object", () => {
    const r = run(request({ operation: "DELETE", oldObject: live() }));
    expect(paths(r)).toEqual(["deleted"]);
    expect(r.response.allowed).toBe(false);
  });
  it("allows the namespace controller and the garbage collector (shipped defaults)", () => {
    for (const user of [
      SA("kube-system", "namespace-controller"),
      SA("kube-system", "generic-garbage-collector"),
    ]) {
      const r = run(request({ operation: "DELETE", oldObject: live(), user }));
      expect(r.response.allowed).toBe(true);
      expect(r.response.warnings?.[0]).toContain("exempted by default exemption");
    }
  });
  it("allows deletes in a namespace being deleted", () => {
    expect(
      run(request({ operation: "DELETE", oldObject: live() }), { terminating: true }).response.allowed,
    ).toBe(true);
  });
  it.each([
    [5, false],
    [0, false],
    [3, true],
  ])("scale to %i: allowed=%s", (replicas, allowed) => {
    const r = run(
      request({
        operation: "UPDATE",
        subResource: "scale",
        object: scaleObject("web", "shop", replicas),
        oldObject: scaleObject("web", "shop", 3),
      }),
    );
    expect(r.response.allowed).toBe(allowed);
    if (!allowed) expect(r.response.status?.message).toContain(`spec.replicas: Git 3, request ${replicas}`);
  });
  it("scale is not judged when Git leaves replicas out", () => {
    const git = clone(GIT);
    delete (git.spec as O).replicas;
    const lookup = managed(desiredFor(git, testPolicy()));
    const r = run(
      request({
        operation: "UPDATE",
        subResource: "scale",
        object: scaleObject("web", "shop", 9),
        oldObject: scaleObject("web", "shop", 3),
      }),
      { lookup },
    );
    expect(r.response.allowed).toBe(true);
  });
});

describe("decide: who and which mode", () => {
  const exempt = (fields: Policy["exemptions"][number]["fields"]) =>
    testPolicy({
      exemptions: [
        { users: ["alice"], groups: [], serviceAccounts: [], fields, description: "config exemptions[0]" },
      ],
    });

  it("drops violations in exempted field groups and reports them", () => {
    const r = run(request({ operation: "UPDATE", object: withImage("nginx:6.6"), oldObject: live() }), {
      policy: exempt(["image"]),
    });
    expect(r.response.allowed).toBe(true);
    expect(r.response.warnings?.[0]).toContain("exempted by config exemptions[0]");
  });
  it("a field group does not cover other fields; * covers all", () => {
    const sidecar = live();
    ((((sidecar.spec as O).template as O).spec as O).containers as O[]).push({ name: "x", image: "busybox" });
    expect(
      run(request({ operation: "UPDATE", object: sidecar, oldObject: live() }), { policy: exempt(["image"]) })
        .response.allowed,
    ).toBe(false);
    expect(
      run(request({ operation: "UPDATE", object: sidecar, oldObject: live() }), { policy: exempt(["*"]) })
        .response.allowed,
    ).toBe(true);
  });
  it("an RBAC grant (docs/contract.md §5) exempts its field group: a warning names the binding, the rest is still denied", () => {
    const index = buildGrantIndex({
      roles: [
        {
          metadata: { name: "override-image", namespace: "shop" },
          rules: [
            {
              apiGroups: ["driftguard.io"],
              resources: ["deployments/image"],
              verbs: ["override"],
              resourceNames: ["web"],
            },
          ],
        },
      ],
      clusterRoles: [],
      roleBindings: [
        {
          metadata: {
            name: "break-glass",
            namespace: "shop",
            annotations: { "driftguard.io/expires-at": "2026-11-24T13:00:00Z" },
          },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "override-image" },
          subjects: [{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "team-a" }],
        },
      ],
      clusterRoleBindings: [],
    });
    const grantAt = (time: string) =>
      grantResolverFor(index, ALICE, { namespace: "shop", name: "web" }, Date.parse(time));
    const image = request({ operation: "UPDATE", object: withImage("nginx:6.6"), oldObject: live() });
    const exempted = run(image, { grant: grantAt("2026-11-24T12:00:00Z") });
    expect(exempted.response.allowed).toBe(true);
    expect(exempted.response.warnings).toEqual([
      `driftguard: exempted by RoleBinding shop/break-glass (Role shop/override-image, expires 2026-11-24T13:00:00Z): ${IMAGE}: Git "nginx:1.25", request "nginx:6.6"`,
    ]);
    expect(exempted.response.auditAnnotations?.exempted).toContain("RoleBinding shop/break-glass");

    // Past the expiry, the same index no longer exempts.
    expect(run(image, { grant: grantAt("2026-11-24T13:00:00Z") }).response.allowed).toBe(false);

    // An env change next to it is not covered: denied, and the advice asks for env only.
    const both = withImage("nginx:6.6");
    ((((both.spec as O).template as O).spec as O).containers as O[])[0]!.env = [];
    const denied = run(request({ operation: "UPDATE", object: both, oldObject: live() }), {
      grant: grantAt("2026-11-24T12:00:00Z"),
    });
    expect(denied.response.allowed).toBe(false);
    expect(paths(denied)).toEqual(["spec.template.spec.containers[name=web].env"]);
    expect(denied.response.status?.message).toContain("exempt alice from field group env with RBAC:");
    expect(denied.response.status?.message).toContain("resources: [deployments/env]");
    expect(denied.response.warnings?.[0]).toContain("exempted by RoleBinding shop/break-glass");
  });

  it("mode: manifest annotation over namespace over global", () => {
    const git = clone(GIT);
    (git.metadata as O).annotations = { "driftguard.io/mode": "audit" };
    const policy = testPolicy({ mode: "enforce", namespaceModes: new Map([["shop", "enforce"]]) });
    const lookup = managed(desiredFor(git, policy));
    const object = withImage("nginx:6.6", storedDeployment(git));
    const oldObject = storedDeployment(git);
    expect(
      run(request({ operation: "UPDATE", object, oldObject }), { policy, lookup }).response.allowed,
    ).toBe(true);
    const offPolicy = testPolicy({ namespaceModes: new Map([["shop", "off"]]) });
    expect(
      run(request({ operation: "UPDATE", object: withImage("x"), oldObject: live() }), { policy: offPolicy })
        .response,
    ).toEqual({ uid: expect.any(String), allowed: true });
  });
  it("GitOps identity: allowed when the result is a recent revision, judged otherwise", () => {
    const policy = testPolicy();
    const older = clone(GIT);
    ((((older.spec as O).template as O).spec as O).containers as O[])[0]!.image = "nginx:1.24";
    const current = desiredFor(GIT, policy, "shop", "c2");
    const previous = desiredFor(older, policy, "shop", "c1");
    const lookup: Lookup = {
      kind: "managed",
      desired: current,
      recent: () => [
        { commit: "c2", desired: current },
        { commit: "c1", desired: previous },
      ],
    };
    const argo = SA("argocd", "argocd-application-controller");
    const rollback = run(
      request({ operation: "UPDATE", object: withImage("nginx:1.24"), oldObject: live(), user: argo }),
      { lookup },
    );
    expect(rollback.decision.kind).toBe("gitops");
    expect(rollback.response.allowed).toBe(true);
    const rogue = run(
      request({ operation: "UPDATE", object: withImage("evil:1"), oldObject: live(), user: argo }),
      { lookup },
    );
    expect(rogue.response.allowed).toBe(false);
    expect(rogue.response.warnings?.join()).toContain("matches no recent Git revision");
    const pruned: Lookup = {
      kind: "managed",
      desired: current,
      recent: () => [
        { commit: "c3", desired: undefined },
        { commit: "c2", desired: current },
      ],
    };
    expect(
      run(request({ operation: "DELETE", oldObject: live(), user: argo }), { lookup: pruned }).response
        .allowed,
    ).toBe(true);
    expect(
      run(request({ operation: "DELETE", oldObject: live(), user: ALICE }), { lookup: pruned }).response
        .allowed,
    ).toBe(false);
  });
});

describe("decide: unmanaged and unknown desired state", () => {
  const req = () => request({ operation: "UPDATE", object: withImage("x"), oldObject: live() });
  it.each([
    ["allow", "enforce", true, 0],
    ["warn", "enforce", true, 1],
    ["deny", "enforce", false, 0],
    ["deny", "audit", true, 1],
  ] as const)("unmanaged: %s in %s mode", (unmanaged, mode, allowed, warnings) => {
    const r = run(req(), { policy: testPolicy({ unmanaged, mode }), lookup: { kind: "unmanaged" } });
    expect(r.response.allowed).toBe(allowed);
    expect(r.response.warnings?.length ?? 0).toBe(warnings);
  });
  it("unmanaged deny never blocks a delete", () => {
    expect(
      run(request({ operation: "DELETE", oldObject: live() }), {
        policy: testPolicy({ unmanaged: "deny" }),
        lookup: { kind: "unmanaged" },
      }).response.allowed,
    ).toBe(true);
  });
  it.each([
    ["allow", true],
    ["deny", false],
  ] as const)("onUnsynced %s", (onUnsynced, allowed) => {
    const r = run(req(), {
      policy: testPolicy({ onUnsynced }),
      lookup: { kind: "unsynced", reason: "source apps has not synced yet" },
    });
    expect(r.response.allowed).toBe(allowed);
    expect(JSON.stringify(r.response)).toContain("source apps has not synced yet");
  });
  it("a conflict names both files", () => {
    const origins = [
      { source: "a", commit: "1111111aaa", file: "x.yaml" },
      { source: "b", commit: "2222222bbb", file: "y.yaml" },
    ];
    const r = run(req(), { lookup: { kind: "conflict", origins } });
    expect(r.response.warnings?.[0]).toContain("x.yaml");
    expect(r.response.warnings?.[0]).toContain("y.yaml");
  });
  it("ignores other resources", () => {
    const other = { ...req(), resource: { group: "", version: "v1", resource: "pods" } };
    expect(run(other).decision.kind).toBe("ignored");
  });
});

describe("respond: bounds", () => {
  it("lists at most 10 drifts, then `and N more`; warnings stay under the API server's limits", () => {
    const next = live();
    (next.metadata as O).labels = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [`l${i}`, "v".repeat(300)]),
    );
    const audit = run(request({ operation: "UPDATE", object: next, oldObject: live() }), {
      policy: testPolicy({ mode: "audit" }),
    });
    const enforce = run(request({ operation: "UPDATE", object: next, oldObject: live() }));
    expect(enforce.response.status?.message).toContain("and 31 more");
    const warnings = audit.response.warnings ?? [];
    expect(warnings.join("").length).toBeLessThan(4096);
    for (const w of warnings) {
      expect(Array.from(w).length).toBeLessThan(256);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: checking that none are sent
      expect(w).not.toMatch(/[\u0000-\u001f]/);
    }
  });
});

describe("decide: never throws on hostile input (property)", () => {
  it("any JSON as object and oldObject gets an answer", async () => {
    const fc = (await import("fast-check")).default;
    const anyObject = fc.dictionary(
      fc.constantFrom("metadata", "spec", "status", "kind", "x"),
      fc.jsonValue({ maxDepth: 6 }),
    ) as never;
    fc.assert(
      fc.property(
        anyObject,
        anyObject,
        fc.constantFrom("CREATE", "UPDATE", "DELETE"),
        fc.boolean(),
        (object: O, oldObject: O, operation, scale) => {
          const req = request({ operation, object, oldObject, ...(scale ? { subResource: "scale" } : {}) });
          const r = run(req);
          expect(typeof r.response.allowed).toBe("boolean");
        },
      ),
      { numRuns: 300 },
    );
  });

  it("any depth outside what is compared (managedFields, status: the review schema bounds the rest)", () => {
    let deep: O = {};
    for (let i = 0; i < 5000; i++) deep = { a: deep };
    const object = withImage("nginx:2");
    (object.metadata as O).managedFields = [{ manager: "m", fieldsV1: deep }];
    object.status = deep;
    const r = run(request({ operation: "UPDATE", object, oldObject: { ...live(), status: deep } }));
    expect(r.decision.kind).toBe("judged");
    expect(typeof r.response.allowed).toBe("boolean");
  });
});
