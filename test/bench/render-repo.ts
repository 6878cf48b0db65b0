// The repository of the render part, generated the same on every run: Kustomize overlays over a few
// shared bases, and Helm releases of one chart.
//   bases/<service>/                 Deployment + Service, labels (5 bases)
//   overlays/<service>/<env>/        namespace, images, a patch, a configMapGenerator (20 per base)
//   releases/web-<n>/                an umbrella chart: Chart.yaml naming the one chart `web` as a
//                                    dependency, vendored as charts/web-1.0.0.tgz (the same blob in every
//                                    release), and values.yaml with the release's replicas and image tag
// Why umbrellas: driftguard keys an app by its path (one app per folder and source), so a hundred
// releases of one chart are a hundred folders that vendor it, as `helm dependency build` leaves them.
// Every file comes from a function of its index and a revision number, so that a change is "the same
// file at revision 1", and the apps a change must render again are known from the layout alone.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { stringify } from "yaml";
import type { JsonObject } from "../../src/core/types.js";
import { chartArchive } from "./chart-archive.js";
import { deployment } from "./deployment.js";
import { intBetween, seeded } from "./random.js";

export interface RenderRepoShape {
  bases: number;
  overlaysPerBase: number;
  releases: number;
}

/** The repository: 100 overlays over 5 bases, 100 releases of one chart. */
export const BENCH_SHAPE: RenderRepoShape = { bases: 5, overlaysPerBase: 20, releases: 100 };

export interface RenderApp {
  /** The app's folder, as the config names it. */
  path: string;
  type: "kustomize" | "helm";
  /** Where its one Deployment lands. */
  namespace: string;
  deployment: string;
  /** Kustomize: the base folder it builds on. */
  base?: string;
  /** Helm: the release name the config gives. */
  releaseName?: string;
}

export type RepoFiles = Record<string, string | Buffer>;

export interface RenderRepo {
  files: RepoFiles;
  apps: RenderApp[];
}

/** A commit's files, and the apps whose inputs it changes (those that must be rendered again). */
export interface RepoChange {
  /** What a team touched, as the table says it. */
  what: "one overlay" | "a shared base" | "one release's values";
  /** Which one. */
  where: string;
  files: RepoFiles;
  rendersAgain: RenderApp[];
}

const SERVICES = ["web", "api", "worker", "cache", "gateway", "search", "billing", "auth"];
const CHART = "web";
const CHART_VERSION = "1.0.0";
const TEAMS = 10;

export function renderRepo(shape: RenderRepoShape): RenderRepo {
  if (shape.bases > SERVICES.length) throw new Error(`render repo: at most ${SERVICES.length} bases`);
  const files: RepoFiles = {};
  const apps: RenderApp[] = [];
  for (let b = 0; b < shape.bases; b++) {
    Object.assign(files, baseFiles(b, 0));
    for (let e = 0; e < shape.overlaysPerBase; e++) {
      Object.assign(files, overlayFiles(b, e, 0));
      apps.push(overlayApp(b, e));
    }
  }
  const archive = chartArchive(CHART, chartFiles());
  for (let r = 0; r < shape.releases; r++) {
    Object.assign(files, releaseFiles(r, 0));
    files[`${releaseApp(r).path}/charts/${CHART}-${CHART_VERSION}.tgz`] = archive;
    apps.push(releaseApp(r));
  }
  return { files, apps };
}

/** A new replica count in one overlay's patch: that overlay alone renders again. */
export function touchOverlay(base: number, env: number, revision: number): RepoChange {
  const app = overlayApp(base, env);
  const files = { [`${app.path}/patch.yaml`]: overlayPatch(base, env, revision) };
  return { what: "one overlay", where: app.path, files, rendersAgain: [app] };
}

/** A new env value in a shared base's Deployment: every overlay over that base renders again. */
export function touchBase(repo: RenderRepo, base: number, revision: number): RepoChange {
  const folder = baseFolder(base);
  const files = { [`${folder}/deployment.yaml`]: baseDeployment(base, revision) };
  const rendersAgain = repo.apps.filter((app) => app.base === folder);
  return { what: "a shared base", where: `${folder}, ${rendersAgain.length} overlays`, files, rendersAgain };
}

/** A new image tag in one release's values: that release alone renders again. */
export function touchRelease(release: number, revision: number): RepoChange {
  const app = releaseApp(release);
  const files = { [`${app.path}/values.yaml`]: releaseValues(release, revision) };
  return { what: "one release's values", where: app.path, files, rendersAgain: [app] };
}

/** Writes files under `dir`, making folders as needed. */
export async function writeRepoFiles(dir: string, files: RepoFiles): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

