// The schema check against what the API server answers. Every refusal below was sent to the test bed's
// kube-apiserver v1.36.3 as a dry-run create with fieldValidation=Strict (kubectl's default); `server`
// quotes its answer, which is why the case refuses. test/e2e/schema.e2e.ts sends such cases again on
// every e2e run, so that a new Kubernetes version that answers otherwise is noticed.
import { describe, expect, test } from "vitest";
import type { JsonObject } from "../../src/core/types.js";
import {
  checkDeploymentSchema,
  isGoRfc3339,
  SCHEMA_KUBERNETES_VERSION,
} from "../../src/sources/schema-check.js";
import { CORPUS_SKIP_REASON, corpusDeployments, corpusPresent } from "../support/corpus.js";
import { deploymentManifest } from "../support/deployments.js";

type Edit = (d: any) => void;
const container = (d: any) => d.spec.template.spec.containers[0];
const podSpec = (d: any) => d.spec.template.spec;

function edited(edit: Edit): JsonObject {
  const manifest = structuredClone(deploymentManifest());
  edit(manifest);
  return manifest;
}

interface Refusal {
  name: string;
  edit: Edit;
  /** What kube-apiserver v1.36.3 answered (abridged): the reason the check refuses too. */
  server: string;
  path: string;
  message: RegExp;
}

