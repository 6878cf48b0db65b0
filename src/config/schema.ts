// The JSON schema of the config file (draft-07). It fixes shapes, enums and defaults (ajv's `useDefaults`
// fills them in); rules that span several keys live in checks.ts. Unknown keys are rejected everywhere:
// a misspelt key silently ignored is a policy silently not applied. Compiled once in validator.ts, with
// the formats and the two keywords (`durationRange`, `pathPattern`) used here.
import { FIELD_GROUPS, MODES } from "../core/types.js";
import { ARGOCD_INSTANCE_LABEL_KEY } from "./gitops-marks.js";
import { LOG_LEVELS } from "./types.js";

export const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
// `namespace/name` (a name is a DNS subdomain) or `namespace/*` for every account of a namespace.
export const SERVICE_ACCOUNT =
  /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?\/(?:\*|[a-z0-9](?:[-.a-z0-9]{0,251}[a-z0-9])?)$/;

const QUALIFIED_NAME = /^[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;

/** A label or annotation key as the API server accepts it: `[prefix/]name`, the prefix a DNS subdomain. */
export function isMetadataKey(key: string): boolean {
  const slash = key.indexOf("/");
  if (slash === -1) return QUALIFIED_NAME.test(key);
  const prefix = key.slice(0, slash);
  return prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix) && QUALIFIED_NAME.test(key.slice(slash + 1));
}

const text = { type: "string", minLength: 1 } as const;
const texts = { type: "array", items: text } as const;
const mode = { enum: MODES } as const;

/** Durations are strings or integer seconds; `durationRange` bounds them after parsing (in ms). */
function duration(fallback: string, minMs: number, maxMs?: number) {
  const range = maxMs === undefined ? { minMs } : { minMs, maxMs };
  return {
    type: ["string", "integer"],
    format: "duration",
    default: fallback,
    durationRange: range,
  } as const;
}

const subjects = {
  users: texts,
  groups: texts,
  serviceAccounts: { type: "array", items: { type: "string", format: "service-account" } },
} as const;

/** An object that rejects unknown keys; `fallback` makes it optional, with its inner defaults applied. */
function closed(properties: Record<string, unknown>, required: string[] = [], fallback?: object) {
  const schema = { type: "object", additionalProperties: false, properties, required };
  return fallback === undefined ? schema : { ...schema, default: fallback };
}

// `--kube-version` as Helm reads it: `1.36`, `1.36.0` or `v1.36.0`.
export const KUBE_VERSION = "^v?[0-9]+\\.[0-9]+(\\.[0-9]+)?$";

// Helm's own bound on release names (they end up in labels and Secret names).
export const RELEASE_NAME = "^[a-z0-9]([-a-z0-9]{0,51}[a-z0-9])?$";

const helm = closed({
  releaseName: { type: "string", pattern: RELEASE_NAME },
  valueFiles: { ...texts, default: [] },
  // What `--set` would say, as a map, or as YAML text.
  values: { type: ["object", "string"] },
  kubeVersion: { type: "string", pattern: KUBE_VERSION },
  apiVersions: { ...texts, default: [] },
  // No GitOps tool applies test hooks.
  skipTests: { type: "boolean", default: true },
  includeCRDs: { type: "boolean", default: false },
});

const stringMap = { type: "object", additionalProperties: { type: "string" }, default: {} } as const;

// Argo CD's source.kustomize options driftguard applies the way Argo CD does (kustomize edit).
const kustomize = closed({
  namePrefix: text,
  nameSuffix: text,
  images: { ...texts, default: [] },
  commonLabels: stringMap,
  commonAnnotations: stringMap,
});

/** An entry of `paths` written as an object: a rendered app, or a folder with its own namespace. */
const app = closed(
  {
    path: text,
    type: { enum: ["auto", "kustomize", "helm", "directory"], default: "auto" },
    namespace: { type: "string", format: "dns-label" },
    helm: { ...helm, default: {} },
    kustomize: { ...kustomize, default: {} },
  },
  ["path"],
);

// A string is a folder or glob of plain manifests (as before apps existed); an object is an app.
// biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then/else, not a thenable
const pathEntry = { if: { type: "string" }, then: text, else: app } as const;

