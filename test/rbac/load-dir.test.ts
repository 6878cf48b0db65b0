// RBAC objects from files (check --rbac): read as kubectl reads them, checked as the API server
// checks them, and every problem named by file, document and field, with what to do.
import { mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadRbacDir, RbacLoadError } from "../../src/rbac/load-dir.js";
import { makeTempDir } from "../support/tls/cert-dir.js";

const ROLE = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: override-image, namespace: shop}
rules: [{apiGroups: [driftguard.io], resources: [deployments/image], verbs: [override], resourceNames: [web]}]
`;
const BINDING = `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-image, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: override-image}
subjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: alice}]
`;
const DEPLOYMENT = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n";

let dir: string;
beforeEach(async () => {
  dir = await makeTempDir("driftguard-rbac-");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function files(entries: Record<string, string>) {
  for (const [name, text] of Object.entries(entries)) {
    await mkdir(join(dir, name, ".."), { recursive: true });
    await writeFile(join(dir, name), text);
  }
}

async function loadError(entries: Record<string, string>): Promise<RbacLoadError> {
  await files(entries);
  const error = await loadRbacDir(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RbacLoadError);
  return error as RbacLoadError;
}

const names = (list: readonly { metadata?: { name?: string } }[]) => list.map((o) => o.metadata?.name);

describe("loadRbacDir: what it reads", () => {
  it("walks folders for .yaml, .yml and .json, multi-document, and counts other kinds", async () => {
    await files({
      "a/role.yaml": `${ROLE}---\n${DEPLOYMENT}---\n# only a comment\n`,
      "a/b/binding.YML": BINDING,
      "cluster.json": JSON.stringify({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name: "all" },
        rules: [{ apiGroups: ["driftguard.io"], resources: ["deployments"], verbs: ["override"] }],
      }),
      "notes.txt": "kind: Role\n",
      "kustomization.yaml": "resources: [role.yaml]\n",
    });
    const loaded = await loadRbacDir(dir);
    expect(names(loaded.objects.roles)).toEqual(["override-image"]);
    expect(names(loaded.objects.roleBindings)).toEqual(["alice-image"]);
    expect(names(loaded.objects.clusterRoles)).toEqual(["all"]);
    expect(loaded.files).toBe(4);
    expect(loaded.skipped).toBe(2); // the Deployment, and the kustomization (no kind)
  });

  it("expands Lists: kubectl get -o yaml output, and typed lists whose items carry no kind", async () => {
    await files({
      "dump.yaml": `apiVersion: v1
kind: List
items:
- ${ROLE.trimEnd().replaceAll("\n", "\n  ")}
- ${DEPLOYMENT.trimEnd().replaceAll("\n", "\n  ")}
`,
      "raw.json": JSON.stringify({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBindingList",
        items: [
          {
            metadata: { name: "crb" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "all" },
            subjects: [{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "sre" }],
          },
        ],
      }),
    });
    const loaded = await loadRbacDir(dir);
    expect(names(loaded.objects.roles)).toEqual(["override-image"]);
    expect(names(loaded.objects.clusterRoleBindings)).toEqual(["crb"]);
    expect(loaded.skipped).toBe(1);
  });

  it("reads one file given instead of a folder, and follows a symbolic link to a file", async () => {
    await files({ "role.yaml": ROLE, "real/binding.yaml": BINDING });
    await symlink(join(dir, "real/binding.yaml"), join(dir, "linked.yaml"));
    expect(names((await loadRbacDir(join(dir, "role.yaml"))).objects.roles)).toEqual(["override-image"]);
    const loaded = await loadRbacDir(dir);
    expect(loaded.files).toBe(3);
    // The same binding through the link and the file: identical, so kept once.
    expect(names(loaded.objects.roleBindings)).toEqual(["alice-image"]);
  });

  it("an empty folder has no objects (and no error)", async () => {
    expect(await loadRbacDir(dir)).toEqual({
      objects: { roles: [], clusterRoles: [], roleBindings: [], clusterRoleBindings: [] },
      files: 0,
      skipped: 0,
    });
  });
});

const role = (extra: string) => `${ROLE}${extra}`;
const roleWith = (rule: string) =>
  `apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: shop}\nrules: [${rule}]\n`;
const bindingWith = (kind: string, body: string) =>
  `apiVersion: rbac.authorization.k8s.io/v1\nkind: ${kind}\nmetadata: {name: b${kind === "RoleBinding" ? ", namespace: shop" : ""}}\n${body}\n`;
const REF = "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: all}";
const clusterRoleWith = (aggregation: string) =>
  `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: agg}\naggregationRule: ${aggregation}\n`;