const refusals: Refusal[] = [
  {
    name: "an unknown field",
    edit: (d) => (d.spec.foo = 1),
    server: '400 strict decoding error: unknown field "spec.foo"',
    path: "spec.foo",
    message: /^unknown field$/,
  },
  {
    name: "a field name in the wrong case (decoding is case-sensitive)",
    edit: (d) => (d.spec.Replicas = 2),
    server: '400 strict decoding error: unknown field "spec.Replicas"',
    path: "spec.Replicas",
    message: /^unknown field \(did you mean replicas\?\)$/,
  },
  {
    name: "an unknown field in a container",
    edit: (d) => (container(d).imagePolicy = "Always"),
    server: '400 strict decoding error: unknown field "spec.template.spec.containers[0].imagePolicy"',
    path: "spec.template.spec.containers[name=web].imagePolicy",
    message: /^unknown field$/,
  },
  {
    name: "an unknown field in status (decoded, then reset)",
    edit: (d) => (d.status = { bogus: 1 }),
    server: '400 strict decoding error: unknown field "status.bogus"',
    path: "status.bogus",
    message: /^unknown field$/,
  },
  {
    name: "a string for an integer",
    edit: (d) => (d.spec.replicas = "3"),
    server:
      "400 json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32",
    path: "spec.replicas",
    message: /^must be integer \(got string "3"\)$/,
  },
  {
    name: "a fraction for an integer",
    edit: (d) => (d.spec.replicas = 3.5),
    server:
      "400 json: cannot unmarshal number 3.5 into Go struct field DeploymentSpec.spec.replicas of type int32",
    path: "spec.replicas",
    message: /^must be integer \(got number 3.5\)$/,
  },
  {
    name: "an int32 out of range",
    edit: (d) => (d.spec.replicas = 3e9),
    server: "400 json: cannot unmarshal number 3000000000 into Go struct field … of type int32",
    path: "spec.replicas",
    message: /^must be a 32-bit integer \(got number 3000000000\)$/,
  },
  {
    name: "an int64 out of range",
    edit: (d) => (podSpec(d).terminationGracePeriodSeconds = 9.3e18),
    server: "400 json: cannot unmarshal number 9300000000000000000 into Go struct field … of type int64",
    path: "spec.template.spec.terminationGracePeriodSeconds",
    message: /^must be a 64-bit integer/,
  },
  {
    name: "a string for a boolean (YAML 1.1 `'true'` quoted)",
    edit: (d) => (d.spec.paused = "true"),
    server: "400 json: cannot unmarshal string into Go struct field DeploymentSpec.spec.paused of type bool",
    path: "spec.paused",
    message: /^must be boolean \(got string "true"\)$/,
  },
  {
    name: "a number for a string (an unquoted env value)",
    edit: (d) => (container(d).env = [{ name: "PORT", value: 8080 }]),
    server: "400 json: cannot unmarshal number into Go struct field EnvVar…env.value of type string",
    path: "spec.template.spec.containers[name=web].env[name=PORT].value",
    message: /^must be string \(got number 8080\)$/,
  },
  {
    name: "a boolean for a string (YAML 1.1 `yes`)",
    edit: (d) => (container(d).env = [{ name: "DEBUG", value: true }]),
    server: "400 json: cannot unmarshal bool into Go struct field EnvVar…env.value of type string",
    path: "spec.template.spec.containers[name=web].env[name=DEBUG].value",
    message: /^must be string \(got boolean true\)$/,
  },
  {
    name: "a number as a label value",
    edit: (d) => (d.metadata.labels = { version: 2 }),
    server:
      "400 json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string",
    path: "metadata.labels.version",
    message: /^must be string \(got number 2\)$/,
  },
  {
    name: "an object for a list",
    edit: (d) => (podSpec(d).containers = { name: "web", image: "nginx" }),
    server:
      "400 json: cannot unmarshal object into Go struct field PodSpec…containers of type []v1.Container",
    path: "spec.template.spec.containers",
    message: /^must be array \(got an object\)$/,
  },
  {
    name: "int-or-string: a fraction",
    edit: (d) => (d.spec.strategy = { rollingUpdate: { maxSurge: 1.5 } }),
    server: "400 json: cannot unmarshal number 1.5 into Go struct field …maxSurge of type int32",
    path: "spec.strategy.rollingUpdate.maxSurge",
    message: /^must be integer or string \(got number 1.5\)$/,
  },
  {
    name: "int-or-string: a boolean",
    edit: (d) => (d.spec.strategy = { rollingUpdate: { maxUnavailable: true } }),
    server: "400 json: cannot unmarshal bool into Go struct field …maxUnavailable of type int32",
    path: "spec.strategy.rollingUpdate.maxUnavailable",
    message: /^must be integer or string \(got boolean true\)$/,
  },
  {
    name: "a quantity with a wrong suffix",
    edit: (d) => (container(d).resources = { limits: { memory: "100mi" } }),
    server: "400 unable to parse quantity's suffix",
    path: "spec.template.spec.containers[name=web].resources.limits.memory",
    message: /^must be a quantity such as 250m, 1.5, 512Mi or 2Gi \(got string "100mi"\)$/,
  },
  {
    name: "a quantity with K for Ki",
    edit: (d) => (container(d).resources = { requests: { memory: "512K" } }),
    server: "400 unable to parse quantity's suffix",
    path: "spec.template.spec.containers[name=web].resources.requests.memory",
    message: /must be a quantity/,
  },
  {
    name: "a quantity with a space inside",
    edit: (d) => (container(d).resources = { limits: { cpu: "1 Gi" } }),
    server: "400 quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    path: "spec.template.spec.containers[name=web].resources.limits.cpu",
    message: /must be a quantity/,
  },
  {
    name: "an empty quantity",
    edit: (d) => (container(d).resources = { limits: { cpu: "" } }),
    server: "400 quantities must match the regular expression …",
    path: "spec.template.spec.containers[name=web].resources.limits.cpu",
    message: /must be a quantity/,
  },
  {
    name: "a time that Go's RFC 3339 parser refuses",
    edit: (d) => (d.metadata.creationTimestamp = "2024-01-01 00:00:00Z"),
    server:
      '400 parsing time "2024-01-01 00:00:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse " 00:00:00Z" as "T"',
    path: "metadata.creationTimestamp",
    message: /^must be an RFC 3339 time/,
  },
  {
    name: "spec.selector missing",
    edit: (d) => delete d.spec.selector,
    server: "422 spec.selector: Required value",
    path: "spec.selector",
    message: /^is required$/,
  },
  {
    name: "spec.selector null",
    edit: (d) => (d.spec.selector = null),
    server: "422 spec.selector: Required value",
    path: "spec.selector",
    message: /^must be object \(got null\)$/,
  },
  {
    name: "spec.template missing",
    edit: (d) => delete d.spec.template,
    server: "422 spec.template.spec.containers: Required value",
    path: "spec.template",
    message: /^is required$/,
  },
  {
    name: "a container without a name",
    edit: (d) => delete container(d).name,
    server: "422 spec.template.spec.containers[0].name: Required value",
    path: "spec.template.spec.containers[0].name",
    message: /^is required$/,
  },
  {
    name: "a container with an empty name (Go cannot tell it from none)",
    edit: (d) => (container(d).name = ""),
    server: "422 spec.template.spec.containers[0].name: Required value",
    path: "spec.template.spec.containers[0].name",
    message: /^must not be empty$/,
  },
  {
    name: "a container without an image",
    edit: (d) => delete container(d).image,
    server: "422 spec.template.spec.containers[0].image: Required value",
    path: "spec.template.spec.containers[name=web].image",
    message: /^is required$/,
  },
  {
    name: "no containers",
    edit: (d) => (podSpec(d).containers = []),
    server: "422 spec.template.spec.containers: Required value",
    path: "spec.template.spec.containers",
    message: /^must have at least 1 item/,
  },
  {
    name: "a null container (decoded as one without a name)",
    edit: (d) => podSpec(d).containers.push(null),
    server: "422 spec.template.spec.containers[1].name: Required value",
    path: "spec.template.spec.containers[1]",
    message: /^must be object \(got null\)$/,
  },
  {
    name: "an env var without a name",
    edit: (d) => (container(d).env = [{ value: "1" }]),
    server: "422 spec.template.spec.containers[0].env[0].name: Required value",
    path: "spec.template.spec.containers[name=web].env[0].name",
    message: /^is required$/,
  },
  {
    name: "a port without containerPort",
    edit: (d) => (container(d).ports = [{ name: "http" }]),
    server: "422 spec.template.spec.containers[0].ports[0].containerPort: Required value",
    path: "spec.template.spec.containers[name=web].ports[0].containerPort",
    message: /^is required$/,
  },
  {
    name: "metadata.name absent",
    edit: (d) => delete d.metadata.name,
    server: "422 metadata.name: Required value: name or generateName is required",
    path: "metadata.name",
    message: /^is required$/,
  },
  {
    name: "an enum value the server does not support",
    edit: (d) => (container(d).imagePullPolicy = "Sometimes"),
    server:
      '422 …imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"',
    path: "spec.template.spec.containers[name=web].imagePullPolicy",
    message: /^must be one of "Always", "IfNotPresent", "Never" \(got string "Sometimes"\)$/,
  },
  {
    name: "an enum value in the wrong case",
    edit: (d) => (container(d).ports = [{ containerPort: 80, protocol: "tcp" }]),
    server: '422 …ports[0].protocol: Unsupported value: "tcp": supported values: "SCTP", "TCP", "UDP"',
    path: "spec.template.spec.containers[name=web].ports[containerPort=80,protocol=tcp].protocol",
    message: /^must be one of "SCTP", "TCP", "UDP"/,
  },
  {
    name: "a required field of a nested struct (seccompProfile.type)",
    edit: (d) => (podSpec(d).securityContext = { seccompProfile: {} }),
    server: "422 …seccompProfile.type: Required value: type is required when seccompProfile is set",
    path: "spec.template.spec.securityContext.seccompProfile.type",
    message: /^is required$/,
  },
];

