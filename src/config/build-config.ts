// The whole Config from a validated config file: durations in milliseconds, file paths absolute, the
// source auth in the Git adapter's vocabulary.
import { resolve } from "node:path";
import { stringify } from "yaml";
import { internalError } from "../errors.js";
import { releaseNameOf } from "../render/render-args.js";
import type { AppConfig, RendererSettings, SourceAuth, SourceConfig } from "../sources/types.js";
import { buildPolicy } from "./build-policy.js";
import { parseDuration } from "./durations.js";
import type {
  Config,
  HistoryConfig,
  RawApp,
  RawAuth,
  RawConfig,
  RawDuration,
  RawSource,
  ReportConfig,
} from "./types.js";

/** `raw` must have passed the schema and the cross-field checks; `dir` is the config file's folder. */
export function buildConfig(raw: RawConfig, dir: string): Config {
  const file = (path: string) => resolve(dir, path);
  const { server, refresh } = raw;
  return {
    policy: buildPolicy(raw),
    sources: raw.sources.map((source) => toSource(source, dir)),
    server: {
      host: server.host,
      port: server.port,
      tlsCertFile: file(server.tlsCertFile),
      tlsKeyFile: file(server.tlsKeyFile),
      tlsReloadIntervalMs: toMs(server.tlsReloadInterval),
      drainDelayMs: toMs(server.drainDelay),
      ...(server.pushTokenFile === undefined ? {} : { pushTokenFile: file(server.pushTokenFile) }),
    },
    stateDir: file(raw.stateDir),
    refresh: { onDemandAfterMs: toMs(refresh.onDemandAfter), timeoutMs: toMs(refresh.timeout) },
    logLevel: raw.logLevel,
    revisions: raw.gitops.revisions,
    kubernetes: {
      watch: raw.kubernetes.watch,
      ...(raw.kubernetes.kubeconfig === undefined ? {} : { kubeconfig: file(raw.kubernetes.kubeconfig) }),
      resyncMs: toMs(raw.kubernetes.resync),
    },
    certificates: {
      mode: raw.certificates.mode,
      secretName: raw.certificates.secretName,
      secretNamespace: raw.certificates.secretNamespace ?? "",
      webhookConfigurationName: raw.certificates.webhookConfigurationName,
      dnsNames: raw.certificates.dnsNames ?? [],
      ipAddresses: raw.certificates.ipAddresses ?? [],
      validityMs: toMs(raw.certificates.validity),
      renewBeforeMs: toMs(raw.certificates.renewBefore),
      checkIntervalMs: toMs(raw.certificates.checkInterval),
    },
    renderers: toRenderers(raw.renderers, dir),
    report: toReport(raw.report),
    history: toHistory(raw.history),
    webView: {
      enabled: raw.webView.enabled,
      host: raw.webView.host,
      port: raw.webView.port,
      authCacheForMs: toMs(raw.webView.authCacheFor),
      maxDecisions: raw.webView.maxDecisions,
    },
  };
}

function toHistory(raw: RawConfig["history"]): HistoryConfig {
  return {
    enabled: raw.enabled,
    records: raw.records,
    segmentBytes: raw.segmentBytes,
    maxBytes: raw.maxBytes,
    queue: raw.queue,
    retentionMs: toMs(raw.retention),
    maxPerNamespace: raw.maxPerNamespace,
    restoreMs: toMs(raw.restore),
    proposeCommand: raw.proposeCommand,
  };
}

function toReport(raw: RawConfig["report"]): ReportConfig {
  const { lease } = raw;
  return {
    scan: raw.scan,
    reports: raw.reports,
    maxResults: raw.maxResults,
    events: raw.events,
    eventQueue: raw.eventQueue,
    objectMetrics: raw.objectMetrics,
    lease: {
      name: lease.name,
      ...(lease.namespace === undefined ? {} : { namespace: lease.namespace }),
      durationMs: toMs(lease.duration),
    },
  };
}

/** A binary named with a slash is a path (read against the config's folder); a bare name is looked up on PATH. */
function toRenderers(raw: RawConfig["renderers"], dir: string): RendererSettings {
  const binary = (name: string) => (name.includes("/") ? resolve(dir, name) : name);
  return {
    kustomize: binary(raw.kustomize),
    helm: binary(raw.helm),
    timeoutMs: toMs(raw.timeout),
    concurrency: raw.concurrency,
    maxOutputBytes: raw.maxOutputBytes,
    kubeVersion: raw.kubeVersion,
    isolateNetwork: raw.isolateNetwork,
  };
}

