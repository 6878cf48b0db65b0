// The driftguard config the e2e files and the scan bench write: one shape (enforce, one namespace in audit
// mode, unmanaged allowed, one Git source), with the parts each run adds or leaves out. Written as text,
// not through a YAML library, so that it reads as an admin would write it.

export interface ServiceAccountRef {
  namespace: string;
  name: string;
}

export interface DriftguardConfigParts {
  /** The one namespace in audit mode; the rest enforce. */
  auditNamespace: string;
  source: {
    name: string;
    url: string;
    paths: readonly string[];
    interval?: string | undefined;
    /** `auth:` as written in a flow mapping, e.g. `{usernameFile: u, tokenFile: t}`. */
    auth?: string | undefined;
  };
  /** More entries of `sources:`, YAML already indented as list items (the rendered sources). */
  moreSources?: string | undefined;
  /** The HPA's exemption for replicas and the GitOps controller's account, the cluster's own. */
  accounts?: { hpa: ServiceAccountRef; gitops: ServiceAccountRef } | undefined;
  /** Left out: a driftguard that serves nothing (the offline CLI). */
  server?:
    | { port: number; certFile: string; keyFile: string; pushTokenFile?: string | undefined }
    | undefined;
  stateDir: string;
  /** refresh.onDemandAfter */
  onDemandAfter?: string | undefined;
  logLevel?: string | undefined;
  kubernetes: { watch: "on" | "off"; kubeconfig: string };
  /** A top-level `renderers:` block, YAML as written. */
  renderers?: string | undefined;
  /** The web view's listener (docs/contract.md §12); left out: no web view. */
  webView?: { host: string; port: number } | undefined;
  /** The `report:` keys; a value is written as it is (quote one YAML would read otherwise). */
  report?: Readonly<Record<string, string | boolean>> | undefined;
}

export function driftguardConfigYaml(parts: DriftguardConfigParts): string {
  return [
    "mode: enforce",
    "namespaces:",
    `  ${parts.auditNamespace}: {mode: audit}`,
    "unmanaged: allow",
    ...sourcesLines(parts),
    ...accountsLines(parts.accounts),
    ...serverLines(parts.server),
    `stateDir: ${parts.stateDir}`,
    ...(parts.onDemandAfter === undefined ? [] : ["refresh:", `  onDemandAfter: ${parts.onDemandAfter}`]),
    ...(parts.logLevel === undefined ? [] : [`logLevel: ${parts.logLevel}`]),
    "kubernetes:",
    `  watch: "${parts.kubernetes.watch}"`,
    `  kubeconfig: ${parts.kubernetes.kubeconfig}`,
    ...(parts.renderers === undefined ? [] : [parts.renderers]),
    ...reportLines(parts.report),
    ...(parts.webView === undefined
      ? []
      : ["webView:", "  enabled: true", `  host: "${parts.webView.host}"`, `  port: ${parts.webView.port}`]),
    "",
  ].join("\n");
}

function sourcesLines({ source, moreSources }: DriftguardConfigParts): string[] {
  return [
    "sources:",
    `  - name: ${source.name}`,
    `    url: ${source.url}`,
    `    paths: [${source.paths.join(", ")}]`,
    ...(source.interval === undefined ? [] : [`    interval: ${source.interval}`]),
    ...(source.auth === undefined ? [] : [`    auth: ${source.auth}`]),
    ...(moreSources === undefined ? [] : [moreSources]),
  ];
}

function accountsLines(accounts: DriftguardConfigParts["accounts"]): string[] {
  if (accounts === undefined) return [];
  return [
    "exemptions:",
    `  - serviceAccounts: [${accounts.hpa.namespace}/${accounts.hpa.name}]`,
    "    fields: [replicas]",
    "gitops:",
    `  serviceAccounts: [${accounts.gitops.namespace}/${accounts.gitops.name}]`,
  ];
}

function serverLines(server: DriftguardConfigParts["server"]): string[] {
  if (server === undefined) return [];
  return [
    "server:",
    "  host: 127.0.0.1",
    `  port: ${server.port}`,
    ...(server.pushTokenFile === undefined ? [] : [`  pushTokenFile: ${server.pushTokenFile}`]),
    `  tlsCertFile: ${server.certFile}`,
    `  tlsKeyFile: ${server.keyFile}`,
  ];
}

function reportLines(report: DriftguardConfigParts["report"]): string[] {
  if (report === undefined) return [];
  return ["report:", ...Object.entries(report).map(([key, value]) => `  ${key}: ${value}`)];
}