/** The `paths` entries of a source for these apps, as an admin writes them (type left to `auto`). */
export function appEntries(apps: readonly RenderApp[]): string {
  return apps
    .map((app) =>
      app.type === "kustomize"
        ? `      - path: ${app.path}`
        : `      - path: ${app.path}\n        namespace: ${app.namespace}\n        helm: {releaseName: ${app.releaseName}}`,
    )
    .join("\n");
}

// --- Kustomize: bases and overlays ---

function baseFolder(base: number): string {
  return `bases/${SERVICES[base]}`;
}

function envName(env: number): string {
  return `env-${String(env).padStart(2, "0")}`;
}

function overlayApp(base: number, env: number): RenderApp {
  const service = SERVICES[base] as string;
  return {
    path: `overlays/${service}/${envName(env)}`,
    type: "kustomize",
    namespace: envName(env),
    deployment: service,
    base: baseFolder(base),
  };
}

function baseFiles(base: number, revision: number): RepoFiles {
  const service = SERVICES[base] as string;
  const folder = baseFolder(base);
  return {
    [`${folder}/kustomization.yaml`]: [
      "apiVersion: kustomize.config.k8s.io/v1beta1",
      "kind: Kustomization",
      "labels:",
      "  - pairs: {app.kubernetes.io/part-of: shop}",
      "resources: [deployment.yaml, service.yaml]",
      "",
    ].join("\n"),
    [`${folder}/deployment.yaml`]: baseDeployment(base, revision),
    [`${folder}/service.yaml`]: stringify({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: service },
      spec: {
        selector: { "app.kubernetes.io/name": service },
        ports: [{ name: "http", port: 80, targetPort: "http" }],
      },
    }),
  };
}

/** A full Deployment of the bench's usual shape (probes, env, volumes, a sidecar on odd bases). */
function baseDeployment(base: number, revision: number): string {
  return stringify(baseManifest(base, revision));
}

function baseManifest(base: number, revision: number): JsonObject {
  const service = SERVICES[base] as string;
  const manifest = deployment(
    {
      name: service,
      namespace: "shop",
      containers: base % 2 === 0 ? 1 : 2,
      initContainers: base % 3 === 0 ? 1 : 0,
      envPerContainer: 10,
      replicas: 2,
    },
    seeded(1_000 + base),
  );
  delete (manifest.metadata as JsonObject).namespace; // a base leaves the namespace to its overlays
  (firstContainer(manifest).env as JsonObject[]).push({ name: "CONFIG_REVISION", value: String(revision) });
  return manifest;
}

function firstContainer(manifest: JsonObject): JsonObject {
  const template = (manifest.spec as JsonObject).template as JsonObject;
  return ((template.spec as JsonObject).containers as JsonObject[])[0] as JsonObject;
}

/** The image name of a base's app container, as the overlay's `images` entry matches it. */
function baseImageName(base: number): string {
  const image = firstContainer(baseManifest(base, 0)).image as string;
  return image.slice(0, image.lastIndexOf(":"));
}

function overlayFiles(base: number, env: number, revision: number): RepoFiles {
  const service = SERVICES[base] as string;
  const folder = overlayApp(base, env).path;
  const random = seeded(2_000 + base * 100 + env);
  const tag = `${intBetween(random, 2, 5)}.${intBetween(random, 0, 40)}.${intBetween(random, 0, 9)}`;
  return {
    [`${folder}/kustomization.yaml`]: [
      "apiVersion: kustomize.config.k8s.io/v1beta1",
      "kind: Kustomization",
      `namespace: ${envName(env)}`,
      "resources:",
      `  - ../../../${baseFolder(base)}`,
      "images:",
      `  - name: ${baseImageName(base)}`,
      `    newTag: "${tag}"`,
      "patches:",
      "  - path: patch.yaml",
      "configMapGenerator:",
      `  - name: ${service}-config`,
      "    files: [config.yaml]",
      `    literals: [ENVIRONMENT=${envName(env)}, REGION=region-${env % 3}]`,
      "",
    ].join("\n"),
    [`${folder}/patch.yaml`]: overlayPatch(base, env, revision),
    [`${folder}/config.yaml`]: `environment: ${envName(env)}\nlogLevel: ${env % 2 === 0 ? "info" : "debug"}\nfeatures: [search, checkout]\n`,
  };
}

/** A strategic-merge patch: replicas (moved by the revision), memory and one env var of the app container. */
function overlayPatch(base: number, env: number, revision: number): string {
  const service = SERVICES[base] as string;
  return stringify({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: service },
    spec: {
      replicas: 2 + (env % 4) + revision,
      template: {
        spec: {
          containers: [
            {
              name: service,
              resources: { limits: { memory: `${512 + 128 * (env % 4)}Mi` } },
              env: [{ name: "ENVIRONMENT", value: envName(env) }],
            },
          ],
        },
      },
    },
  });
}

