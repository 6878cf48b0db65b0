// docs/contract.md §11 Decision history: which decisions become a record, and what the record says.
// Decisions come from the real decide(), never built by hand, so a change of the decision shows here.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AdmissionRequest } from "../../src/core/admission.js";
import { decide } from "../../src/core/decide.js";
import { recordOf } from "../../src/core/decision-record.js";
import type { GrantResolver } from "../../src/core/exemptions.js";
import type { Lookup } from "../../src/core/lookup.js";
import type { Policy } from "../../src/core/policy.js";
import type { JsonObject } from "../../src/core/types.js";
import { deploymentManifest, storedDeployment } from "../support/deployments.js";
import { testPolicy } from "../support/policy.js";
import { clone, desiredFor, managed, request } from "../support/reviews.js";

type O = JsonObject;
const NOW = Date.parse("2026-12-02T03:14:00Z");
// The shared builder's manifest with a password env: the secret cases read it.
const GIT: O = deploymentManifest({
  image: "nginx:1.27",
  replicas: 3,
  labels: { app: "web" },
  env: [{ name: "DB_PASSWORD", value: "hunter2" }],
});
const IMAGE = "spec.template.spec.containers[name=web].image";
const live = () => storedDeployment(GIT);
const container = (object: O) => ((((object.spec as O).template as O).spec as O).containers as O[])[0]!;
const withImage = (image: string, from = live()) => {
  const next = clone(from);
  container(next).image = image;
  return next;
};
const ARGO = {
  username: "system:serviceaccount:argocd:argocd-application-controller",
  groups: ["system:serviceaccounts", "system:serviceaccounts:argocd"],
};
const BREAK_GLASS: GrantResolver = (group) =>
  group === "image"
    ? {
        description: "RoleBinding shop/break-glass (Role shop/override-image, expires 2026-12-03T00:00:00Z)",
        binding: { kind: "RoleBinding", namespace: "shop", name: "break-glass" },
        expiresAt: "2026-12-03T00:00:00Z",
      }
    : undefined;

function recorded(
  req: AdmissionRequest,
  options: { policy?: Policy; lookup?: Lookup; grant?: GrantResolver } = {},
) {
  const policy = options.policy ?? testPolicy();
  const lookup = options.lookup ?? managed(desiredFor(GIT, policy));
  const decision = decide({
    request: req,
    lookup,
    policy,
    namespaceTerminating: false,
    grant: options.grant,
  });
  return { decision, record: recordOf(decision, req, NOW) };
}
const update = (object: O, extra: Partial<Parameters<typeof request>[0]> = {}) =>
  request({ operation: "UPDATE", object, oldObject: live(), ...extra });

interface Case {
  name: string;
  run: () => ReturnType<typeof recorded>;
  /** undefined: no record. */
  expected?: { outcome: string; reason: string; roles: string[] };
}

