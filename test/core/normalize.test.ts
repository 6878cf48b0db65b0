// Table of docs/contract.md §3 rules: Git's spelling vs what the API server stores, compared after normalize.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { prepareDesired } from "../../src/core/desired.js";
import { diff } from "../../src/core/diff.js";
import { normalize } from "../../src/core/normalize.js";
import { formatPath } from "../../src/core/paths.js";
import type { JsonObject } from "../../src/core/types.js";
import { testPolicy } from "../support/policy.js";

type O = JsonObject;
const policy = testPolicy();

function deployment(pod: O = {}, spec: O = {}, metadata: O = {}): O {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", ...metadata },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: { containers: [{ name: "web", image: "nginx:1.25" }], ...pod },
      },
      ...spec,
    },
  };
}

const withContainer = (c: O, pod: O = {}) =>
  deployment({ containers: [{ name: "web", image: "nginx:1.25", ...c }], ...pod });

function drifts(git: O, live: O): string[] {
  const desired = prepareDesired(
    git,
    { namespace: "default", name: "web" },
    { source: "s", commit: "c", file: "f" },
    policy,
  );
  return diff(desired.normalized, normalize(live, desired.options).object, desired.lenient).map((d) =>
    formatPath(d.path),
  );
}

// [rule, Git, live as stored, expected drift paths]
const CASES: [string, O, O, string[]][] = [
  [
    "strategy defaults",
    deployment(),
    deployment(
      {},
      {
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
        revisionHistoryLimit: 10,
        progressDeadlineSeconds: 600,
      },
    ),
    [],
  ],
  [
    "pod defaults",
    deployment(),
    deployment({
      dnsPolicy: "ClusterFirst",
      restartPolicy: "Always",
      securityContext: {},
      terminationGracePeriodSeconds: 30,
      schedulerName: "default-scheduler",
    }),
    [],
  ],
  [
    "container defaults",
    deployment(),
    withContainer({
      imagePullPolicy: "IfNotPresent",
      terminationMessagePath: "/dev/termination-log",
      terminationMessagePolicy: "File",
      resources: {},
    }),
    [],
  ],
  [
    "imagePullPolicy sticky after set image to latest",
    withContainer({ image: "nginx:latest" }),
    withContainer({ image: "nginx:latest", imagePullPolicy: "IfNotPresent" }),
    [],
  ],
  [
    "imagePullPolicy Never is drift",
    deployment(),
    withContainer({ imagePullPolicy: "Never" }),
    ["spec.template.spec.containers[name=web].imagePullPolicy"],
  ],
  [
    "port protocol",
    withContainer({ ports: [{ containerPort: 80 }] }),
    withContainer({ ports: [{ containerPort: 80, protocol: "TCP" }] }),
    [],
  ],
  [
    "probe defaults",
    withContainer({ livenessProbe: { httpGet: { port: 80 } } }),
    withContainer({
      livenessProbe: {
        httpGet: { port: 80, path: "/", scheme: "HTTP" },
        timeoutSeconds: 1,
        periodSeconds: 10,
        successThreshold: 1,
        failureThreshold: 3,
      },
    }),
    [],
  ],
  [
    "grpc service",
    withContainer({ readinessProbe: { grpc: { port: 9 } } }),
    withContainer({
      readinessProbe: {
        grpc: { port: 9, service: "" },
        timeoutSeconds: 1,
        periodSeconds: 10,
        successThreshold: 1,
        failureThreshold: 3,
      },
    }),
    [],
  ],
  [
    "fieldRef apiVersion",
    withContainer({ env: [{ name: "N", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }] }),
    withContainer({
      env: [{ name: "N", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } } }],
    }),
    [],
  ],
  [
    "divisor",
    withContainer({ env: [{ name: "C", valueFrom: { resourceFieldRef: { resource: "limits.cpu" } } }] }),
    withContainer({
      env: [{ name: "C", valueFrom: { resourceFieldRef: { resource: "limits.cpu", divisor: "0" } } }],
    }),
    [],
  ],
  [
    "volume defaultMode",
    deployment({ volumes: [{ name: "c", configMap: { name: "x" } }] }),
    deployment({ volumes: [{ name: "c", configMap: { name: "x", defaultMode: 420 } }] }),
    [],
  ],
  [
    "volume without source",
    deployment({ volumes: [{ name: "tmp" }] }),
    deployment({ volumes: [{ name: "tmp", emptyDir: {} }] }),
    [],
  ],
  [
    "hostPath type",
    deployment({ volumes: [{ name: "h", hostPath: { path: "/x" } }] }),
    deployment({ volumes: [{ name: "h", hostPath: { path: "/x", type: "" } }] }),
    [],
  ],
  [
    "token expiration",
    deployment({
      volumes: [{ name: "t", projected: { sources: [{ serviceAccountToken: { path: "t" } }] } }],
    }),
    deployment({
      volumes: [
        {
          name: "t",
          projected: {
            defaultMode: 420,
            sources: [{ serviceAccountToken: { path: "t", expirationSeconds: 3600 } }],
          },
        },
      ],
    }),
    [],
  ],
  [
    "quantities by value",
    withContainer({ resources: { limits: { cpu: 0.5, memory: "1024Mi" } } }),
    withContainer({ resources: { limits: { cpu: "500m", memory: "1Gi" } } }),
    [],
  ],
  [
    "quantity change",
    withContainer({ resources: { limits: { cpu: "1" } } }),
    withContainer({ resources: { limits: { cpu: "2" } } }),
    ["spec.template.spec.containers[name=web].resources.limits.cpu"],
  ],
  [
    "int-or-string kept distinct",
    withContainer({ livenessProbe: { tcpSocket: { port: 8080 } } }),
    withContainer({ livenessProbe: { tcpSocket: { port: "http" } } }),
    ["spec.template.spec.containers[name=web].livenessProbe.tcpSocket.port"],
  ],
  [
    "omitempty scalars collapse",
    withContainer({ env: [{ name: "E", value: "" }], stdin: false }, { hostNetwork: false }),
    withContainer({ env: [{ name: "E" }] }),
    [],
  ],
  [
    "paused false and minReadySeconds 0",
    deployment({}, { paused: false, minReadySeconds: 0 }),
    deployment(),
    [],
  ],
  [
    "empty lists and maps collapse",
    withContainer({ args: [], env: [] }, { nodeSelector: {}, tolerations: [] }),
    deployment(),
    [],
  ],
  [
    "pointer false kept",
    deployment(),
    deployment({ automountServiceAccountToken: false }),
    ["spec.template.spec.automountServiceAccountToken"],
  ],
  ["replicas 0 kept", deployment(), deployment({}, { replicas: 0 }), ["spec.replicas"]],
  [
    "empty labelSelector differs from none",
    deployment({
      affinity: {
        podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "k" }] },
      },
    }),
    deployment({
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "k", labelSelector: {} }],
        },
      },
    }),
    ["spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution"],
  ],
  [
    "serviceAccount mirrored",
    deployment({ serviceAccount: "a" }),
    deployment({ serviceAccount: "a", serviceAccountName: "a" }),
    [],
  ],
  [
    "server-owned fields dropped",
    deployment(),
    {
      ...deployment(
        {},
        {},
        {
          uid: "u",
          resourceVersion: "9",
          generation: 3,
          creationTimestamp: "t",
          managedFields: [{}],
          selfLink: "s",
        },
      ),
      status: { replicas: 2 },
    },
    [],
  ],
  [
    "template creationTimestamp dropped",
    deployment(),
    deployment(
      {},
      {
        template: {
          metadata: { labels: { app: "web" }, creationTimestamp: null },
          spec: { containers: [{ name: "web", image: "nginx:1.25" }] },
        },
      },
    ),
    [],
  ],
  [
    "tool annotations ignored",
    deployment(),
    deployment(
      {},
      {},
      {
        annotations: {
          "deployment.kubernetes.io/revision": "3",
          "kubectl.kubernetes.io/last-applied-configuration": "{}",
        },
      },
    ),
    [],
  ],
  [
    "rollout restart ignored",
    deployment(),
    deployment(
      {},
      {
        template: {
          metadata: {
            labels: { app: "web" },
            annotations: { "kubectl.kubernetes.io/restartedAt": "2026-11-24T08:00:00+01:00" },
          },
          spec: { containers: [{ name: "web", image: "nginx:1.25" }] },
        },
      },
    ),
    [],
  ],
  [
    "ownerReferences compared",
    deployment(),
    deployment({}, {}, { ownerReferences: [{ apiVersion: "v1", kind: "X", name: "x", uid: "1" }] }),
    ["metadata.ownerReferences"],
  ],
  [
    "finalizers compared",
    deployment(),
    deployment({}, {}, { finalizers: ["example.com/hold"] }),
    ["metadata.finalizers"],
  ],
  [
    "env reorder",
    withContainer({
      env: [
        { name: "A", value: "1" },
        { name: "B", value: "2" },
      ],
    }),
    withContainer({
      env: [
        { name: "B", value: "2" },
        { name: "A", value: "1" },
      ],
    }),
    ["spec.template.spec.containers[name=web].env[order]"],
  ],
  [
    "ports reorder is no drift",
    withContainer({ ports: [{ containerPort: 80 }, { containerPort: 81 }] }),
    withContainer({ ports: [{ containerPort: 81 }, { containerPort: 80 }] }),
    [],
  ],
  [
    "duplicate env key",
    withContainer({ env: [{ name: "A", value: "1" }] }),
    withContainer({
      env: [
        { name: "A", value: "1" },
        { name: "A", value: "1" },
      ],
    }),
    ["spec.template.spec.containers[name=web].env[name=A#2]"],
  ],
  [
    "args compared whole",
    withContainer({ args: ["--a", "--b"] }),
    withContainer({ args: ["--a", "--c"] }),
    ["spec.template.spec.containers[name=web].args"],
  ],
  [
    "extra nodeSelector",
    deployment(),
    deployment({ nodeSelector: { pool: "x" } }),
    ["spec.template.spec.nodeSelector"],
  ],
  [
    "empty label value is a value",
    deployment({}, {}, { labels: { tier: "" } }),
    deployment(),
    ["metadata.labels"],
  ],
  [
    "init-container annotations dropped",
    deployment(),
    deployment(
      {},
      {
        template: {
          metadata: {
            labels: { app: "web" },
            annotations: { "pod.beta.kubernetes.io/init-containers": "[]" },
          },
          spec: { containers: [{ name: "web", image: "nginx:1.25" }] },
        },
      },
    ),
    [],
  ],
];

