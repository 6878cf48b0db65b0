// The committed Deployment schema agrees with the real API server: each manifest below, as YAML text, goes
// through `kubectl create --dry-run=server` (kubectl reads the YAML itself and sends fieldValidation=Strict,
// its default) and through driftguard's parser with its schema check. The server must refuse exactly the
// files driftguard calls errors. "Beyond the schema" cases are refused by the validation code for reasons
// the schema does not describe (cross-field rules, value ranges): they are listed so that the gap is known.
import { describe, expect, inject, test } from "vitest";
import { parseManifestFile } from "../../src/sources/manifest-parser.js";
import { SCHEMA_KUBERNETES_VERSION } from "../../src/sources/schema-check.js";
import { ADMIN } from "./support/control-plane.js";
import { kubectl } from "./support/kubectl.js";
import { AUDIT_NS } from "./support/manifests.js";

const testbed = inject("testbed");

type Expected = "accepted" | "refused" | "beyond the schema";

interface Case {
  name: string;
  /** Lines put into the container (`container`), the pod spec (`pod`) or the Deployment spec (`spec`). */
  container?: string[];
  pod?: string[];
  spec?: string[];
  /** Replaces the whole text, for the cases that break the skeleton itself. */
  edit?: (yaml: string) => string;
  expected: Expected;
}

