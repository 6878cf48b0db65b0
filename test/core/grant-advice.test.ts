// The grant a denial offers must work when pasted: its Role YAML reads (as kubectl reads YAML) into a
// valid Role, and that Role with the RoleBinding `kubectl create rolebinding` makes exempts exactly
// this requester from exactly these field groups on exactly this Deployment.
import { describe, expect, it } from "vitest";
import { grantAdvice } from "../../src/core/grant-advice.js";
import type { FieldGroup, ObjectKey, Requester } from "../../src/core/types.js";
import { buildGrantIndex, grantResolverFor } from "../../src/rbac/grant-index.js";
import type { Role, RoleBinding } from "../../src/rbac/types.js";
import { rbacObjectProblem } from "../../src/rbac/validate.js";
import { readYamlDocuments } from "../../src/sources/yaml-reader.js";

const NOW = Date.parse("2026-11-24T12:00:00Z");
const ALICE: Requester = { username: "alice", groups: ["system:authenticated"] };
const SA: Requester = {
  username: "system:serviceaccount:ci:deployer",
  groups: ["system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"],
};

/** The Role between `<<'EOF'` and `EOF`, read as kubectl reads it. */
function roleOf(lines: string[]): Role {
  const start = lines.indexOf("kubectl apply -f - <<'EOF'");
  const end = lines.indexOf("EOF");
  const read = readYamlDocuments(lines.slice(start + 1, end).join("\n"));
  if (!read.ok) throw new Error(read.message);
  const role = read.docs[0]?.value as Record<string, unknown>;
  expect(rbacObjectProblem("Role", role)).toBeUndefined();
  expect(role).toMatchObject({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role" });
  return role as Role;
}

/** Splits a command line into words as a POSIX shell does (whitespace, '...' and \x). */
function words(line: string): string[] {
  const out: string[] = [];
  let word: string | undefined;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] ?? "";
    if (quoted) {
      if (c === "'") quoted = false;
      else word += c;
    } else if (c === "'") {
      quoted = true;
      word ??= "";
    } else if (c === "\\") {
      word = (word ?? "") + (line[++i] ?? "");
    } else if (/\s/.test(c)) {
      if (word !== undefined) out.push(word);
      word = undefined;
    } else {
      word = (word ?? "") + c;
    }
  }
  if (word !== undefined) out.push(word);
  return out;
}

/** The RoleBinding `kubectl create rolebinding NAME -n NS --role=R --user=U|--serviceaccount=NS:N` makes. */
function bindingOf(lines: string[]): RoleBinding {
  const line = lines.find((l) => l.startsWith("kubectl create rolebinding ")) ?? "";
  const [, , , name, ...flags] = words(line);
  const flag = (prefix: string) => flags.find((f) => f.startsWith(prefix))?.slice(prefix.length);
  const namespace = flags[flags.indexOf("-n") + 1] ?? "";
  const account = flag("--serviceaccount=")?.split(":");
  return {
    metadata: { name: name ?? "", namespace },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: flag("--role=") ?? "" },
    subjects: account
      ? [{ kind: "ServiceAccount", namespace: account[0] ?? "", name: account[1] ?? "" }]
      : [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: flag("--user=") ?? "" }],
  };
}

function grantsAfterPasting(key: ObjectKey, requester: Requester, groups: FieldGroup[]) {
  const lines = grantAdvice(key, requester, groups);
  const index = buildGrantIndex({
    roles: [roleOf(lines)],
    clusterRoles: [],
    roleBindings: [bindingOf(lines)],
    clusterRoleBindings: [],
  });
  return (who: Requester, on: ObjectKey, group: FieldGroup) =>
    grantResolverFor(index, who, on, NOW)?.(group) !== undefined;
}

describe("grantAdvice: the pasted grant exempts this requester, these groups, this Deployment", () => {
  it.each<[string, ObjectKey, Requester, FieldGroup[]]>([
    ["a user, one group", { namespace: "shop", name: "web" }, ALICE, ["image"]],
    ["a service account, two groups", { namespace: "shop", name: "web" }, SA, ["image", "env"]],
    ["a path in no group: deployments itself", { namespace: "shop", name: "web" }, ALICE, ["*"]],
    [
      "a user name that needs quoting",
      { namespace: "shop", name: "web" },
      { username: "jane o'neil", groups: [] },
      ["replicas"],
    ],
    // Valid Kubernetes names that YAML 1.1 reads as booleans and numbers.
    ["Deployment `yes` in namespace `no`", { namespace: "no", name: "yes" }, ALICE, ["image"]],
    ["Deployment `123` in namespace `1e3`", { namespace: "1e3", name: "123" }, ALICE, ["delete"]],
    ["Deployment `0755` in namespace `on`", { namespace: "on", name: "0755" }, ALICE, ["paused"]],
    ["Deployment `null`", { namespace: "shop", name: "null" }, ALICE, ["metadata"]],
    ["Deployment `web.v2`", { namespace: "shop", name: "web.v2" }, ALICE, ["restart"]],
  ])("%s", (_name, key, requester, groups) => {
    const granted = grantsAfterPasting(key, requester, groups);
    for (const group of groups) expect(granted(requester, key, group)).toBe(true);
    const others = (["image", "env", "replicas", "delete", "paused"] as const).filter(
      (g) => !groups.includes(g),
    );
    for (const group of others) expect(granted(requester, key, group)).toBe(groups.includes("*"));
    expect(granted(requester, { ...key, name: `${key.name}-other` }, groups[0]!)).toBe(false);
    expect(granted({ username: "mallory", groups: requester.groups }, key, groups[0]!)).toBe(false);
  });

  it("says how to make it break-glass, on the same binding", () => {
    const lines = grantAdvice({ namespace: "shop", name: "web" }, ALICE, ["image"]);
    const binding = bindingOf(lines);
    expect(lines.at(-1)).toBe(
      `# break-glass: kubectl annotate rolebinding ${binding.metadata?.name} -n shop driftguard.io/expires-at=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)`,
    );
  });
});
