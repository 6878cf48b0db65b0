import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseConfig } from "../../src/config/load-config.js";
import { ORIGIN, problemsOf, SOURCE, toPlain } from "./support.js";

const FULL = `
mode: enforce
namespaces:
  team-a: { mode: off }
  shop: { mode: enforce, revert: afterGrantExpiry }
unmanaged: warn
onUnsynced: deny
sources:
  - name: local
    url: ./repos/deploy
    ref: v1.2.0
    paths: [apps, "clusters/*/deploy"]
    namespace: apps
    interval: 1h30m
    auth: { usernameFile: git/user, tokenFile: /run/secrets/token }
  - { name: ssh, url: "git@git.example.com:org/deploy.git", paths: [.], interval: 90,
      auth: { sshKeyFile: ssh/id_ed25519, knownHostsFile: ssh/known_hosts } }
  - { name: file, url: "file:///srv/git/deploy", paths: [.] }
  - { name: parent, url: ../shared/deploy, paths: [.] }
exemptions:
  - { groups: [oncall], fields: [replicas, restart] }
defaultExemptions: false
gitops: { serviceAccounts: [flux-system/kustomize-controller], revisions: 20 }
ignore:
  - paths: ['metadata.annotations["example.com/owner"]', "spec.template.spec.containers[name=*].image"]
    namespaces: ["team-*"]
ignoreAnnotations: [example.com/build]
ignoreLabels: []
ignoreRestartedAt: false
server: { host: 127.0.0.1, port: 9443, tlsCertFile: certs/tls.crt, tlsKeyFile: certs/tls.key,
          tlsReloadInterval: 1m, pushTokenFile: push-token }
stateDir: state
refresh: { onDemandAfter: 10s, timeout: 1500ms }
logLevel: debug
`;