describe("normalize: docs/contract.md §3 rules", () => {
  it.each(CASES)("%s", (_rule, git, live, expected) => {
    expect(drifts(git, live)).toEqual(expected);
  });

  it("replicas are unmanaged when Git leaves them out", () => {
    const git = deployment();
    delete (git.spec as O).replicas;
    expect(drifts(git, deployment({}, { replicas: 7 }))).toEqual([]);
  });
});

const jsonValue = fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<JsonObject[string]>;
const podSpecs = fc.record({
  containers: fc.array(
    fc.record({
      name: fc.constantFrom("a", "b", "c"),
      image: fc.constantFrom("x", "y:latest", "z:1"),
      env: fc.option(fc.array(fc.record({ name: fc.constantFrom("A", "B"), value: fc.string() }))),
      extra: jsonValue,
    }),
    { minLength: 1, maxLength: 3 },
  ),
  nodeSelector: fc.option(fc.dictionary(fc.string(), fc.string())),
  volumes: fc.option(
    fc.array(fc.record({ name: fc.string(), configMap: fc.option(fc.record({ name: fc.string() })) })),
  ),
});

describe("normalize: properties", () => {
  const selfSame = (pod: O, replicas: number | null) => {
    const git = deployment(pod, replicas === null ? {} : { replicas });
    const desired = prepareDesired(
      git,
      { namespace: "d", name: "web" },
      { source: "s", commit: "c", file: "f" },
      policy,
    );
    const once = normalize(git, desired.options).object;
    expect(normalize(once, desired.options).object).toEqual(once);
    expect(diff(desired.normalized, once, desired.lenient)).toEqual([]);
  };

  it("is idempotent on a counterexample fast-check found: a field named like Object's own, duplicate names", () => {
    const extra = (value: O) => ({ name: "a", image: "x", env: null, extra: value });
    selfSame(
      { containers: [extra({ toString: [false] }), extra({})], nodeSelector: null, volumes: null },
      null,
    );
  });

  it("is idempotent and an object never drifts from itself", () => {
    fc.assert(fc.property(podSpecs, fc.option(fc.nat(5)), (pod, replicas) => selfSame(pod as O, replicas)));
  });
});

describe("normalize: work bounded by the size of the object", () => {
  // The body limit lets a request carry tens of thousands of list elements; numbering duplicates and
  // comparing order must stay linear in them (both were quadratic: minutes for one request).
  it("numbers 50,000 copies of one env name, and compares their order", () => {
    const env = Array.from({ length: 50_000 }, (_, i) => ({ name: "X", value: String(i) }));
    const git = deployment({ containers: [{ name: "a", image: "x", env }] });
    const desired = prepareDesired(
      git,
      { namespace: "d", name: "web" },
      { source: "s", commit: "c", file: "f" },
      policy,
    );
    const container = (((desired.normalized.spec as O).template as O).spec as O).containers as O;
    const keyed = container["[name=a]"] as O;
    const order = (keyed.env as O)["[order]"] as string[];
    expect(order).toHaveLength(50_000);
    expect(order.at(-1)).toBe("[name=X#50000]");
    const reversed = deployment({ containers: [{ name: "a", image: "x", env: [...env].reverse() }] });
    expect(
      diff(desired.normalized, normalize(reversed, desired.options).object, desired.lenient).length,
    ).toBeGreaterThan(0);
  });
});