function manifest(name: string, parts: Case): string {
  const indent = (lines: string[] | undefined, spaces: number) =>
    (lines ?? []).map((line) => `${" ".repeat(spaces)}${line}\n`).join("");
  const text = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${AUDIT_NS}
spec:
${indent(parts.spec, 2)}  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
${indent(parts.pod, 6)}      containers:
        - name: main
          image: nginx:1.27.3
${indent(parts.container, 10)}`;
  return parts.edit ? parts.edit(text) : text;
}

const cases: Case[] = [
  { name: "the skeleton", expected: "accepted" },
  { name: "an unknown field", spec: ["surge: 1"], expected: "refused" },
  { name: "a field in the wrong case", spec: ["Replicas: 2"], expected: "refused" },
  { name: "an unknown container field", container: ["imagePolicy: Always"], expected: "refused" },
  { name: "replicas as a quoted string", spec: ['replicas: "3"'], expected: "refused" },
  { name: "replicas as a fraction", spec: ["replicas: 2.5"], expected: "refused" },
  { name: "replicas written 3.0 (a whole number)", spec: ["replicas: 3.0"], expected: "accepted" },
  { name: "replicas in octal (YAML 1.1)", spec: ["replicas: 010"], expected: "accepted" },
  {
    name: "maxSurge as a percentage",
    spec: ["strategy: {rollingUpdate: {maxSurge: 25%}}"],
    expected: "accepted",
  },
  {
    name: "maxSurge as a fraction",
    spec: ["strategy: {rollingUpdate: {maxSurge: 1.5}}"],
    expected: "refused",
  },
  {
    name: "an env value unquoted number",
    container: ["env: [{name: PORT, value: 8080}]"],
    expected: "refused",
  },
  {
    name: "an env value yes (a YAML 1.1 boolean)",
    container: ["env: [{name: DEBUG, value: yes}]"],
    expected: "refused",
  },
  {
    name: 'an env value "yes", quoted',
    container: ['env: [{name: DEBUG, value: "yes"}]'],
    expected: "accepted",
  },
  {
    name: "a label value that is a number",
    edit: (yaml) => yaml.replace("  namespace:", "  labels: {version: 2}\n  namespace:"),
    expected: "refused",
  },
  { name: "memory 100mi", container: ["resources: {limits: {memory: 100mi}}"], expected: "refused" },
  { name: "memory 512K", container: ["resources: {limits: {memory: 512K}}"], expected: "refused" },
  {
    name: "cpu 0.5 as a number, memory 1Gi",
    container: ["resources: {limits: {cpu: 0.5, memory: 1Gi}}"],
    expected: "accepted",
  },
  { name: "no selector", edit: (yaml) => yaml.replace(/ {2}selector:\n.*\n/, ""), expected: "refused" },
  {
    name: "a container without a name",
    edit: (yaml) => yaml.replace("- name: main\n          image:", "- image:"),
    expected: "refused",
  },
  {
    name: "a container without an image",
    edit: (yaml) => yaml.replace("          image: nginx:1.27.3\n", ""),
    expected: "refused",
  },
  { name: "metadata.name absent", edit: (yaml) => yaml.replace(/ {2}name: .*\n/, ""), expected: "refused" },
  {
    name: "creationTimestamp: null, resources: {}, env: (empty)",
    container: ["resources: {}", "env:"],
    expected: "accepted",
  },
  {
    name: "a date where a time is wanted",
    edit: (yaml) => yaml.replace("metadata:\n", "metadata:\n  creationTimestamp: 2024-01-01\n"),
    expected: "refused",
  },
  {
    name: "duplicate env names (a warning only)",
    container: ["env: [{name: A, value: '1'}, {name: A, value: '2'}]"],
    expected: "accepted",
  },
  { name: "an empty imagePullPolicy (defaulted)", container: ['imagePullPolicy: ""'], expected: "accepted" },
  { name: "an unsupported imagePullPolicy", container: ["imagePullPolicy: Sometimes"], expected: "refused" },
  {
    name: "protocol in lower case",
    container: ["ports: [{containerPort: 80, protocol: tcp}]"],
    expected: "refused",
  },
  {
    name: "a header without a value",
    container: ["readinessProbe: {httpGet: {port: 80, httpHeaders: [{name: X-A}]}}"],
    expected: "accepted",
  },
  {
    name: "seccompProfile without type",
    pod: ["securityContext: {seccompProfile: {}}"],
    expected: "refused",
  },
  { name: "an unknown status field", edit: (yaml) => `${yaml}status: {ready: true}\n`, expected: "refused" },
  { name: "hostNetwork: no (a YAML 1.1 boolean)", pod: ["hostNetwork: no"], expected: "accepted" },
  // What the validation code refuses and the schema cannot say.
  {
    name: "a selector that does not match the template",
    spec: ["paused: false"],
    edit: (yaml) => yaml.replace("labels: {app:", "labels: {tier:"),
    expected: "beyond the schema",
  },
  {
    name: "restartPolicy Never in a Deployment",
    pod: ["restartPolicy: Never"],
    expected: "beyond the schema",
  },
  { name: "a negative cpu", container: ["resources: {limits: {cpu: '-1'}}"], expected: "beyond the schema" },
  {
    name: "a port out of range",
    container: ["ports: [{containerPort: 70000}]"],
    expected: "beyond the schema",
  },
];

describe(`the Deployment schema (Kubernetes ${SCHEMA_KUBERNETES_VERSION}) agrees with the API server`, () => {
  const outcome: Record<Expected, number> = { accepted: 0, refused: 0, "beyond the schema": 0 };

  test.each(cases.map((c, i) => ({ ...c, index: i })))("$name: $expected", async (c) => {
    const name = `schema-case-${c.index}`;
    const text = manifest(name, c);
    const server = await kubectl(testbed, ADMIN, ["create", "--dry-run=server", "-o", "name", "-f", "-"], {
      input: text,
    });
    const parsed = parseManifestFile("case.yaml", text, "default");
    // A refusal must come from the API server itself, never from driftguard's webhook.
    expect(server.stderr).not.toContain("driftguard");
    const serverRefused = server.code !== 0;
    const schemaRefused = parsed.error !== undefined;
    const why = `server: ${server.stderr.trim() || "created"}\ndriftguard: ${parsed.error?.message ?? "no error"}`;
    expect(serverRefused, why).toBe(c.expected !== "accepted");
    expect(schemaRefused, why).toBe(c.expected === "refused");
    outcome[c.expected] += 1;
  });

  test("counts", () => {
    process.stdout.write(
      `schema e2e: ${cases.length} manifests; ${outcome.accepted} accepted by both, ${outcome.refused} refused by both, ` +
        `${outcome["beyond the schema"]} refused by the server's validation beyond the schema\n`,
    );
    expect(outcome.accepted + outcome.refused + outcome["beyond the schema"]).toBe(cases.length);
  });
});