describe("loadRbacDir: problems name file, document and field", () => {
  it.each<[string, string, string]>([
    ["YAML that does not parse", `${ROLE}---\nkind: [Role\n`, "grants.yaml:6: not valid YAML"],
    [
      "a Role without namespace",
      "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: x}\n",
      "grants.yaml, document 1 (line 1): Role x: metadata.namespace is missing",
    ],
    [
      "resources as a string (crashed the index)",
      roleWith("{apiGroups: [driftguard.io], resources: deployments/image, verbs: [override]}"),
      "Role shop/r: rules[0].resources must be a list of strings",
    ],
    [
      "verbs as a string (searched as text, `overrides-nothing` matched `override`)",
      roleWith("{apiGroups: [driftguard.io], resources: [deployments/image], verbs: overrides-nothing}"),
      "Role shop/r: rules[0].verbs must be a list of strings",
    ],
    [
      "apiGroups as a string",
      roleWith("{apiGroups: not-driftguard.io, resources: [deployments/image], verbs: [override]}"),
      "Role shop/r: rules[0].apiGroups must be a list of strings",
    ],
    [
      "a resource name YAML reads as a number",
      roleWith(
        "{apiGroups: [driftguard.io], resources: [deployments/image], verbs: [override], resourceNames: [1e3]}",
      ),
      "rules[0].resourceNames[0] must be a string (quote it)",
    ],
    [
      "rules not a list",
      role("").replace(/^rules: .*$/m, "rules: {verbs: [override]}"),
      "rules must be a list",
    ],
    [
      "an expiry YAML reads as a boolean",
      bindingWith("RoleBinding", `${REF}\nsubjects: [{kind: User, name: alice}]`).replace(
        "namespace: shop}",
        "namespace: shop, annotations: {driftguard.io/expires-at: yes}}",
      ),
      'RoleBinding shop/b: metadata.annotations["driftguard.io/expires-at"] must be a string (quote it)',
    ],
    [
      "subjects not a list",
      bindingWith("RoleBinding", `${REF}\nsubjects: {kind: User, name: alice}`),
      "subjects must be a list",
    ],
    [
      "an unknown subject kind",
      bindingWith("RoleBinding", `${REF}\nsubjects: [{kind: Users, name: alice}]`),
      "subjects[0].kind must be User, Group or ServiceAccount",
    ],
    [
      "a ClusterRoleBinding's service account without namespace",
      bindingWith("ClusterRoleBinding", `${REF}\nsubjects: [{kind: ServiceAccount, name: deployer}]`),
      "ClusterRoleBinding b: subjects[0].namespace is missing",
    ],
    [
      "a ClusterRoleBinding to a Role",
      bindingWith(
        "ClusterRoleBinding",
        "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}",
      ),
      "roleRef.kind must be ClusterRole",
    ],
    [
      "a binding without roleRef",
      bindingWith("RoleBinding", "subjects: []"),
      "RoleBinding shop/b: roleRef is missing",
    ],
    [
      "a roleRef in another API group",
      bindingWith("RoleBinding", "roleRef: {apiGroup: example.com, kind: Role, name: r}"),
      "roleRef.apiGroup must be rbac.authorization.k8s.io",
    ],
    ["an aggregationRule without selectors", clusterRoleWith("{}"), "must list at least one selector"],
    [
      "In without values",
      clusterRoleWith("{clusterRoleSelectors: [{matchExpressions: [{key: a, operator: In}]}]}"),
      "clusterRoleSelectors[0].matchExpressions[0].values must not be empty for In",
    ],
    [
      "an unknown operator",
      clusterRoleWith(
        "{clusterRoleSelectors: [{matchExpressions: [{key: a, operator: Equals, values: [b]}]}]}",
      ),
      "operator must be one of In, NotIn, Exists, DoesNotExist",
    ],
    [
      "an RBAC version no longer served",
      ROLE.replace("rbac.authorization.k8s.io/v1", "rbac.authorization.k8s.io/v1beta1"),
      "Role is rbac.authorization.k8s.io/v1beta1, which Kubernetes no longer serves",
    ],
    [
      "an RBAC kind without apiVersion",
      ROLE.replace(/^apiVersion.*\n/, ""),
      "document 1 (line 1): Role has no apiVersion",
    ],
    [
      "a List whose items are not a list",
      "apiVersion: v1\nkind: List\nitems: {a: b}\n",
      "grants.yaml, document 1 (line 1): List.items must be a list",
    ],
    [
      "the same object twice with different content",
      `${ROLE}---\n${ROLE.replace("[web]", "[api]")}`,
      "grants.yaml, document 2 (line 6): Role shop/override-image differs from the one in grants.yaml, document 1 (line 1)",
    ],
  ])("%s", async (_name, text, message) => {
    const error = await loadError({ "grants.yaml": text });
    expect(error.message).toContain(message);
    expect(error.hint).not.toBe("");
  });

  it("names List items by index", async () => {
    const error = await loadError({
      "dump.yaml": `apiVersion: v1\nkind: List\nitems:\n- ${DEPLOYMENT.trimEnd().replaceAll("\n", "\n  ")}\n- {apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: x}}\n`,
    });
    expect(error.message).toContain(
      "dump.yaml, document 1 (line 1), items[1]: Role x: metadata.namespace is missing",
    );
  });

  it("a path that does not exist", async () => {
    const missing = await loadRbacDir(join(dir, "nope")).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(RbacLoadError);
    expect((missing as RbacLoadError).message).toBe(`${join(dir, "nope")}: no such file or folder`);
    expect((missing as RbacLoadError).hint).toContain("give --rbac a folder");
  });

  it("leaves out a dangling link and a folder named like a file", async () => {
    await files({ "role.yaml": ROLE, "odd.yaml/binding.yaml": BINDING });
    await symlink(join(dir, "gone.yaml"), join(dir, "dangling.yaml"));
    const loaded = await loadRbacDir(dir);
    expect(loaded.files).toBe(2);
    expect(names(loaded.objects.roleBindings)).toEqual(["alice-image"]);
  });
});
