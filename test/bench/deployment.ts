// Deployment manifests as teams keep them in Git: several containers, env (plain and valueFrom), probes,
// resources, volumes and mounts. Shapes are what real manifests hold, so that normalize and diff do the
// work they do in production; values vary with a seeded generator.
import type { JsonObject } from "../../src/core/types.js";
import { intBetween, pick, type Random } from "./random.js";

export interface DeploymentShape {
  name: string;
  namespace: string;
  /** Application containers (the first is the app, the others sidecars). */
  containers: number;
  initContainers: number;
  envPerContainer: number;
  replicas?: number;
  annotations?: Record<string, string>;
  /** A small service: one probe, no volumes, no security context, no scheduling constraints (~1 KB of YAML). */
  lean?: boolean;
}

const REGISTRIES = ["registry.example.com/acme", "registry.example.com/platform", "images.example.org/acme"];
const SIDECARS = ["envoy", "fluent-bit", "otel-agent", "vault-agent", "cloudsql-proxy"];
const ENV_NAMES = [
  "LOG_LEVEL",
  "LOG_FORMAT",
  "HTTP_PORT",
  "METRICS_PORT",
  "DATABASE_HOST",
  "DATABASE_PORT",
  "DATABASE_NAME",
  "CACHE_URL",
  "FEATURE_FLAGS",
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_SERVICE_NAME",
  "REQUEST_TIMEOUT",
  "MAX_CONNECTIONS",
  "QUEUE_NAME",
  "REGION",
  "TZ",
];

export function deployment(shape: DeploymentShape, random: Random): JsonObject {
  const labels = shape.lean
    ? { "app.kubernetes.io/name": shape.name }
    : {
        "app.kubernetes.io/name": shape.name,
        "app.kubernetes.io/part-of": shape.namespace,
        "app.kubernetes.io/managed-by": "kubectl",
      };
  const selector = { "app.kubernetes.io/name": shape.name };
  const containers: JsonObject[] = [];
  for (let i = 0; i < shape.containers; i++) containers.push(container(shape, i, random));
  const initContainers: JsonObject[] = [];
  for (let i = 0; i < shape.initContainers; i++) initContainers.push(initContainer(shape.name, i));
  const podSpec: JsonObject = {
    serviceAccountName: shape.name,
    ...(initContainers.length > 0 ? { initContainers } : {}),
    containers,
    ...(shape.lean ? {} : { volumes: volumes(shape.name, shape.containers) }),
    ...(shape.lean
      ? {}
      : {
          nodeSelector: { "kubernetes.io/os": "linux" },
          tolerations: [{ key: "workload", operator: "Equal", value: "general", effect: "NoSchedule" }],
        }),
  };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: shape.name,
      namespace: shape.namespace,
      labels,
      ...(shape.annotations ? { annotations: shape.annotations } : {}),
    },
    spec: {
      ...(shape.replicas === undefined ? {} : { replicas: shape.replicas }),
      selector: { matchLabels: selector },
      template: {
        metadata: {
          labels: { ...labels },
          ...(shape.lean ? {} : { annotations: { "prometheus.io/scrape": "true" } }),
        },
        spec: podSpec,
      },
    },
  };
}

function container(shape: DeploymentShape, index: number, random: Random): JsonObject {
  const app = index === 0;
  const name = app ? shape.name : (SIDECARS[(index - 1) % SIDECARS.length] as string);
  const port = app ? 8080 : 9000 + index;
  const image = `${pick(random, REGISTRIES)}/${name}:${intBetween(random, 1, 4)}.${intBetween(random, 0, 30)}.${intBetween(random, 0, 9)}`;
  return {
    name,
    image,
    ...(app ? { args: ["--config=/etc/app/config.yaml", `--port=${port}`] } : {}),
    ports: [
      { name: "http", containerPort: port },
      ...(app ? [{ name: "metrics", containerPort: 9090 }] : []),
    ],
    env: env(shape, name, random),
    resources: {
      // Git often says cpu as a number (0.5); the API server stores "500m". Both must compare equal.
      requests: { cpu: app ? 0.5 : "100m", memory: app ? "512Mi" : "64Mi" },
      limits: { memory: app ? "1Gi" : "128Mi" },
    },
    ...(shape.lean
      ? { readinessProbe: { httpGet: { path: "/readyz", port } } }
      : app
        ? {
            livenessProbe: { httpGet: { path: "/healthz", port }, initialDelaySeconds: 10 },
            readinessProbe: { httpGet: { path: "/readyz", port }, periodSeconds: 5 },
            startupProbe: { tcpSocket: { port }, failureThreshold: 30 },
          }
        : { readinessProbe: { tcpSocket: { port } } }),
    ...(shape.lean
      ? {}
      : {
          volumeMounts: [
            { name: "config", mountPath: `/etc/${name}`, readOnly: true },
            { name: "tmp", mountPath: "/tmp" },
          ],
        }),
    ...(shape.lean
      ? {}
      : {
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ["ALL"] },
          },
        }),
  };
}

function env(shape: DeploymentShape, containerName: string, random: Random): JsonObject[] {
  const out: JsonObject[] = [
    { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
  ];
  for (let i = 0; out.length < shape.envPerContainer; i++) {
    const name = ENV_NAMES[i % ENV_NAMES.length] as string;
    const suffix = i >= ENV_NAMES.length ? `_${Math.floor(i / ENV_NAMES.length)}` : "";
    if (i % 7 === 6) {
      out.push({
        name: `${name}${suffix}`,
        valueFrom: { secretKeyRef: { name: `${shape.name}-secrets`, key: name.toLowerCase() } },
      });
    } else {
      out.push({ name: `${name}${suffix}`, value: `${containerName}-${intBetween(random, 1, 99_999)}` });
    }
  }
  return out;
}

function initContainer(appName: string, index: number): JsonObject {
  return {
    name: `migrate-${index}`,
    image: `registry.example.com/acme/${appName}-migrations:1.${index}.0`,
    command: ["/bin/migrate", "--wait-for-db", "--timeout=120s"],
    env: [{ name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: `${appName}-db`, key: "url" } } }],
    resources: { requests: { cpu: "50m", memory: "64Mi" } },
  };
}

function volumes(appName: string, containers: number): JsonObject[] {
  const out: JsonObject[] = [
    { name: "config", configMap: { name: `${appName}-config` } },
    { name: "tmp", emptyDir: {} },
  ];
  if (containers > 1) {
    out.push({ name: "tls", secret: { secretName: `${appName}-tls` } });
    out.push({
      name: "token",
      projected: {
        sources: [{ serviceAccountToken: { path: "token", expirationSeconds: 3600, audience: "vault" } }],
      },
    });
  }
  return out;
}
