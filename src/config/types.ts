// The config in its two shapes: `Raw*` is the YAML file as the schema accepted it (defaults filled in,
// durations still as written), `Config` is what the rest of driftguard receives (durations in ms, paths
// absolute, the policy in the core's vocabulary, everything frozen).

import type { Policy, UnmanagedAction, UnsyncedAction } from "../core/policy.js";
import type { FieldGroup, Mode } from "../core/types.js";
import type { RendererSettings, SourceConfig } from "../sources/types.js";

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace";
export const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace"];

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  readonly tlsCertFile: string;
  readonly tlsKeyFile: string;
  readonly tlsReloadIntervalMs: number;
  /** After SIGTERM, how long /readyz says not ready while requests are still answered, before the listener closes. */
  readonly drainDelayMs: number;
  /** File holding the push webhook's shared secret; undefined = push endpoint disabled. */
  readonly pushTokenFile?: string | undefined;
}

export interface RefreshConfig {
  /** A denial or warning refetches Git first when the last fetch is older than this. */
  readonly onDemandAfterMs: number;
  /** Upper bound of that refetch, so the answer stays inside the webhook timeout. */
  readonly timeoutMs: number;
}

export interface KubernetesConfig {
  /** Watch RBAC objects and namespaces; `auto` is resolved by the CLI (in a pod, or with a kubeconfig). */
  readonly watch: "auto" | "on" | "off";
  /** Absolute kubeconfig path; undefined = in-cluster service account, or the default kubeconfig. */
  readonly kubeconfig?: string | undefined;
  readonly resyncMs: number;
}

/** What driftguard shows of live drift (docs/contract.md §10): the scan and where it writes. */
export interface ReportConfig {
  /** Watch the Deployments and keep their drift; `auto` = whenever the cluster is watched (kubernetes.watch). */
  readonly scan: "auto" | "on" | "off";
  /** Which Report kinds the leader writes, one per managed Deployment. */
  readonly reports: "openreports" | "policyreports" | "both" | "off";
  /** At most this many results per Report (one per drifted field group; paths cut beyond). */
  readonly maxResults: number;
  /** events.k8s.io/v1 Events on the Deployment: DriftDenied, DriftWarned, DriftDetected, DriftResolved. */
  readonly events: boolean;
  /** Events waiting to be written; past it they are dropped and counted (driftguard_events_total{outcome="dropped"}). */
  readonly eventQueue: number;
  /** A per-Deployment drift gauge (one series per managed Deployment: opt-in, for cardinality). */
  readonly objectMetrics: boolean;
  /** The coordination.k8s.io Lease that elects the one replica writing Reports and scan Events. */
  readonly lease: {
    readonly name: string;
    /** Undefined: the pod's own namespace, else `default`. */
    readonly namespace?: string | undefined;
    readonly durationMs: number;
  };
}

/** Decision history (docs/contract.md §11): where records go and how long they stay. */
export interface HistoryConfig {
  /** Record decisions at all (log line, disk store, DecisionRecord objects). */
  readonly enabled: boolean;
  /** DecisionRecord objects in the API server; `auto` = whenever the cluster is watched (kubernetes.watch). */
  readonly records: "auto" | "on" | "off";
  /** A segment of the disk store (stateDir/history) is closed past this size. */
  readonly segmentBytes: number;
  /** The disk store's bound: past it the oldest segments are dropped. */
  readonly maxBytes: number;
  /** Records waiting for the disk and for the API server, each; past it the oldest is dropped and counted. */
  readonly queue: number;
  /** DecisionRecord objects older than this are deleted by the writers' leader. */
  readonly retentionMs: number;
  /** At most this many DecisionRecord objects per namespace: the leader deletes the oldest beyond. */
  readonly maxPerNamespace: number;
  /** On start, records of the disk store this recent are created again in the API server (an outage loses none). */
  readonly restoreMs: number;
  /**
   * The command a denial and an audit warning print to get the Git change for the request (`{uid}` is
   * replaced by its uid): set it to the config path your users have.
   */
  readonly proposeCommand: string;
}

export interface CertificatesConfig {
  readonly mode: "files" | "self-managed";
  readonly secretName: string;
  /** Required for self-managed (the cross-field checks say so). */
  readonly secretNamespace: string;
  readonly webhookConfigurationName: string;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly validityMs: number;
  readonly renewBeforeMs: number;
  readonly checkIntervalMs: number;
}

