// Every way a config can be wrong that an admin is likely to hit, with the exact words they will read.
import { describe, expect, it } from "vitest";
import { problemsOf, SOURCE } from "./support.js";

const ROOT_KEYS =
  "mode, namespaces, unmanaged, onUnsynced, sources, exemptions, defaultExemptions, gitops, ignore, " +
  "ignoreAnnotations, ignoreLabels, ignoreRestartedAt, server, stateDir, refresh, logLevel, certificates, renderers, report, history, webView, kubernetes";
const FIELD_GROUPS = "replicas, image, resources, env, restart, paused, metadata, delete, *";
const DURATION = 'must be a duration like "60s", "5m" or "1h30m", or a whole number of seconds';
const SERVICE_ACCOUNT = 'must be "namespace/name" or "namespace/*"';
const METADATA_KEY =
  'must be a label or annotation key: a name of at most 63 letters, digits, "-", "_" or ".", optionally after a DNS subdomain and "/"';

/** A source with `extra` YAML flow-map entries added. */
const source = (extra: string, name = "apps") =>
  `  - { name: ${name}, url: https://git.example.com/deploy.git, paths: [apps]${extra ? `, ${extra}` : ""} }\n`;
const withSource = (text: string) => `sources:\n${SOURCE}${text}`;

const CASES: { name: string; text: string; problems: string[] }[] = [
  {
    name: "unknown key at the root",
    text: withSource("colour: blue\n"),
    problems: [`colour: unknown key (allowed: ${ROOT_KEYS})`],
  },
  {
    name: "misspelt key",
    text: withSource("onUnsyncd: deny\n"),
    problems: ['onUnsyncd: unknown key (did you mean "onUnsynced"?)'],
  },
  {
    name: "unknown nested key",
    text: `sources:\n${source("branch: main")}`,
    problems: ["sources[0].branch: unknown key (allowed: name, url, ref, paths, namespace, interval, auth)"],
  },
  {
    name: "bad mode",
    text: withSource("mode: strict\n"),
    problems: ["mode: must be one of off, audit, enforce"],
  },
  {
    name: "bad namespace mode (YAML 1.2: `on` is a string, not true)",
    text: withSource("namespaces:\n  team-a: { mode: on }\n"),
    problems: ["namespaces.team-a.mode: must be one of off, audit, enforce"],
  },
  {
    name: "bad namespace revert",
    text: withSource("namespaces:\n  team-a: { mode: enforce, revert: always }\n"),
    problems: ["namespaces.team-a.revert: must be one of never, afterGrantExpiry"],
  },
  {
    name: "bad namespace name",
    text: withSource("namespaces:\n  Team_A: { mode: audit }\n"),
    problems: [
      'namespaces.Team_A: key must be a DNS label (lowercase letters, digits and "-", at most 63 characters)',
    ],
  },
  {
    name: "bad field group",
    text: withSource("exemptions:\n  - { users: [alice], fields: [image, spec] }\n"),
    problems: [`exemptions[0].fields[1]: must be one of ${FIELD_GROUPS}`],
  },
  {
    name: "exemption without fields or subjects",
    text: withSource("exemptions:\n  - { fields: [] }\n"),
    problems: [
      "exemptions[0]: names no subject; give users, groups or serviceAccounts",
      "exemptions[0].fields: must NOT have fewer than 1 items",
    ],
  },
  {
    name: "bad service account form",
    text: withSource(
      "exemptions:\n  - { serviceAccounts: [kube-system:ci, ci/*, ci/], fields: [image] }\n" +
        "gitops:\n  serviceAccounts: [flux]\n",
    ),
    problems: [
      `exemptions[0].serviceAccounts[0]: ${SERVICE_ACCOUNT}`,
      `exemptions[0].serviceAccounts[2]: ${SERVICE_ACCOUNT}`,
      `gitops.serviceAccounts[0]: ${SERVICE_ACCOUNT}`,
    ],
  },
  {
    name: "bad duration spelling",
    text: `sources:\n${source("interval: 5x")}`,
    problems: [`sources[0].interval: ${DURATION}`],
  },
  {
    name: "duration without unit",
    text: `sources:\n${source('interval: "60"')}`,
    problems: [`sources[0].interval: ${DURATION}`],
  },
  {
    name: "duration too short",
    text: `sources:\n${source("interval: 2s")}`,
    problems: ["sources[0].interval: must be at least 5s"],
  },
  {
    name: "refresh timeout beyond the webhook timeout",
    text: withSource("refresh: { timeout: 60 }\n"),
    problems: ["refresh.timeout: must be at most 25s"],
  },
  {
    name: "fractional seconds",
    text: withSource("server: { tlsReloadInterval: 1.5 }\n"),
    problems: ["server.tlsReloadInterval: must be string or integer"],
  },
  {
    name: "missing paths",
    text: "sources:\n  - { name: apps, url: https://git.example.com/deploy.git }\n",
    problems: ["sources[0].paths: is required"],
  },
  {
    name: "empty paths",
    text: "sources:\n  - { name: apps, url: https://git.example.com/deploy.git, paths: [] }\n",
    problems: ["sources[0].paths: must NOT have fewer than 1 items"],
  },
  { name: "no sources", text: "sources: []\n", problems: ["sources: must NOT have fewer than 1 items"] },
  { name: "empty file", text: "", problems: ["sources: is required"] },
  { name: "not a mapping", text: "- sources\n", problems: ["(root): must be object"] },
  {
    name: "duplicate source names",
    text: `sources:\n${source("")}${source("", "other")}${source("")}`,
    problems: ["sources[2].name: duplicate of sources[0].name"],
  },
  {
    name: "bad source name",
    text: `sources:\n${source("", "Apps")}`,
    problems: [
      'sources[0].name: must be a DNS label (lowercase letters, digits and "-", at most 63 characters)',
    ],
  },
  {
    name: "SSH key without known_hosts",
    text: `sources:\n${source("auth: { sshKeyFile: id_ed25519 }")}`,
    problems: ["sources[0].auth.knownHostsFile: is required for SSH"],
  },
  {
    name: "username without token",
    text: `sources:\n${source("auth: { usernameFile: user }")}`,
    problems: ["sources[0].auth.tokenFile: is required with usernameFile"],
  },
  {
    name: "HTTPS and SSH credentials mixed",
    text: `sources:\n${source("auth: { tokenFile: t, sshKeyFile: k, knownHostsFile: h }")}`,
    problems: [
      "sources[0].auth: mixes HTTPS and SSH keys; give tokenFile (and optionally usernameFile) for HTTPS, or sshKeyFile and knownHostsFile for SSH",
    ],
  },
  {
    name: "bad ignore path",
    text: withSource("ignore:\n  - paths: [spec.paused, spec..replicas]\n"),
    problems: ['ignore[0].paths[1]: cannot read "..replicas" in path "spec..replicas"'],
  },
  {
    name: "revisions out of range",
    text: withSource("gitops: { revisions: 0 }\n"),
    problems: ["gitops.revisions: must be >= 1"],
  },
  {
    name: "unknown GitOps tool and misspelt mark key",
    text: withSource("gitops:\n  marks: { jenkins: {}, flux: { enable: false } }\n"),
    problems: [
      'gitops.marks.flux.enable: unknown key (did you mean "enabled"?)',
      "gitops.marks.jenkins: unknown key (allowed: argocd, flux, helm, labels, annotations)",
    ],
  },
  {
    name: "label and annotation keys the API server would refuse",
    text: withSource(
      "gitops:\n  marks:\n    argocd: { instanceLabelKey: 'Example.com/instance' }\n" +
        "    labels: [ok.example.com/name, 'has space', 'a/b/c']\n    annotations: ['-leading-dash']\n",
    ),
    problems: [
      `gitops.marks.annotations[0]: ${METADATA_KEY}`,
      `gitops.marks.argocd.instanceLabelKey: ${METADATA_KEY}`,
      `gitops.marks.labels[1]: ${METADATA_KEY}`,
      `gitops.marks.labels[2]: ${METADATA_KEY}`,
    ],
  },
  {
    name: "marks switched on with a string",
    text: withSource("gitops:\n  marks: { helm: { enabled: 'yes' } }\n"),
    problems: ["gitops.marks.helm.enabled: must be boolean"],
  },
  {
    name: "self-managed certificates without namespace and names",
    text: withSource("certificates: { mode: self-managed }\n"),
    problems: [
      "certificates.dnsNames: is required with mode self-managed (the Service's names, e.g. driftguard.driftguard.svc)",
      "certificates.secretNamespace: is required with mode self-managed (the namespace driftguard runs in)",
    ],
  },
  {
    name: "unknown certificates mode",
    text: withSource("certificates: { mode: cert-manager }\n"),
    problems: ["certificates.mode: must be one of files, self-managed"],
  },
  {
    name: "bad port",
    text: withSource("server: { port: 70000 }\n"),
    problems: ["server.port: must be <= 65535"],
  },
  {
    name: "bad log level",
    text: withSource("logLevel: verbose\n"),
    problems: ["logLevel: must be one of fatal, error, warn, info, debug, trace"],
  },
  {
    name: "YAML syntax error",
    text: "sources:\n  - name: [apps\n    url: x\n",
    problems: [
      "line 3, column 5: Flow sequence in block collection must be sufficiently indented and end with a ]",
    ],
  },
  {
    name: "duplicate YAML key",
    text: `mode: audit\nsources:\n${SOURCE}mode: enforce\n`,
    problems: ["line 4, column 1: Map keys must be unique"],
  },
  {
    name: "two YAML documents",
    text: `sources:\n${SOURCE}---\nmode: audit\n`,
    problems: ["line 3, column 1: the config must be a single YAML document"],
  },
  {
    name: "misspelt key of an app",
    text: `sources:\n${source("", "a").replace("paths: [apps]", "paths: [{ path: overlays/prod, typ: helm }]")}`,
    problems: ['sources[0].paths[0].typ: unknown key (did you mean "type"?)'],
  },
  {
    name: "an app outside the repository",
    text: `sources:\n${source("", "a").replace("paths: [apps]", "paths: [{ path: ../other }]")}`,
    problems: ["sources[0].paths[0].path: leaves the repository; give a path inside it"],
  },
  {
    name: "an absolute app path",
    text: `sources:\n${source("", "a").replace("paths: [apps]", "paths: [{ path: /srv/charts/web }]")}`,
    problems: ["sources[0].paths[0].path: is absolute; give a path inside the repository"],
  },
  {
    name: "a value file outside the repository, and a misspelt Helm key",
    text: `sources:\n${source("", "a").replace(
      "paths: [apps]",
      "paths: [{ path: charts/web, helm: { valueFiles: [../../../etc/passwd], skipTest: true } }]",
    )}`,
    problems: [
      'sources[0].paths[0].helm.skipTest: unknown key (did you mean "skipTests"?)',
      "sources[0].paths[0].helm.valueFiles[0]: leaves the repository; give a path inside it",
    ],
  },
  {
    name: "a value file given as a URL",
    text: `sources:\n${source("", "a").replace(
      "paths: [apps]",
      "paths: [{ path: charts/web, helm: { valueFiles: ['https://example.com/v.yaml'] } }]",
    )}`,
    problems: ["sources[0].paths[0].helm.valueFiles[0]: is a URL; renders never reach the network"],
  },
  {
    name: "a path entry that is neither a folder nor an app",
    text: `sources:\n${source("", "a").replace("paths: [apps]", "paths: [3]")}`,
    problems: ["sources[0].paths[0]: must be a folder or glob (a string) or an app (an object with path)"],
  },
  {
    name: "the same app twice, a bad app type, bad renderer bounds",
    text: `sources:\n${source("", "a").replace(
      "paths: [apps]",
      "paths: [{ path: a }, { path: ./a/, type: kustomise }]",
    )}renderers: { concurrency: 0, timeout: 1h, kubeVersion: latest }\n`,
    problems: [
      "renderers.concurrency: must be >= 1",
      'renderers.kubeVersion: must be a Kubernetes version like "1.36" or "1.36.0"',
      "renderers.timeout: must be at most 10m",
      "sources[0].paths[1].path: same folder, namespace and release as paths[0]; give it a namespace or helm.releaseName of its own",
      "sources[0].paths[1].type: must be one of auto, kustomize, helm, directory",
    ],
  },
  {
    name: "history bounds: a store smaller than its segment, a bad records switch, a short retention",
    text: withSource(
      "history: { segmentBytes: 8192, maxBytes: 4096, records: yes, retention: 10s, queue: 0 }\n",
    ),
    problems: [
      "history.maxBytes: must be at least history.segmentBytes (8192): the store always keeps its open segment",
      "history.queue: must be >= 1",
      "history.records: must be one of auto, on, off",
      "history.retention: must be at least 1m",
    ],
  },
  {
    name: "web view on the webhook's port, and out of bounds",
    text: withSource(
      "server: { port: 9443 }\nwebView: { enabled: true, port: 9443, authCacheFor: 0s, maxDecisions: 0, tls: on }\n",
    ),
    problems: [
      "webView.authCacheFor: must be at least 1s",
      "webView.maxDecisions: must be >= 1",
      "webView.port: must differ from server.port (9443): the web view has a listener of its own, never the webhook's",
      "webView.tls: unknown key (allowed: enabled, host, port, authCacheFor, maxDecisions)",
    ],
  },
  {
    name: "web view port beyond 65535",
    text: withSource("webView: { enabled: true, port: 70000 }\n"),
    problems: ["webView.port: must be <= 65535"],
  },
];

describe("bad configs", () => {
  it.each(CASES)("$name", ({ text, problems }) => {
    expect(problemsOf(text)).toEqual(problems);
  });

  it("never quotes a value back, so a token in a url stays out of logs", () => {
    const text =
      "sources:\n  - { name: apps, url: 'https://bot:s3cret@git.example.com/d.git', paths: [], x: 1 }\n";
    const problems = problemsOf(text);
    expect(problems).toHaveLength(2);
    expect(problems.join("\n")).not.toContain("s3cret");
  });
});