describe(`checkDeploymentSchema (Kubernetes ${SCHEMA_KUBERNETES_VERSION})`, () => {
  test("the manifest the tests build passes", () => {
    expect(checkDeploymentSchema(deploymentManifest())).toEqual([]);
  });

  test.each(refusals)("refuses $name (server: $server)", ({ edit, path, message }) => {
    const problems = checkDeploymentSchema(edited(edit));
    expect(problems.map((p) => p.path)).toEqual([path]);
    expect(problems[0]?.message).toMatch(message);
  });

  test("lists every problem of one object, sorted by path", () => {
    const problems = checkDeploymentSchema(
      edited((d) => {
        d.spec.replicas = "x";
        d.foo = 1;
        delete container(d).image;
      }),
    );
    expect(problems.map((p) => p.path)).toEqual([
      "foo",
      "spec.replicas",
      "spec.template.spec.containers[name=web].image",
    ]);
  });

  test("gives the place as keys and indexes too, for finding its line", () => {
    const [problem] = checkDeploymentSchema(edited((d) => (container(d).env = [{ name: "A", value: 1 }])));
    expect(problem?.segments).toEqual(["spec", "template", "spec", "containers", 0, "env", 0, "value"]);
  });

  test("a quantity of a million spaces and a letter is refused in linear time (a backtracking pattern took minutes)", () => {
    checkDeploymentSchema(deploymentManifest()); // compiled before the clock starts
    const started = performance.now();
    const problems = checkDeploymentSchema(
      edited((d) => (container(d).resources = { limits: { cpu: `${" ".repeat(1_000_000)}x` } })),
    );
    expect(problems[0]?.message).toMatch(/must be a quantity/);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  test("quotes keys that are not identifiers, as driftguard's paths do", () => {
    const [problem] = checkDeploymentSchema(edited((d) => (d.metadata.annotations = { "example.com/x": 1 })));
    expect(problem?.path).toBe('metadata.annotations["example.com/x"]');
  });
});

interface Acceptance {
  name: string;
  edit: Edit;
  /** Why the server takes it (checked against v1.36.3). */
  server: string;
}

const acceptances: Acceptance[] = [
  {
    name: "null for an optional field",
    edit: (d) => {
      d.spec.replicas = null;
      d.metadata.creationTimestamp = null;
      container(d).resources = null;
      container(d).env = null;
    },
    server:
      "201: Go decodes null as not set (`creationTimestamp: null` is what kubectl create -o yaml prints)",
  },
  {
    name: "null as a map value or a string list element",
    edit: (d) => {
      d.metadata.labels = { a: null };
      container(d).args = [null];
      container(d).resources = { limits: { cpu: null } };
    },
    server: "201: the zero value, an empty string",
  },
  {
    name: "null in a list whose elements need nothing",
    edit: (d) => (podSpec(d).imagePullSecrets = [null]),
    server: '201 with a warning: spec.template.spec.imagePullSecrets[0].name: invalid empty name ""',
  },
  {
    name: "int-or-string: a percentage and an integer",
    edit: (d) => (d.spec.strategy = { rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } }),
    server: "201",
  },
  {
    name: "quantities as numbers, with exponents and surrounding spaces",
    edit: (d) =>
      (container(d).resources = {
        limits: { cpu: 0.5, memory: "1Gi " },
        requests: { cpu: "1e3", memory: " 512Mi", "ephemeral-storage": "1E" },
      }),
    server: "201: ParseQuantity trims spaces; E is exa",
  },
  {
    name: "an empty enum value (the server defaults it)",
    edit: (d) => {
      container(d).imagePullPolicy = "";
      d.spec.strategy = { type: "" };
      podSpec(d).restartPolicy = "";
    },
    server: "201",
  },
  {
    name: "duplicate env names and ports (list-map keys are not checked)",
    edit: (d) => {
      container(d).env = [
        { name: "A", value: "1" },
        { name: "A", value: "2" },
      ];
      container(d).ports = [{ containerPort: 80 }, { containerPort: 80 }];
    },
    server: '201 with warnings: "env[1]: hides previous definition of "A"", "duplicate port definition"',
  },
  {
    name: "required fields the validation does not check",
    edit: (d) => {
      container(d).livenessProbe = { httpGet: { port: "http", httpHeaders: [{ name: "X-A" }] } };
      podSpec(d).securityContext = { sysctls: [{ name: "net.core.somaxconn" }] };
      container(d).lifecycle = { preStop: { sleep: {} } };
    },
    server: "201: an empty header value, an empty sysctl value, a sleep of 0 seconds",
  },
  {
    name: "any value in managedFields' fieldsV1",
    edit: (d) => (d.metadata.managedFields = [{ manager: "x", fieldsV1: { "f:spec": { weird: [1] } } }]),
    server: "201: FieldsV1 keeps raw JSON",
  },
  {
    name: "status without required condition fields",
    edit: (d) => (d.status = { conditions: [{ status: "True" }] }),
    server: "201: status is reset on create",
  },
  {
    name: "times with a fraction and an offset",
    edit: (d) => (d.metadata.creationTimestamp = "2024-01-01T00:00:00.123+01:00"),
    server: "201",
  },
];

describe("what the API server accepts passes", () => {
  test.each(acceptances)("$name (server: $server)", ({ edit }) => {
    expect(checkDeploymentSchema(edited(edit))).toEqual([]);
  });
});

describe("isGoRfc3339: Go's time.Parse(time.RFC3339, …), as metav1.Time decodes", () => {
  test.each([
    ["2024-01-02T03:04:05Z", true],
    ["2024-01-02T03:04:05.123456789Z", true],
    ["2024-01-02T03:04:05-07:30", true],
    ["2024-02-29T00:00:00Z", true],
    ["0000-01-01T00:00:00Z", true],
    ["2023-02-29T00:00:00Z", false],
    ["2024-02-30T00:00:00Z", false],
    ["2024-13-01T00:00:00Z", false],
    ["2024-01-01T25:00:00Z", false],
    ["2024-01-01T00:00:60Z", false],
    ["2024-01-01t00:00:00z", false],
    ["2024-01-01 00:00:00Z", false],
    ["2024-01-01T00:00:00", false],
    ["2024-01-01T00:00:00.Z", false],
    ["2024-01-01T00:00:00+0100", false],
    ["2024-01-01", false],
    ["", false],
  ])("%s → %s", (text, expected) => {
    expect(isGoRfc3339(text)).toBe(expected);
  });
});

describe.skipIf(!corpusPresent)("every Deployment of the shared corpus passes", () => {
  if (!corpusPresent) console.warn(CORPUS_SKIP_REASON);
  test("no false errors", () => {
    const deployments = corpusDeployments();
    const failing = deployments
      .map((d) => ({
        where: `${d.file}#${d.index} ${d.name}`,
        problems: checkDeploymentSchema(d.manifest as JsonObject),
      }))
      .filter((d) => d.problems.length > 0);
    process.stdout.write(
      `schema check: ${deployments.length} corpus Deployments, ${failing.length} refused\n`,
    );
    expect(deployments.length).toBeGreaterThan(100);
    expect(failing).toEqual([]);
  });
});