describe("parseConfig", () => {
  const config = parseConfig(FULL, ORIGIN);

  it("turns the policy into the core's vocabulary", () => {
    const { policy } = config;
    expect(policy.mode).toBe("enforce");
    expect(policy.namespaceModes).toEqual(
      new Map([
        ["team-a", "off"],
        ["shop", "enforce"],
      ]),
    );
    expect(policy.revertAfterGrantExpiry).toEqual(new Set(["shop"]));
    expect([policy.unmanaged, policy.onUnsynced, policy.ignoreRestartedAt]).toEqual(["warn", "deny", false]);
    expect(policy.exemptions).toEqual([
      {
        users: [],
        groups: ["oncall"],
        serviceAccounts: [],
        fields: ["replicas", "restart"],
        description: "config exemptions[0]",
      },
    ]);
    expect(policy.gitops).toEqual({
      users: [],
      groups: [],
      serviceAccounts: ["flux-system/kustomize-controller"],
    });
    expect(policy.ignoreAnnotations).toEqual(new Set(["example.com/build"]));
    expect(policy.ignoreLabels).toEqual(new Set());
    expect(policy.ignoreRules).toEqual([
      {
        paths: [
          ["metadata", "annotations", "example.com/owner"],
          ["spec", "template", "spec", "containers", "[*]", "image"],
        ],
        namespaces: ["team-*"],
        names: [],
      },
    ]);
  });

  it("resolves relative paths against the config file's folder, and leaves remote urls alone", () => {
    expect(toPlain(config.sources)).toEqual([
      {
        name: "local",
        url: "/etc/driftguard/repos/deploy",
        ref: "v1.2.0",
        paths: ["apps", "clusters/*/deploy"],
        apps: [],
        namespace: "apps",
        intervalMs: 5_400_000,
        auth: { kind: "https", usernameFile: "/etc/driftguard/git/user", tokenFile: "/run/secrets/token" },
      },
      {
        name: "ssh",
        url: "git@git.example.com:org/deploy.git",
        paths: ["."],
        apps: [],
        namespace: "default",
        intervalMs: 90_000,
        auth: {
          kind: "ssh",
          privateKeyFile: "/etc/driftguard/ssh/id_ed25519",
          knownHostsFile: "/etc/driftguard/ssh/known_hosts",
        },
      },
      {
        name: "file",
        url: "file:///srv/git/deploy",
        paths: ["."],
        apps: [],
        namespace: "default",
        intervalMs: 60_000,
      },
      {
        name: "parent",
        url: "/etc/shared/deploy",
        paths: ["."],
        apps: [],
        namespace: "default",
        intervalMs: 60_000,
      },
    ]);
    expect(config.server).toEqual({
      host: "127.0.0.1",
      port: 9443,
      tlsCertFile: "/etc/driftguard/certs/tls.crt",
      tlsKeyFile: "/etc/driftguard/certs/tls.key",
      tlsReloadIntervalMs: 60_000,
      drainDelayMs: 2_000,
      pushTokenFile: "/etc/driftguard/push-token",
    });
    expect(config.stateDir).toBe("/etc/driftguard/state");
  });

  it("reads apps beside plain paths, with their defaults, and the renderers' settings", () => {
    const text = [
      "sources:",
      "  - name: gitops",
      "    url: https://git.example.com/deploy.git",
      "    namespace: shop",
      "    paths:",
      "      - apps",
      "      - path: ./overlays/prod/",
      "      - path: charts/web",
      "        type: helm",
      "        namespace: web",
      "        helm: { releaseName: web-prod, valueFiles: [values-prod.yaml], values: { replicaCount: 3 } }",
      "renderers: { kustomize: ./bin/kustomize, timeout: 2m, concurrency: 4 }",
    ].join("\n");
    const parsed = parseConfig(text, ORIGIN);
    const [source] = parsed.sources;
    expect(source?.paths).toEqual(["apps"]);
    const helmDefaults = { valueFiles: [], apiVersions: [], skipTests: true, includeCRDs: false };
    const kustomizeDefaults = { images: [], commonLabels: {}, commonAnnotations: {} };
    expect(toPlain(source?.apps)).toEqual([
      {
        path: "overlays/prod",
        type: "auto",
        namespace: "shop",
        helm: helmDefaults,
        kustomize: kustomizeDefaults,
      },
      {
        path: "charts/web",
        type: "helm",
        namespace: "web",
        helm: {
          ...helmDefaults,
          releaseName: "web-prod",
          valueFiles: ["values-prod.yaml"],
          values: "replicaCount: 3\n",
        },
        kustomize: kustomizeDefaults,
      },
    ]);
    expect(parsed.renderers).toEqual({
      kustomize: "/etc/driftguard/bin/kustomize",
      helm: "helm",
      timeoutMs: 120_000,
      concurrency: 4,
      maxOutputBytes: 67_108_864,
      kubeVersion: "1.36.0",
      isolateNetwork: "auto",
    });
  });

  it("reads durations into milliseconds", () => {
    expect(config.refresh).toEqual({ onDemandAfterMs: 10_000, timeoutMs: 1_500 });
    expect([config.logLevel, config.revisions]).toEqual(["debug", 20]);
  });

  it("returns a frozen config, Maps and Sets included", () => {
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.sources[0]?.paths)).toBe(true);
    expect(Object.isFrozen(config.policy.exemptions[0]?.fields)).toBe(true);
    expect(() => {
      (config as { stateDir: string }).stateDir = "/tmp";
    }).toThrow(TypeError);
    expect(() => (config.policy.namespaceModes as Map<string, string>).set("x", "off")).toThrow(/frozen/);
    expect(() => (config.policy.ignoreAnnotations as Set<string>).add("x")).toThrow(/frozen/);
    expect(config.policy.namespaceModes.get("team-a")).toBe("off");
  });

  it("keeps the shipped lists and exemptions unless the config replaces them", () => {
    const minimal = parseConfig(
      `sources:\n${SOURCE}exemptions:\n  - { users: [alice], fields: ["*"] }\n`,
      ORIGIN,
    );
    expect(minimal.policy.ignoreAnnotations.has("kubectl.kubernetes.io/last-applied-configuration")).toBe(
      true,
    );
    expect(minimal.policy.ignoreLabels.has("velero.io/backup-name")).toBe(true);
    expect(minimal.policy.exemptions.map((e) => e.description)).toEqual([
      "config exemptions[0]",
      "default exemption (namespace controller)",
      "default exemption (garbage collector)",
      "default exemption (kube-controller-manager)",
    ]);
  });

  it("turns gitops.marks into the two sets of mark keys, each tool's keys only while it is on", () => {
    const marksOf = (marks: string) => {
      const { gitopsMarks } = parseConfig(`sources:\n${SOURCE}gitops:\n  marks: ${marks}\n`, ORIGIN).policy;
      return { labels: [...gitopsMarks.labels].sort(), annotations: [...gitopsMarks.annotations].sort() };
    };
    expect(marksOf("{}")).toEqual({
      labels: [
        "app.kubernetes.io/instance",
        "app.kubernetes.io/managed-by",
        "helm.toolkit.fluxcd.io/name",
        "helm.toolkit.fluxcd.io/namespace",
        "kustomize.toolkit.fluxcd.io/name",
        "kustomize.toolkit.fluxcd.io/namespace",
      ],
      annotations: [
        "argocd.argoproj.io/installation-id",
        "argocd.argoproj.io/tracking-id",
        "meta.helm.sh/release-name",
        "meta.helm.sh/release-namespace",
      ],
    });
    expect(
      marksOf(
        "{ argocd: { instanceLabelKey: argocd.argoproj.io/instance }, flux: { enabled: false }, " +
          "helm: { enabled: false }, labels: [example.com/synced], annotations: [example.com/sync-run] }",
      ),
    ).toEqual({
      labels: ["argocd.argoproj.io/instance", "example.com/synced"],
      annotations: [
        "argocd.argoproj.io/installation-id",
        "argocd.argoproj.io/tracking-id",
        "example.com/sync-run",
      ],
    });
    expect(
      marksOf("{ argocd: { enabled: false }, flux: { enabled: false }, helm: { enabled: false } }"),
    ).toEqual({ labels: [], annotations: [] });
  });

  it("no longer ignores what GitOps tools write: those keys are marks", () => {
    const { policy } = parseConfig(`sources:\n${SOURCE}`, ORIGIN);
    for (const key of policy.gitopsMarks.labels) expect(policy.ignoreLabels.has(key)).toBe(false);
    for (const key of policy.gitopsMarks.annotations) expect(policy.ignoreAnnotations.has(key)).toBe(false);
  });

  it("reads `off` as a string (YAML 1.2), and a key left empty as unset", () => {
    const config = parseConfig(`mode: off\nexemptions:\nsources:\n${SOURCE}`, ORIGIN);
    expect(config.policy.mode).toBe("off");
    expect(config.policy.exemptions).toHaveLength(3);
  });

  it("reports every problem at once, sorted by path", () => {
    const text = `mode: strict\nsources:\n${SOURCE}${SOURCE}ignore:\n  - paths: ["spec["]\n`;
    expect(problemsOf(text)).toEqual([
      'ignore[0].paths[0]: cannot read "[" in path "spec["',
      "mode: must be one of off, audit, enforce",
      "sources[1].name: duplicate of sources[0].name",
    ]);
    expect(() => parseConfig(text, ORIGIN)).toThrow(
      "config config.yaml has 3 problems:\n  - ignore[0].paths[0]: cannot read",
    );
  });
});

describe("loadConfig", () => {
  const dir = mkdtempSync(join(tmpdir(), "driftguard-config-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads the file and resolves paths against its folder", () => {
    mkdirSync(join(dir, "conf"));
    const file = join(dir, "conf", "driftguard.yaml");
    writeFileSync(file, `sources:\n${SOURCE}stateDir: ../state\n`);
    expect(loadConfig(file).stateDir).toBe(join(dir, "state"));
  });

  it.each([
    ["a missing file", "absent.yaml", "no such file"],
    ["a folder", ".", "is a folder, not a file"],
  ])("names %s clearly", (_what, name, reason) => {
    const file = join(dir, name);
    const error = (() => {
      try {
        loadConfig(file);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe("DG_CONFIG_INVALID");
    expect((error as ConfigError).message).toBe(`config ${file}: cannot read the file: ${reason}`);
  });
});