const CASES: Case[] = [
  {
    name: "denied drift (enforce)",
    run: () => recorded(update(withImage("nginx:evil"))),
    expected: { outcome: "deny", reason: "drift", roles: ["violation"] },
  },
  {
    name: "allowed with drift (audit)",
    run: () => recorded(update(withImage("nginx:evil")), { policy: testPolicy({ mode: "audit" }) }),
    expected: { outcome: "warn", reason: "drift", roles: ["violation"] },
  },
  {
    name: "allowed by a break-glass RBAC grant",
    run: () => recorded(update(withImage("nginx:evil")), { grant: BREAK_GLASS }),
    expected: { outcome: "warn", reason: "exempted", roles: ["exempted"] },
  },
  {
    name: "GitOps content in no recent revision",
    run: () => recorded(update(withImage("nginx:evil"), { user: ARGO })),
    expected: { outcome: "deny", reason: "drift", roles: ["violation"] },
  },
  {
    name: "denied delete",
    run: () => recorded(request({ operation: "DELETE", oldObject: live() })),
    expected: { outcome: "deny", reason: "drift", roles: ["violation"] },
  },
  {
    name: "denied scale",
    run: () =>
      recorded(
        request({
          operation: "UPDATE",
          subResource: "scale",
          object: {
            apiVersion: "autoscaling/v1",
            kind: "Scale",
            metadata: { name: "web", namespace: "shop" },
            spec: { replicas: 9 },
          },
          oldObject: {
            apiVersion: "autoscaling/v1",
            kind: "Scale",
            metadata: { name: "web", namespace: "shop" },
            spec: { replicas: 3 },
          },
        }),
      ),
    expected: { outcome: "deny", reason: "drift", roles: ["violation"] },
  },
  {
    name: "unmanaged denied (unmanaged: deny, enforce)",
    run: () =>
      recorded(update(withImage("nginx:evil")), {
        policy: testPolicy({ unmanaged: "deny" }),
        lookup: { kind: "unmanaged" },
      }),
    expected: { outcome: "deny", reason: "unmanaged", roles: [] },
  },
  {
    name: "desired state unknown, denied (onUnsynced: deny)",
    run: () =>
      recorded(update(withImage("nginx:evil")), {
        policy: testPolicy({ onUnsynced: "deny" }),
        lookup: { kind: "unsynced", reason: "source apps not synced yet" },
      }),
    expected: { outcome: "deny", reason: "desired-unknown", roles: [] },
  },
  { name: "a plain allow (in sync)", run: () => recorded(update(live())) },
  {
    name: "drift already live only",
    run: () =>
      recorded(
        request({
          operation: "UPDATE",
          object: withImage("x:1"),
          oldObject: withImage("x:1"),
        }),
      ),
  },
  {
    name: "unmanaged allow",
    run: () => recorded(update(withImage("nginx:evil")), { lookup: { kind: "unmanaged" } }),
  },
  {
    name: "unmanaged warn (audit)",
    run: () =>
      recorded(update(withImage("nginx:evil")), {
        policy: testPolicy({ unmanaged: "warn", mode: "audit" }),
        lookup: { kind: "unmanaged" },
      }),
  },
  {
    name: "silent (mode off)",
    run: () => recorded(update(withImage("nginx:evil")), { policy: testPolicy({ mode: "off" }) }),
  },
  {
    name: "GitOps identity applying Git's revision",
    run: () => recorded(update(live(), { user: ARGO })),
  },
  { name: "dry-run denial", run: () => recorded(update(withImage("nginx:evil"), { dryRun: true })) },
  {
    name: "dry-run break-glass",
    run: () => recorded(update(withImage("nginx:evil"), { dryRun: true }), { grant: BREAK_GLASS }),
  },
];

describe("recordOf: which decisions are recorded", () => {
  for (const c of CASES) {
    it(c.expected ? `records: ${c.name}` : `no record: ${c.name}`, () => {
      const { record } = c.run();
      if (!c.expected) {
        expect(record).toBeUndefined();
        return;
      }
      expect(record).toBeDefined();
      expect(record?.verdict.outcome).toBe(c.expected.outcome);
      expect(record?.verdict.reason).toBe(c.expected.reason);
      expect(record?.fields.map((f) => f.role)).toEqual(c.expected.roles);
    });
  }
});

