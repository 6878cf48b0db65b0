// The grant that would let this requester make this change, ready to paste (docs/contract.md §5, §6): a Role
// limited to the Deployment by resourceNames, a RoleBinding for the requester alone, and the optional
// break-glass expiry. The Role is printed as YAML for `kubectl apply` because `kubectl create role`
// checks resources against the API server's discovery, and no API serves group driftguard.io.
import type { FieldGroup, ObjectKey, Requester } from "./types.js";

const SERVICE_ACCOUNT = /^system:serviceaccount:([^:]+):([^:]+)$/;

export function grantAdvice(key: ObjectKey, requester: Requester, groups: readonly FieldGroup[]): string[] {
  const resources = groups.includes("*") ? ["deployments"] : groups.map((group) => `deployments/${group}`);
  const role = dnsName(`driftguard-override-${key.name}-${groups.includes("*") ? "all" : groups.join("-")}`);
  const binding = dnsName(`${role}-${requester.username}`);
  return [
    "kubectl apply -f - <<'EOF'",
    "apiVersion: rbac.authorization.k8s.io/v1",
    "kind: Role",
    `metadata: {name: ${yamlString(role)}, namespace: ${yamlString(key.namespace)}}`,
    "rules:",
    `  - {apiGroups: [driftguard.io], resources: [${resources.join(", ")}], verbs: [override], resourceNames: [${yamlString(key.name)}]}`,
    "EOF",
    `kubectl create rolebinding ${binding} -n ${key.namespace} --role=${role} ${subjectFlag(requester.username)}`,
    `# break-glass: kubectl annotate rolebinding ${binding} -n ${key.namespace} driftguard.io/expires-at=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)`,
  ];
}

// kubectl reads YAML 1.1: a Deployment or namespace named `yes`, `off`, `123` or `1e3` (all valid
// names) would arrive as a boolean or a number, and kubectl apply would refuse the Role.
const PLAIN = /^[a-z][a-z0-9-]*$/;
const YAML_WORDS = new Set(["y", "n", "yes", "no", "on", "off", "true", "false", "null"]);

/** A name as a YAML scalar that reads back as the same string. */
function yamlString(text: string): string {
  return PLAIN.test(text) && !YAML_WORDS.has(text) ? text : JSON.stringify(text);
}

function subjectFlag(username: string): string {
  const account = SERVICE_ACCOUNT.exec(username);
  if (account) return `--serviceaccount=${account[1]}:${account[2]}`;
  return `--user=${shellQuoted(username)}`;
}

/** Single-quoted unless plainly safe, so that a user name like `jane doe` or `a;b` pastes safely. */
function shellQuoted(text: string): string {
  return /^[\w@.:=+-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/** A valid object name (DNS subdomain): lower case, `-` for anything else, at most 253 characters. */
function dnsName(text: string): string {
  const name = text
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, "-")
    .replace(/^[-.]+|[-.]+$/g, "")
    .slice(0, 253)
    .replace(/[-.]+$/, "");
  return name || "driftguard-override";
}