function toMs(duration: RawDuration): number {
  const ms = parseDuration(duration);
  if (ms === undefined) throw internalError("unvalidated duration reached buildConfig");
  return ms;
}

function toSource(raw: RawSource, dir: string): SourceConfig {
  return {
    name: raw.name,
    url: resolveSourceUrl(raw.url, dir),
    ...(raw.ref === undefined ? {} : { ref: raw.ref }),
    paths: raw.paths.filter((entry): entry is string => typeof entry === "string"),
    apps: withKeys(
      raw.paths.filter((entry): entry is RawApp => typeof entry !== "string").map((app) => toApp(app, raw)),
    ),
    namespace: raw.namespace,
    intervalMs: toMs(raw.interval),
    ...(raw.auth === undefined ? {} : { auth: toAuth(raw.auth, dir) }),
  };
}

function toApp(raw: RawApp, source: RawSource): AppConfig {
  const { helm } = raw;
  const values = typeof helm.values === "object" ? stringify(helm.values) : helm.values;
  return {
    path: cleanAppPath(raw.path),
    type: raw.type,
    namespace: raw.namespace ?? source.namespace,
    helm: {
      ...(helm.releaseName === undefined ? {} : { releaseName: helm.releaseName }),
      valueFiles: helm.valueFiles,
      ...(values === undefined ? {} : { values }),
      ...(helm.kubeVersion === undefined ? {} : { kubeVersion: helm.kubeVersion }),
      apiVersions: helm.apiVersions,
      skipTests: helm.skipTests,
      includeCRDs: helm.includeCRDs,
    },
    kustomize: {
      ...(raw.kustomize.namePrefix === undefined ? {} : { namePrefix: raw.kustomize.namePrefix }),
      ...(raw.kustomize.nameSuffix === undefined ? {} : { nameSuffix: raw.kustomize.nameSuffix }),
      images: raw.kustomize.images,
      commonLabels: raw.kustomize.commonLabels,
      commonAnnotations: raw.kustomize.commonAnnotations,
    },
  };
}

/** A folder listed more than once (one chart, several releases) names each app by namespace and release too. */
function withKeys(apps: AppConfig[]): AppConfig[] {
  const count = new Map<string, number>();
  for (const app of apps) count.set(app.path, (count.get(app.path) ?? 0) + 1);
  return apps.map((app) => {
    if ((count.get(app.path) ?? 0) < 2) return app;
    const release = app.type === "kustomize" ? "" : `/${app.helm.releaseName ?? releaseNameOf(app)}`;
    return { ...app, key: `${app.path}@${app.namespace}${release}` };
  });
}

/** `./apps/web/` → `apps/web`; the root is `.`. The checks have refused absolute and escaping paths. */
export function cleanAppPath(path: string): string {
  const segments = path.split("/").filter((segment) => segment !== "" && segment !== ".");
  return segments.length === 0 ? "." : segments.join("/");
}

/** The cross-field checks guarantee one complete shape: token (HTTPS) or key and known_hosts (SSH). */
function toAuth(raw: RawAuth, dir: string): SourceAuth {
  const file = (path: string | undefined) => resolve(dir, path ?? "");
  if (raw.tokenFile !== undefined) {
    const username = raw.usernameFile === undefined ? {} : { usernameFile: file(raw.usernameFile) };
    return { kind: "https", ...username, tokenFile: file(raw.tokenFile) };
  }
  return { kind: "ssh", privateKeyFile: file(raw.sshKeyFile), knownHostsFile: file(raw.knownHostsFile) };
}

const URL_WITH_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
// Git reads `host:path` and `user@host:path` (a colon before any slash) as SSH, scp style.
const SCP_STYLE = /^[^/]*:/;

/** Only a local path is resolved against the config folder; remote URLs stay as written. */
function resolveSourceUrl(url: string, dir: string): string {
  if (URL_WITH_SCHEME.test(url) || SCP_STYLE.test(url)) return url;
  return resolve(dir, url);
}