export interface Config {
  readonly policy: Policy;
  readonly sources: readonly SourceConfig[];
  readonly server: ServerConfig;
  /** Absolute folder for the last good snapshots (docs/contract.md §2, Restarts). */
  readonly stateDir: string;
  readonly refresh: RefreshConfig;
  readonly logLevel: LogLevel;
  /** How many recent revisions per source stay known for GitOps identities (docs/contract.md §5). */
  readonly revisions: number;
  readonly kubernetes: KubernetesConfig;
  readonly certificates: CertificatesConfig;
  readonly renderers: RendererSettings;
  readonly report: ReportConfig;
  readonly history: HistoryConfig;
  readonly webView: WebViewConfig;
}

/** The read-only web view (docs/contract.md §12). */
export interface WebViewConfig {
  readonly enabled: boolean;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** How long a token's review and access answers are reused. */
  readonly authCacheForMs: number;
  /** The newest decision records a page lists. */
  readonly maxDecisions: number;
}

/** A duration as written: a string like `"1h30m"` or integer seconds. */
export type RawDuration = string | number;

export interface RawSubjects {
  users?: string[];
  groups?: string[];
  serviceAccounts?: string[];
}

/** `gitops.marks`: which tools' apply-time keys a GitOps identity may write (docs/contract.md §5). */
export interface RawGitOpsMarks {
  argocd: { enabled: boolean; instanceLabelKey: string };
  flux: { enabled: boolean };
  helm: { enabled: boolean };
  labels: string[];
  annotations: string[];
}

export interface RawAuth {
  usernameFile?: string;
  tokenFile?: string;
  sshKeyFile?: string;
  knownHostsFile?: string;
}

export interface RawApp {
  path: string;
  type: "auto" | "kustomize" | "helm" | "directory";
  namespace?: string;
  helm: {
    releaseName?: string;
    valueFiles: string[];
    values?: Record<string, unknown> | string;
    kubeVersion?: string;
    apiVersions: string[];
    skipTests: boolean;
    includeCRDs: boolean;
  };
  kustomize: {
    namePrefix?: string;
    nameSuffix?: string;
    images: string[];
    commonLabels: Record<string, string>;
    commonAnnotations: Record<string, string>;
  };
}

export interface RawSource {
  name: string;
  url: string;
  ref?: string;
  paths: (string | RawApp)[];
  namespace: string;
  interval: RawDuration;
  auth?: RawAuth;
}

export interface RawExemption extends RawSubjects {
  fields: FieldGroup[];
}

export interface RawIgnoreRule {
  paths: string[];
  namespaces?: string[];
  names?: string[];
}

/** The file after schema validation with ajv's `useDefaults`: every key with a default is present. */
export interface RawConfig {
  mode: Mode;
  /** `revert: afterGrantExpiry` opts the namespace's Deployments in to the in-cluster revert (§11). */
  namespaces: Record<string, { mode: Mode; revert?: "never" | "afterGrantExpiry" }>;
  unmanaged: UnmanagedAction;
  onUnsynced: UnsyncedAction;
  sources: RawSource[];
  exemptions: RawExemption[];
  defaultExemptions: boolean;
  gitops: RawSubjects & { revisions: number; marks: RawGitOpsMarks };
  ignore: RawIgnoreRule[];
  ignoreAnnotations?: string[];
  ignoreLabels?: string[];
  ignoreRestartedAt: boolean;
  server: {
    host: string;
    port: number;
    tlsCertFile: string;
    tlsKeyFile: string;
    tlsReloadInterval: RawDuration;
    drainDelay: RawDuration;
    pushTokenFile?: string;
  };
  stateDir: string;
  refresh: { onDemandAfter: RawDuration; timeout: RawDuration };
  logLevel: LogLevel;
  kubernetes: { watch: "auto" | "on" | "off"; kubeconfig?: string; resync: RawDuration };
  renderers: {
    kustomize: string;
    helm: string;
    timeout: RawDuration;
    concurrency: number;
    maxOutputBytes: number;
    kubeVersion: string;
    isolateNetwork: "auto" | "always" | "never";
  };
  report: {
    scan: "auto" | "on" | "off";
    reports: "openreports" | "policyreports" | "both" | "off";
    maxResults: number;
    events: boolean;
    eventQueue: number;
    objectMetrics: boolean;
    lease: { name: string; namespace?: string; duration: RawDuration };
  };
  history: {
    enabled: boolean;
    records: "auto" | "on" | "off";
    segmentBytes: number;
    maxBytes: number;
    queue: number;
    retention: RawDuration;
    maxPerNamespace: number;
    restore: RawDuration;
    proposeCommand: string;
  };
  webView: {
    enabled: boolean;
    host: string;
    port: number;
    authCacheFor: RawDuration;
    maxDecisions: number;
  };
  certificates: {
    mode: "files" | "self-managed";
    secretName: string;
    secretNamespace?: string;
    webhookConfigurationName: string;
    dnsNames?: string[];
    ipAddresses?: string[];
    validity: RawDuration;
    renewBefore: RawDuration;
    checkInterval: RawDuration;
  };
}