// --- Helm: one chart, many releases ---

function releaseApp(release: number): RenderApp {
  const name = `${CHART}-${String(release).padStart(3, "0")}`;
  return {
    path: `releases/${name}`,
    type: "helm",
    namespace: `team-${String(release % TEAMS).padStart(2, "0")}`,
    deployment: name,
    releaseName: name,
  };
}

function releaseFiles(release: number, revision: number): RepoFiles {
  const app = releaseApp(release);
  return {
    [`${app.path}/Chart.yaml`]: [
      "apiVersion: v2",
      `name: ${app.releaseName}`,
      `description: ${app.releaseName} of the ${CHART} chart`,
      "version: 0.1.0",
      "dependencies:",
      `  - name: ${CHART}`,
      `    version: ${CHART_VERSION}`,
      "    repository: oci://charts.example.com/platform",
      "",
    ].join("\n"),
    [`${app.path}/values.yaml`]: releaseValues(release, revision),
  };
}

/** The release's values for the vendored chart: replicas, image tag (moved by the revision), log level. */
function releaseValues(release: number, revision: number): string {
  const random = seeded(3_000 + release);
  const tag = `1.${intBetween(random, 0, 30)}.${intBetween(random, 0, 9) + revision}`;
  return stringify({
    [CHART]: {
      replicaCount: intBetween(random, 1, 6),
      image: { tag },
      config: { logLevel: release % 2 === 0 ? "info" : "warn", team: releaseApp(release).namespace },
    },
  });
}

/** The chart `web`: a Deployment, a Service, a ConfigMap and a ServiceAccount, named by helpers. */
function chartFiles(): Record<string, string> {
  return {
    "Chart.yaml": `apiVersion: v2\nname: ${CHART}\ndescription: A web service\ntype: application\nversion: ${CHART_VERSION}\nappVersion: "1.0.0"\n`,
    "values.yaml": [
      "replicaCount: 1",
      "image:",
      "  repository: registry.example.com/platform/web",
      '  tag: ""',
      "  pullPolicy: IfNotPresent",
      "service: {port: 80}",
      "resources:",
      "  requests: {cpu: 100m, memory: 128Mi}",
      "  limits: {memory: 256Mi}",
      "config: {logLevel: info, team: none}",
      "podAnnotations: {}",
      "",
    ].join("\n"),
    "templates/_helpers.tpl": HELPERS,
    "templates/deployment.yaml": DEPLOYMENT_TEMPLATE,
    "templates/service.yaml": SERVICE_TEMPLATE,
    "templates/configmap.yaml": CONFIGMAP_TEMPLATE,
    "templates/serviceaccount.yaml": SERVICEACCOUNT_TEMPLATE,
  };
}

const HELPERS = `{{/* The chart's name, cut to what a label value holds. */}}
{{- define "web.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: the release name alone when it already holds the chart's name. */}}
{{- define "web.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "web.selectorLabels" -}}
app.kubernetes.io/name: {{ include "web.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "web.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{ include "web.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}
`;

const DEPLOYMENT_TEMPLATE = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "web.fullname" . }}
  labels:
    {{- include "web.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels:
      {{- include "web.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      annotations:
        checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
        {{- with .Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      labels:
        {{- include "web.selectorLabels" . | nindent 8 }}
    spec:
      serviceAccountName: {{ include "web.fullname" . }}
      containers:
        - name: {{ .Chart.Name }}
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: 8080
          env:
            - name: LOG_LEVEL
              value: {{ .Values.config.logLevel | quote }}
            - name: TEAM
              value: {{ .Values.config.team | quote }}
          readinessProbe:
            httpGet: {path: /readyz, port: http}
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
          volumeMounts:
            - {name: config, mountPath: /etc/web}
      volumes:
        - name: config
          configMap:
            name: {{ include "web.fullname" . }}
`;

const SERVICE_TEMPLATE = `apiVersion: v1
kind: Service
metadata:
  name: {{ include "web.fullname" . }}
  labels:
    {{- include "web.labels" . | nindent 4 }}
spec:
  ports:
    - port: {{ .Values.service.port }}
      targetPort: http
      name: http
  selector:
    {{- include "web.selectorLabels" . | nindent 4 }}
`;

const CONFIGMAP_TEMPLATE = `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "web.fullname" . }}
  labels:
    {{- include "web.labels" . | nindent 4 }}
data:
  config.yaml: |
    logLevel: {{ .Values.config.logLevel }}
    team: {{ .Values.config.team }}
`;

const SERVICEACCOUNT_TEMPLATE = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "web.fullname" . }}
  labels:
    {{- include "web.labels" . | nindent 4 }}
`;