describe("recordOf: what a record says", () => {
  it("a denial: who, what, Git's, the old and the requested value, the source, commit and file", () => {
    const req = update(withImage("nginx:evil"), {
      uid: "req-1",
      user: { username: "alice", groups: ["team-a"] },
    });
    const { record } = recorded(req);
    expect(record).toEqual({
      apiVersion: "driftguard.io/v1alpha1",
      kind: "DecisionRecord",
      time: "2026-12-02T03:14:00.000Z",
      requestUid: "req-1",
      requester: { username: "alice", groups: ["team-a"] },
      operation: "UPDATE",
      object: { namespace: "shop", name: "web", uid: expect.any(String) },
      verdict: { outcome: "deny", reason: "drift", wouldDenyInEnforce: true },
      why: { mode: "enforce", decision: "judged", grants: [] },
      fields: [
        {
          path: IMAGE,
          segments: ["spec", "template", "spec", "containers", "[name=web]", "image"],
          group: "image",
          change: "changed",
          role: "violation",
          git: "nginx:1.27",
          old: "nginx:1.27",
          requested: "nginx:evil",
          masked: false,
        },
      ],
      git: { source: "apps", commit: "0123456789abcdef", file: "apps/web.yaml" },
    });
  });

  it("a break-glass allowance names the grant, its binding and expiry, and the paths it covered", () => {
    const { record } = recorded(update(withImage("nginx:evil")), { grant: BREAK_GLASS });
    expect(record?.why.grants).toEqual([
      {
        description: "RoleBinding shop/break-glass (Role shop/override-image, expires 2026-12-03T00:00:00Z)",
        binding: { kind: "RoleBinding", namespace: "shop", name: "break-glass" },
        expiresAt: "2026-12-03T00:00:00Z",
        paths: [IMAGE],
      },
    ]);
  });

  it("a config exemption is named without a binding", () => {
    const policy = testPolicy({
      exemptions: [
        {
          users: ["alice"],
          groups: [],
          serviceAccounts: [],
          fields: ["image"],
          description: "config exemptions[0]",
        },
      ],
    });
    const { record } = recorded(update(withImage("nginx:evil")), { policy });
    expect(record?.why.grants).toEqual([{ description: "config exemptions[0]", paths: [IMAGE] }]);
  });

  it("a GitOps miss says so, and names the service account", () => {
    const { record } = recorded(update(withImage("nginx:evil"), { user: ARGO }));
    expect(record?.why.gitops).toBe("no-matching-revision");
    expect(record?.requester.serviceAccount).toBe("argocd/argocd-application-controller");
  });

  it("a scale names its subresource; a create has no object uid", () => {
    const scale = CASES.find((c) => c.name === "denied scale")?.run().record;
    expect(scale?.subresource).toBe("scale");
    expect(scale?.fields[0]).toMatchObject({ path: "spec.replicas", git: 3, old: 3, requested: 9 });
    const created = recorded(
      request({ operation: "CREATE", object: withImage("nginx:evil", clone(GIT)) }),
    ).record;
    expect(created?.object).toEqual({ namespace: "shop", name: "web" });
    expect(created?.fields[0]).toMatchObject({ path: IMAGE, git: "nginx:1.27", requested: "nginx:evil" });
    expect(created?.fields[0]).not.toHaveProperty("old");
  });

  it("a rendered app's record names the app", () => {
    const policy = testPolicy();
    const desired = desiredFor(GIT, policy);
    const app = {
      ...desired,
      origin: {
        ...desired.origin,
        file: "apps/web",
        app: { type: "kustomize" as const, renderedFrom: "apps/web/base/deploy.yaml" },
      },
    };
    const { record } = recorded(update(withImage("nginx:evil")), { lookup: managed(app) });
    expect(record?.git).toEqual({
      source: "apps",
      commit: "0123456789abcdef",
      file: "apps/web",
      app: { type: "kustomize", renderedFrom: "apps/web/base/deploy.yaml" },
    });
  });

  it("the desired-unknown reason is kept", () => {
    const record = CASES.find((c) => c.name.startsWith("desired state unknown"))?.run().record;
    expect(record?.why).toEqual({
      mode: "enforce",
      decision: "unknown",
      grants: [],
      detail: "source apps not synced yet",
    });
  });
});

describe("recordOf: never a sensitive value", () => {
  // Secret-looking env values and secret-like keys, changed by the request, in every role a field can have.
  const secret = fc.stringMatching(/^[A-Za-z0-9]{12,24}$/).map((s) => `S3cr3t${s}`);
  const key = fc.constantFrom("DB_PASSWORD", "API_TOKEN", "PLAIN", "auth-header", "private-key");
  it("no record carries the requested, old or Git's value of a sensitive field", () => {
    fc.assert(
      fc.property(
        secret,
        secret,
        key,
        fc.constantFrom("enforce", "audit"),
        fc.boolean(),
        (gitValue, newValue, name, mode, exempt) => {
          const git = clone(GIT);
          container(git).env = [{ name, value: gitValue }];
          const policy = testPolicy({ mode: mode as "enforce" | "audit" });
          const old = storedDeployment(git);
          const next = clone(old);
          container(next).env = [{ name, value: newValue }];
          (next.metadata as O).annotations = { [`note-${name.toLowerCase()}`]: `token ${newValue}` };
          const grant: GrantResolver | undefined = exempt
            ? () => ({ description: "cluster grant" })
            : undefined;
          const req = request({ operation: "UPDATE", object: next, oldObject: old });
          const decision = decide({
            request: req,
            lookup: managed(desiredFor(git, policy)),
            policy,
            namespaceTerminating: false,
            grant,
          });
          const record = recordOf(decision, req, NOW);
          if (!record) return false; // the env change always matters
          const text = JSON.stringify(record);
          return !text.includes(gitValue) && !text.includes(newValue);
        },
      ),
      { numRuns: 300 },
    );
  });
});