const source = closed(
  {
    name: { type: "string", format: "dns-label" },
    url: text,
    ref: text,
    paths: { type: "array", minItems: 1, items: pathEntry },
    namespace: { type: "string", format: "dns-label", default: "default" },
    interval: duration("60s", 5_000),
    // The two shapes (HTTPS token, SSH key) are told apart in checks.ts, with a clearer message than oneOf.
    auth: closed({ usernameFile: text, tokenFile: text, sshKeyFile: text, knownHostsFile: text }),
  },
  ["name", "url", "paths"],
);

const exemption = closed(
  { ...subjects, fields: { type: "array", minItems: 1, uniqueItems: true, items: { enum: FIELD_GROUPS } } },
  ["fields"],
);

const metadataKeys = {
  type: "array",
  items: { type: "string", format: "metadata-key" },
  default: [],
} as const;
const enabled = { type: "boolean", default: true } as const;

// What the GitOps identities' tools write at apply time (gitops-marks.ts lists each tool's keys). A
// tool turned off leaves its keys to the normal rule, for the GitOps identities too.
const marks = closed(
  {
    argocd: closed(
      {
        enabled,
        // argocd-cm `application.instanceLabelKey`: the label of label (and annotation+label) tracking.
        instanceLabelKey: { type: "string", format: "metadata-key", default: ARGOCD_INSTANCE_LABEL_KEY },
      },
      [],
      {},
    ),
    flux: closed({ enabled }, [], {}),
    helm: closed({ enabled }, [], {}),
    labels: metadataKeys,
    annotations: metadataKeys,
  },
  [],
  {},
);

const ignoreRule = closed(
  {
    paths: { type: "array", minItems: 1, items: { type: "string", pathPattern: true } },
    namespaces: texts,
    names: texts,
  },
  ["paths"],
);

const server = closed(
  {
    host: { ...text, default: "0.0.0.0" },
    port: { type: "integer", minimum: 1, maximum: 65_535, default: 8443 },
    // The key names of a kubernetes.io/tls Secret: mount it next to the config and nothing needs setting.
    tlsCertFile: { ...text, default: "tls.crt" },
    tlsKeyFile: { ...text, default: "tls.key" },
    tlsReloadInterval: duration("10s", 1_000),
    // After SIGTERM: unready but still answering this long, so endpoints drop the pod before it stops listening.
    drainDelay: duration("2s", 0, 25_000),
    pushTokenFile: text,
  },
  [],
  {},
);

// Relative paths anywhere in the file (stateDir, key and token files, a local source url) are read
// against the config file's folder, as kubeconfig does, so a config means the same from any cwd.
export const configSchema = closed(
  {
    mode: { ...mode, default: "audit" },
    namespaces: {
      type: "object",
      default: {},
      propertyNames: { format: "dns-label" },
      additionalProperties: closed({ mode, revert: { enum: ["never", "afterGrantExpiry"] } }, ["mode"]),
    },
    unmanaged: { enum: ["allow", "warn", "deny"], default: "allow" },
    onUnsynced: { enum: ["allow", "deny"], default: "allow" },
    sources: { type: "array", minItems: 1, items: source },
    exemptions: { type: "array", items: exemption, default: [] },
    defaultExemptions: { type: "boolean", default: true },
    gitops: closed(
      { ...subjects, revisions: { type: "integer", minimum: 1, maximum: 100, default: 10 }, marks },
      [],
      {},
    ),
    ignore: { type: "array", items: ignoreRule, default: [] },
    // When set, these replace the shipped lists (defaults.ts) instead of adding to them.
    ignoreAnnotations: texts,
    ignoreLabels: texts,
    ignoreRestartedAt: { type: "boolean", default: true },
    server,
    // The chart points this at a writable volume; the default suits a local `driftguard check`.
    stateDir: { ...text, default: ".driftguard/state" },
    // The refetch must end well before the API server gives up on the webhook (at most 30s).
    refresh: closed({ onDemandAfter: duration("5s", 1_000), timeout: duration("3s", 100, 25_000) }, [], {}),
    logLevel: { enum: LOG_LEVELS, default: "info" },
    // `files`: the serving pair is read from server.tlsCertFile/tlsKeyFile (cert-manager, `driftguard
    // certs`, anything). `self-managed`: driftguard keeps a CA and serving pair in a Secret, writes them
    // to those files, and keeps its ValidatingWebhookConfiguration's caBundle current (as Kyverno does).
    certificates: closed(
      {
        mode: { enum: ["files", "self-managed"], default: "files" },
        secretName: { ...text, default: "driftguard-tls" },
        secretNamespace: { type: "string", format: "dns-label" },
        webhookConfigurationName: { ...text, default: "driftguard" },
        dnsNames: texts,
        // For a webhook called by URL at an IP address (driftguard outside the cluster).
        ipAddresses: {
          type: "array",
          items: { type: "string", format: "ip-address" },
        },
        validity: duration("8760h", 60_000),
        renewBefore: duration("720h", 10_000),
        checkInterval: duration("1m", 1_000),
      },
      [],
      {},
    ),
    // The real kustomize and helm, as the GitOps tools run them (docs/contract.md §2a).
    renderers: closed(
      {
        kustomize: { ...text, default: "kustomize" },
        helm: { ...text, default: "helm" },
        timeout: duration("60s", 1_000, 600_000),
        concurrency: { type: "integer", minimum: 1, maximum: 16, default: 2 },
        maxOutputBytes: { type: "integer", minimum: 1_024, maximum: 1_073_741_824, default: 67_108_864 },
        kubeVersion: { type: "string", pattern: KUBE_VERSION, default: "1.36.0" },
        // Each render in a network namespace of its own (unshare): when possible, always, or never.
        isolateNetwork: { enum: ["auto", "always", "never"], default: "auto" },
      },
      [],
      {},
    ),
    // Live drift (docs/contract.md §10): the scan of the Deployments, the Reports and Events it writes.
    report: closed(
      {
        scan: { enum: ["auto", "on", "off"], default: "auto" },
        reports: { enum: ["openreports", "policyreports", "both", "off"], default: "openreports" },
        maxResults: { type: "integer", minimum: 1, maximum: 1000, default: 50 },
        events: { type: "boolean", default: true },
        eventQueue: { type: "integer", minimum: 1, maximum: 100_000, default: 1000 },
        objectMetrics: { type: "boolean", default: false },
        lease: closed(
          {
            name: { type: "string", format: "dns-label", default: "driftguard" },
            namespace: { type: "string", format: "dns-label" },
            duration: duration("15s", 2_000, 300_000),
          },
          [],
          {},
        ),
      },
      [],
      {},
    ),
    // Decision history (docs/contract.md §11): records in the log, on disk in stateDir, and as
    // DecisionRecord objects in the API server.
    history: closed(
      {
        enabled: { type: "boolean", default: true },
        records: { enum: ["auto", "on", "off"], default: "auto" },
        segmentBytes: { type: "integer", minimum: 1_024, maximum: 1_073_741_824, default: 4_194_304 },
        maxBytes: { type: "integer", minimum: 1_024, maximum: 17_179_869_184, default: 67_108_864 },
        queue: { type: "integer", minimum: 1, maximum: 100_000, default: 1000 },
        retention: duration("168h", 60_000),
        maxPerNamespace: { type: "integer", minimum: 1, maximum: 100_000, default: 1000 },
        restore: duration("24h", 0),
        proposeCommand: {
          type: "string",
          minLength: 1,
          maxLength: 300,
          pattern: "\\{uid\\}",
          default: "driftguard propose --config CONFIG --request {uid}",
        },
      },
      [],
      {},
    ),
    // The read-only web view (docs/contract.md §12) on a listener of its own, never the webhook's port.
    // Off unless asked for; beyond loopback it serves HTTPS with the server's key pair and asks every
    // caller for a Kubernetes token (TokenReview, SubjectAccessReview).
    webView: closed(
      {
        enabled: { type: "boolean", default: false },
        host: { ...text, default: "127.0.0.1" },
        // 0 picks a free port (printed at start).
        port: { type: "integer", minimum: 0, maximum: 65_535, default: 8081 },
        // How long a token's TokenReview and its SubjectAccessReview answers are reused.
        authCacheFor: duration("30s", 1_000, 600_000),
        // The newest decision records a page lists.
        maxDecisions: { type: "integer", minimum: 1, maximum: 10_000, default: 500 },
      },
      [],
      {},
    ),
    // RBAC grants and terminating namespaces come from watches on the API server (docs/contract.md §4, §5).
    // `auto` watches when running in a pod or when a kubeconfig is given.
    kubernetes: closed(
      {
        watch: { enum: ["auto", "on", "off"], default: "auto" },
        kubeconfig: text,
        resync: duration("10m", 10_000),
      },
      [],
      {},
    ),
  },
  ["sources"],
);
