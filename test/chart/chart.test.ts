// The Helm chart, rendered by a real helm for every scenario under charts/driftguard/ci: lint clean,
// what a cluster admin relies on is there (HA, safe failure, least privilege, the webhook shape of docs/contract.md
// §8), and the config the chart writes is one that driftguard itself accepts.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { parseConfig } from "../../src/config/load-config.js";
import { VIEW_URL } from "../../src/web/access.js";
import { isLoopback } from "../../src/web/view-server.js";
import { CHART_DIR, goAvailable, helm, helmBinary } from "./helm.js";

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  [key: string]: unknown;
}

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

interface Port {
  name: string;
  port?: number | string;
  containerPort?: number;
  targetPort?: number | string;
  protocol?: string;
}

const SCENARIOS = readdirSync(join(CHART_DIR, "ci")).filter((file) => file.endsWith(".yaml"));
const NAMESPACE = "driftguard-system";
const hasGo = goAvailable();

async function render(scenario: string, extra: string[] = []): Promise<Manifest[]> {
  const result = await helm([
    ...["template", "dg", CHART_DIR, "-n", NAMESPACE],
    ...["-f", join(CHART_DIR, "ci", scenario), ...extra],
  ]);
  if (result.code !== 0) throw new Error(`helm template failed for ${scenario}: ${result.stderr}`);
  return parseAllDocuments(result.stdout)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((doc): doc is Manifest => doc !== null);
}

/** The value at a dotted path ("spec.template.spec.containers.0"), or undefined. */
function dig(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split(".")) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

const one = (docs: Manifest[], kind: string): Manifest => {
  const found = docs.filter((doc) => doc.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0] as Manifest;
};

const rulesOf = (manifest: Manifest) => (manifest.rules ?? []) as Rule[];

/** driftguard's own ClusterRole; the web view adds a second one, for people (WEB_VIEWER_ROLE). */
const DRIFTGUARD_ROLE = "dg-driftguard";
const WEB_VIEWER_ROLE = "dg-driftguard-web-viewer";

const named = (docs: Manifest[], kind: string, name: string): Manifest => {
  const found = docs.find((doc) => doc.kind === kind && doc.metadata.name === name);
  expect(found, `${kind} ${name}`).toBeDefined();
  return found as Manifest;
};

const driftguardRules = (docs: Manifest[]) => rulesOf(named(docs, "ClusterRole", DRIFTGUARD_ROLE));

const DECISION_RECORDS_CRD = "decisionrecords.driftguard.io";
const crdNames = (docs: Manifest[]) =>
  docs.filter((doc) => doc.kind === "CustomResourceDefinition").map((doc) => doc.metadata.name);
/** The Report CRDs: driftguard's own DecisionRecord CRD has its own switch (history.installCRD). */
const reportCrdNames = (docs: Manifest[]) => crdNames(docs).filter((name) => name !== DECISION_RECORDS_CRD);

/** The ClusterRole's rules on Report kinds, as `group/resource`. */
const reportRules = (docs: Manifest[]) =>
  driftguardRules(docs)
    .filter((rule) =>
      rule.apiGroups.some((group) => group === "openreports.io" || group === "wgpolicyk8s.io"),
    )
    .map((rule) => ({ resource: `${rule.apiGroups.join()}/${rule.resources.join()}`, verbs: rule.verbs }));

/** The driftguard config in the chart's ConfigMap, through driftguard's own loader. */
function configOf(docs: Manifest[]) {
  const data = one(docs, "ConfigMap").data as Record<string, string>;
  return parseConfig(data["driftguard.yaml"] ?? "", { file: "driftguard.yaml", dir: "/" });
}

describe.skipIf(!hasGo)("Helm chart", () => {
  beforeAll(() => {
    helmBinary(); // builds helm once (a few minutes cold), then cached
  }, 900_000);

  it("has ci scenarios to render: default, cert-manager, hardened, audit, Git credentials, web view", () => {
    expect(SCENARIOS.length).toBeGreaterThanOrEqual(7);
  });

  it.each(SCENARIOS)("%s: helm lint is clean", async (scenario) => {
    const result = await helm(["lint", CHART_DIR, "--strict", "-f", join(CHART_DIR, "ci", scenario)]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  it.each(SCENARIOS)("%s: the webhook is registered as docs/contract.md §8 says", async (scenario) => {
    const docs = await render(scenario);
    const webhook = dig(one(docs, "ValidatingWebhookConfiguration"), "webhooks.0");
    expect(webhook).toMatchObject({
      admissionReviewVersions: ["v1"],
      sideEffects: "NoneOnDryRun",
      matchPolicy: "Equivalent",
    });
    expect(dig(webhook, "objectSelector")).toBeUndefined();
    expect(dig(webhook, "rules")).toEqual([
      {
        apiGroups: ["apps"],
        apiVersions: ["*"],
        resources: ["deployments", "deployments/scale"],
        operations: ["CREATE", "UPDATE", "DELETE"],
        scope: "Namespaced",
      },
    ]);
    const expressions = dig(webhook, "namespaceSelector.matchExpressions") as {
      key: string;
      operator: string;
      values: string[];
    }[];
    expect(expressions.every((e) => e.key === "kubernetes.io/metadata.name")).toBe(true);
    const notIn = expressions.find((e) => e.operator === "NotIn");
    expect(notIn?.values).toEqual(expect.arrayContaining(["kube-system", NAMESPACE]));
    expect(dig(webhook, "timeoutSeconds")).toBeGreaterThanOrEqual(1);
    expect(["Fail", "Ignore"]).toContain(dig(webhook, "failurePolicy"));
  });

  it("failurePolicy: Fail by default (with 2 replicas and a PDB), Ignore where a scenario opts in", async () => {
    const policy = async (scenario: string) =>
      dig(one(await render(scenario), "ValidatingWebhookConfiguration"), "webhooks.0.failurePolicy");
    expect(await policy("default-values.yaml")).toBe("Fail");
    expect(await policy("audit-values.yaml")).toBe("Ignore");
  });

  it.each(SCENARIOS)("%s: the Deployment is HA, hardened and probed", async (scenario) => {
    const docs = await render(scenario);
    const deployment = one(docs, "Deployment");
    expect(dig(deployment, "spec.replicas")).toBeGreaterThanOrEqual(2);
    expect(dig(deployment, "spec.strategy.rollingUpdate.maxUnavailable")).toBe(0);
    const pod = dig(deployment, "spec.template.spec");
    expect(dig(pod, "securityContext")).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect((dig(pod, "topologySpreadConstraints") as unknown[]).length).toBeGreaterThan(0);
    const container = dig(pod, "containers.0");
    expect(dig(container, "securityContext")).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(dig(container, "livenessProbe.httpGet")).toMatchObject({ path: "/healthz", scheme: "HTTPS" });
    expect(dig(container, "readinessProbe.httpGet")).toMatchObject({ path: "/readyz", scheme: "HTTPS" });
    // Probes stay on the webhook's port: the web view's may demand a token, and is not what serves admissions.
    for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"])
      expect(dig(container, `${probe}.httpGet.port`), probe).toBe("https");
    expect(dig(container, "resources.requests")).toBeDefined();
    expect(dig(container, "lifecycle.preStop")).toBeDefined();
    expect(dig(one(docs, "PodDisruptionBudget"), "spec.minAvailable")).toBe(1);
  });

  it.each(SCENARIOS)("%s: driftguard accepts the config the chart writes", async (scenario) => {
    const docs = await render(scenario);
    const config = configOf(docs);
    expect(config.server.tlsCertFile).toBe("/etc/driftguard/tls/tls.crt");
    expect(config.kubernetes.watch).toBe("on");
    const git = scenario.includes("hardened") || scenario.includes("https-token");
    for (const source of config.sources) expect(source.auth !== undefined).toBe(git);
  });

  it("least privilege: no Secret access beyond its own, no write on RBAC, webhook configuration by name", async () => {
    for (const scenario of SCENARIOS) {
      const docs = await render(scenario);
      for (const rule of driftguardRules(docs)) {
        expect(rule.resources).not.toContain("secrets");
        expect(rule.verbs).not.toContain("*");
        if (rule.apiGroups.includes("rbac.authorization.k8s.io"))
          expect(rule.verbs).toEqual(["get", "list", "watch"]);
        if (rule.resources.includes("validatingwebhookconfigurations"))
          expect(rule.resourceNames).toEqual(["dg-driftguard"]);
      }
      // The only other ClusterRole is the web viewer's, for people: get on the one URL, nothing else.
      for (const role of docs.filter(
        (doc) => doc.kind === "ClusterRole" && doc.metadata.name !== DRIFTGUARD_ROLE,
      ))
        expect({ name: role.metadata.name, rules: role.rules }, scenario).toEqual({
          name: WEB_VIEWER_ROLE,
          rules: [{ nonResourceURLs: [VIEW_URL], verbs: ["get"] }],
        });
      for (const role of docs.filter((doc) => doc.kind === "Role")) {
        for (const rule of rulesOf(role)) {
          if (rule.verbs.some((verb) => verb !== "create"))
            expect([["dg-driftguard-tls"], ["dg-driftguard"]]).toContainEqual(rule.resourceNames);
        }
      }
    }
  });

  it.each([
    { set: [], verbs: ["get", "list", "watch"] },
    { set: ["--set", "revert.enabled=true"], verbs: ["get", "list", "watch", "update", "patch"] },
    { set: ["--set", "config.report.scan=off"], verbs: undefined },
  ])("Deployments: read for the scan, patched only with revert.enabled ($set)", async ({ set, verbs }) => {
    const docs = await render("default-values.yaml", set);
    const rules = driftguardRules(docs).filter((rule) => rule.resources.includes("deployments"));
    expect(rules.map((rule) => rule.verbs)).toEqual(verbs === undefined ? [] : [verbs]);
  });

  it("revert.enabled without the live scan is refused at render time", async () => {
    await expect(
      render("default-values.yaml", ["--set", "revert.enabled=true", "--set", "config.report.scan=off"]),
    ).rejects.toThrow(/revert.enabled needs the live scan/);
  });

  it("certificates: self-managed uses an emptyDir and its RBAC; cert-manager a Certificate and CA injection", async () => {
    const self = await render("default-values.yaml");
    expect(self.some((doc) => doc.kind === "Certificate")).toBe(false);
    expect(rulesOf(named(self, "Role", "dg-driftguard"))).toHaveLength(2);
    const volumes = dig(one(self, "Deployment"), "spec.template.spec.volumes") as { name: string }[];
    expect(volumes.find((volume) => volume.name === "tls")).toMatchObject({ emptyDir: { medium: "Memory" } });
    const config = configOf(self);
    expect(config.certificates).toMatchObject({
      mode: "self-managed",
      secretName: "dg-driftguard-tls",
      secretNamespace: NAMESPACE,
      webhookConfigurationName: "dg-driftguard",
      dnsNames: [`dg-driftguard.${NAMESPACE}.svc`, `dg-driftguard.${NAMESPACE}.svc.cluster.local`],
    });
    const manager = await render("cert-manager-values.yaml");
    expect(dig(one(manager, "Certificate"), "spec.dnsNames")).toContain(`dg-driftguard.${NAMESPACE}.svc`);
    expect(
      one(manager, "ValidatingWebhookConfiguration").metadata.annotations?.["cert-manager.io/inject-ca-from"],
    ).toBe(`${NAMESPACE}/dg-driftguard`);
    expect(manager.some((doc) => doc.kind === "Role" && doc.metadata.name === "dg-driftguard")).toBe(false);
  });

  it.each([
    {
      reports: undefined,
      crds: ["reports.openreports.io", "clusterreports.openreports.io"],
      rules: ["openreports.io/reports"],
    },
    {
      reports: "policyreports",
      crds: ["policyreports.wgpolicyk8s.io", "clusterpolicyreports.wgpolicyk8s.io"],
      rules: ["wgpolicyk8s.io/policyreports"],
    },
    {
      reports: "both",
      crds: [
        "reports.openreports.io",
        "clusterreports.openreports.io",
        "policyreports.wgpolicyk8s.io",
        "clusterpolicyreports.wgpolicyk8s.io",
      ],
      rules: ["openreports.io/reports", "wgpolicyk8s.io/policyreports"],
    },
    { reports: "off", crds: [], rules: [] },
  ])(
    "Reports ($reports): the CRDs only with reports.installCRDs, and RBAC for the kinds written",
    async ({ reports, crds, rules }) => {
      const kind = reports === undefined ? [] : ["--set", `config.report.reports=${reports}`];
      const without = await render("default-values.yaml", kind);
      expect(reportCrdNames(without)).toEqual([]);
      const docs = await render("default-values.yaml", [...kind, "--set", "reports.installCRDs=true"]);
      expect(reportCrdNames(docs)).toEqual(crds);
      for (const crd of docs.filter((doc) => doc.kind === "CustomResourceDefinition"))
        expect(crd.metadata.annotations?.["helm.sh/resource-policy"]).toBe("keep");
      expect(reportRules(docs)).toEqual(
        rules.map((resource) => ({
          resource,
          verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
        })),
      );
      expect(configOf(docs).report.reports).toBe(reports ?? "openreports");
    },
  );

  it("decision history: the DecisionRecord CRD by default (kept on uninstall), RBAC to create, list and delete records", async () => {
    const docs = await render("default-values.yaml");
    const crd = named(docs, "CustomResourceDefinition", DECISION_RECORDS_CRD);
    expect(crd.metadata.annotations?.["helm.sh/resource-policy"]).toBe("keep");
    const recordRules = (manifests: Manifest[]) =>
      driftguardRules(manifests).filter((rule) => rule.apiGroups.includes("driftguard.io"));
    expect(recordRules(docs)).toEqual([
      { apiGroups: ["driftguard.io"], resources: ["decisionrecords"], verbs: ["create", "list", "delete"] },
    ]);
    expect(configOf(docs).history).toMatchObject({ enabled: true, records: "auto" });
    const without = await render("default-values.yaml", ["--set", "history.installCRD=false"]);
    expect(crdNames(without)).not.toContain(DECISION_RECORDS_CRD);
    const off = await render("default-values.yaml", ["--set", "config.history.records=off"]);
    expect(recordRules(off)).toEqual([]);
  });

  it("the writers' Lease: named after the release in its namespace, its Role limited to it, the pod's name as holder", async () => {
    const docs = await render("default-values.yaml");
    expect(configOf(docs).report.lease).toMatchObject({ name: "dg-driftguard", namespace: NAMESPACE });
    const role = named(docs, "Role", "dg-driftguard-lease");
    expect(role.metadata.namespace).toBe(NAMESPACE);
    expect(rulesOf(role)).toEqual([
      {
        apiGroups: ["coordination.k8s.io"],
        resources: ["leases"],
        resourceNames: ["dg-driftguard"],
        verbs: ["get", "update"],
      },
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
    ]);
    expect(dig(named(docs, "RoleBinding", "dg-driftguard-lease"), "roleRef.name")).toBe(
      "dg-driftguard-lease",
    );
    const env = dig(one(docs, "Deployment"), "spec.template.spec.containers.0.env") as { name: string }[];
    expect(env.map((entry) => entry.name)).toEqual(expect.arrayContaining(["POD_NAME", "POD_NAMESPACE"]));
    const custom = await render("default-values.yaml", [
      ...["--set", "config.report.lease.name=writers", "--set", "config.report.lease.namespace=ops"],
    ]);
    expect(configOf(custom).report.lease).toMatchObject({ name: "writers", namespace: "ops" });
    expect(named(custom, "Role", "dg-driftguard-lease").metadata.namespace).toBe("ops");
    expect(rulesOf(named(custom, "Role", "dg-driftguard-lease"))[0]?.resourceNames).toEqual(["writers"]);
  });

  it("webhook.url: the API server calls the URL, and its host is among the certificate's names", async () => {
    const url = "https://driftguard.dev.example.com:8443/validate";
    const docs = await render("default-values.yaml", ["--set", `webhook.url=${url}`]);
    expect(dig(one(docs, "ValidatingWebhookConfiguration"), "webhooks.0.clientConfig")).toEqual({ url });
    expect(configOf(docs).certificates.dnsNames).toContain("driftguard.dev.example.com");
    // An IP host goes to the certificate's IP addresses: clients match IP hosts against IP SANs only.
    const byIp = await render("default-values.yaml", ["--set", "webhook.url=https://10.0.0.5:8443/validate"]);
    expect(configOf(byIp).certificates.ipAddresses).toEqual(["10.0.0.5"]);
    expect(configOf(byIp).certificates.dnsNames).not.toContain("10.0.0.5");
  });

  it("NetworkPolicy: ingress on the webhook port only, egress limited to the rules in values", async () => {
    const docs = await render("hardened-values.yaml");
    const spec = dig(one(docs, "NetworkPolicy"), "spec");
    expect(dig(spec, "policyTypes")).toEqual(["Ingress", "Egress"]);
    expect(dig(spec, "ingress")).toEqual([{ ports: [{ port: "https", protocol: "TCP" }] }]);
    expect(dig(spec, "egress.0.ports")).toEqual([
      { port: 53, protocol: "UDP" },
      { port: 53, protocol: "TCP" },
    ]);
    expect((await render("default-values.yaml")).some((doc) => doc.kind === "NetworkPolicy")).toBe(false);
  });

  it("ServiceMonitor: scrapes /metrics over TLS, trusting the CA bundle that survives a rotation", async () => {
    const docs = await render("hardened-values.yaml");
    const endpoint = dig(one(docs, "ServiceMonitor"), "spec.endpoints.0");
    expect(endpoint).toMatchObject({ path: "/metrics", scheme: "https" });
    expect(dig(endpoint, "tlsConfig.ca.secret")).toEqual({ name: "dg-driftguard-tls", key: "ca-bundle.crt" });
  });

  it("live scan: the ClusterRole reads Deployments (get, list, watch, nothing more) unless report.scan is off", async () => {
    const apps = (docs: Manifest[]) =>
      driftguardRules(docs).filter((rule) => rule.apiGroups.includes("apps"));
    for (const scenario of SCENARIOS)
      expect(apps(await render(scenario)), scenario).toEqual([
        { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch"] },
      ]);
    const off = await render("default-values.yaml", ["--set", "config.report.scan=off"]);
    expect(apps(off)).toEqual([]);
    expect(configOf(off).report.scan).toBe("off");
  });

  it("PrometheusRule: off by default; when on, the four alerts with the thresholds from values", async () => {
    expect((await render("default-values.yaml")).some((doc) => doc.kind === "PrometheusRule")).toBe(false);
    const docs = await render("default-values.yaml", [
      ...["--set", "prometheusRule.enabled=true", "--set", "prometheusRule.sourceStaleMinutes=30"],
      ...["--set", "prometheusRule.labels.release=prom"],
    ]);
    const rule = one(docs, "PrometheusRule");
    expect(rule.metadata).toMatchObject({ name: "dg-driftguard", namespace: NAMESPACE });
    expect(dig(rule, "metadata.labels.release")).toBe("prom");
    const alerts = dig(rule, "spec.groups.0.rules") as { alert: string; expr: string; for: string }[];
    expect(alerts.map((alert) => alert.alert)).toEqual([
      "DriftguardDriftInEnforceNamespace",
      "DriftguardSourceNotSynced",
      "DriftguardWebhookErrors",
      "DriftguardScanNotSynced",
    ]);
    const [drift, stale, errors] = alerts;
    expect(drift?.expr).toContain('driftguard_deployments{mode="enforce", state="drifted"}');
    expect(stale?.expr).toContain("> 1800");
    expect(stale?.for).toBe("30m");
    // The API server's own count, under the webhook's name as the chart registers it.
    const webhook = dig(one(docs, "ValidatingWebhookConfiguration"), "webhooks.0.name") as string;
    expect(errors?.expr).toContain(`name="${webhook}"`);
    // Prometheus templates reach Prometheus as written, not eaten by helm.
    expect(JSON.stringify(rule)).toContain("{{ $labels.namespace }}");
    const bad = await helm(["template", "dg", CHART_DIR, "--set", "prometheusRule.driftFor=soon"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("driftFor");
  });

  describe("web view", () => {
    const LOOPBACK = "web-view-loopback-values.yaml";
    const TOKENS = "web-view-tokens-values.yaml";
    const REVIEWS = [
      { apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"], verbs: ["create"] },
      { apiGroups: ["authorization.k8s.io"], resources: ["subjectaccessreviews"], verbs: ["create"] },
    ];
    const reviewRules = (docs: Manifest[]) =>
      driftguardRules(docs).filter((rule) =>
        rule.resources.some((resource) => resource === "tokenreviews" || resource === "subjectaccessreviews"),
      );
    const hasWebViewer = (docs: Manifest[]) =>
      docs.some((doc) => doc.kind === "ClusterRole" && doc.metadata.name === WEB_VIEWER_ROLE);
    const webViewPort = (ports: unknown) =>
      ((ports ?? []) as Port[]).find((port) => port.name === "web-view");
    const containerPort = (docs: Manifest[]) =>
      webViewPort(dig(one(docs, "Deployment"), "spec.template.spec.containers.0.ports"));
    const servicePort = (docs: Manifest[]) => webViewPort(dig(one(docs, "Service"), "spec.ports"));
    /** The NetworkPolicy's ingress ports, by name or number. */
    const allowedIngress = (docs: Manifest[]) =>
      ((dig(one(docs, "NetworkPolicy"), "spec.ingress") ?? []) as { ports: Port[] }[]).flatMap((rule) =>
        rule.ports.map((port) => port.port),
      );

    it("both web view scenarios are among the ci scenarios (lint, config and least-privilege tests cover them)", () => {
      expect(SCENARIOS).toEqual(expect.arrayContaining([LOOPBACK, TOKENS]));
    });

    it("off by default: no port, no review rights, no web-viewer ClusterRole, nothing in the config", async () => {
      const docs = await render("default-values.yaml", ["--set", "networkPolicy.enabled=true"]);
      expect(containerPort(docs)).toBeUndefined();
      expect(servicePort(docs)).toBeUndefined();
      expect(allowedIngress(docs)).toEqual(["https"]);
      expect(reviewRules(docs)).toEqual([]);
      expect(hasWebViewer(docs)).toBe(false);
      expect(configOf(docs).webView.enabled).toBe(false);
    });

    it("loopback: plain port-forward access, the config says so, nothing exposed, no review rights", async () => {
      const docs = await render(LOOPBACK, ["--set", "networkPolicy.enabled=true"]);
      const config = configOf(docs);
      expect(config.webView).toEqual({
        enabled: true,
        host: "127.0.0.1",
        port: 8081,
        authCacheForMs: 30_000,
        maxDecisions: 500,
      });
      expect(isLoopback(config.webView.host)).toBe(true);
      expect(containerPort(docs)).toEqual({ name: "web-view", containerPort: 8081, protocol: "TCP" });
      expect(servicePort(docs)).toBeUndefined();
      expect(allowedIngress(docs)).toEqual(["https"]);
      expect(reviewRules(docs)).toEqual([]);
      expect(rulesOf(named(docs, "ClusterRole", WEB_VIEWER_ROLE))).toEqual([
        { nonResourceURLs: [VIEW_URL], verbs: ["get"] },
      ]);
      // The viewer role is for people to bind: the chart binds it to no one.
      const bindings = docs.filter((doc) => doc.kind === "ClusterRoleBinding" || doc.kind === "RoleBinding");
      expect(bindings.map((binding) => dig(binding, "roleRef.name"))).not.toContain(WEB_VIEWER_ROLE);
    });

    it("beyond loopback: review rights, the port on the Service and through the NetworkPolicy", async () => {
      const docs = await render(TOKENS);
      const config = configOf(docs);
      expect(config.webView).toEqual({
        enabled: true,
        host: "0.0.0.0",
        port: 9443,
        authCacheForMs: 60_000,
        maxDecisions: 200,
      });
      expect(isLoopback(config.webView.host)).toBe(false);
      expect(config.webView.port).not.toBe(config.server.port);
      expect(reviewRules(docs)).toEqual(REVIEWS);
      expect(hasWebViewer(docs)).toBe(true);
      expect(containerPort(docs)).toEqual({ name: "web-view", containerPort: 9443, protocol: "TCP" });
      expect(servicePort(docs)).toEqual({
        name: "web-view",
        port: 9443,
        targetPort: "web-view",
        protocol: "TCP",
      });
      expect(allowedIngress(docs)).toEqual(["https", "web-view"]);
      // HTTPS with the webhook's pair: the Service it is reached by is the one the certificate names.
      expect(config.certificates.dnsNames).toContain(`dg-driftguard.${NAMESPACE}.svc`);
    });

    it("beyond loopback without webView.service: still tokens, but neither the Service nor the NetworkPolicy opens it", async () => {
      const docs = await render(TOKENS, ["--set", "webView.service.enabled=false"]);
      expect(reviewRules(docs)).toEqual(REVIEWS);
      expect(containerPort(docs)?.containerPort).toBe(9443);
      expect(servicePort(docs)).toBeUndefined();
      expect(allowedIngress(docs)).toEqual(["https"]);
    });

    // The chart's loopback test must agree with driftguard's own: review rights exactly when it asks for tokens.
    it.each([
      "127.0.0.1",
      "127.1.2.3",
      "localhost",
      "::1",
      "0.0.0.0",
      "::",
      "10.0.0.5",
      "127.0.0.256",
      "127.0.0.01",
    ])("host %s: review rights exactly when driftguard's isLoopback says tokens are needed", async (host) => {
      const docs = await render(LOOPBACK, ["--set-string", `webView.host=${host}`]);
      expect(configOf(docs).webView.host).toBe(host);
      expect(reviewRules(docs)).toEqual(isLoopback(host) ? [] : REVIEWS);
    });

    it.each([
      { set: ["webView.port=8443"], says: "webView.port must differ from 8443" },
      { set: ["webView.service.enabled=true"], says: "webView.host 127.0.0.1 is loopback" },
      {
        set: ["webView.host=0.0.0.0", "webView.service.enabled=true", "webView.port=443"],
        says: "webView.port 443 is service.port too",
      },
    ])("refused at render time: $set", async ({ set, says }) => {
      await expect(
        render(
          LOOPBACK,
          set.flatMap((value) => ["--set", value]),
        ),
      ).rejects.toThrow(says);
    });
  });

  it("values.schema.json refuses unknown keys and bad values, with the path", async () => {
    for (const [set, says] of [
      ["bogus=1", "bogus"],
      ["webhook.failurePolicy=Maybe", "failurePolicy"],
      ["webhook.timeoutSeconds=60", "timeoutSeconds"],
      ["config.server.port=1", "config"],
      ["certificates.mode=vault", "mode"],
      ["webhook.url=http://driftguard.example.com/validate", "url"],
      ["webView.bogus=1", "bogus"],
      ["webView.authCacheFor=soon", "authCacheFor"],
      ["webView.port=0", "port"],
      // The chart writes config.webView from the webView values: one place to say it.
      ["config.webView.enabled=true", "config"],
    ]) {
      const result = await helm(["template", "dg", CHART_DIR, "--set", set as string]);
      expect(result.code, set).not.toBe(0);
      expect(result.stderr).toContain(says);
    }
  });
});

if (!hasGo) {
  it.skip("Helm chart: Go is not installed, so helm cannot be built here; chart tests skipped", () => {});
}

describe("values.yaml", () => {
  // Documented as helm-docs reads it: a `# --` comment right above a key covers it and what it holds.
  it("documents every value", () => {
    const lines = readFileSync(join(CHART_DIR, "values.yaml"), "utf8").split("\n");
    const keys: { indent: number; documented: boolean }[] = [];
    const undocumented: string[] = [];
    lines.forEach((line, index) => {
      const key = /^(\s*)(?:- )?([A-Za-z][\w.-]*):(.*)$/.exec(line);
      if (!key) return;
      const indent = line.length - line.trimStart().length;
      while (keys.length > 0 && (keys.at(-1)?.indent ?? 0) >= indent) keys.pop();
      let above = index - 1;
      while (
        above >= 0 &&
        (lines[above] ?? "").trim().startsWith("#") &&
        !(lines[above] ?? "").includes("# --")
      )
        above--;
      const own = (lines[above] ?? "").trim().startsWith("# --");
      const documented = own || keys.some((k) => k.documented);
      const next = lines.slice(index + 1).find((l) => l.trim() !== "" && !l.trim().startsWith("#"));
      const isParent =
        (key[3] ?? "").trim() === "" && next !== undefined && next.length - next.trimStart().length > indent;
      if (!documented && !isParent) undocumented.push(`${index + 1}: ${line.trim()}`);
      keys.push({ indent, documented });
    });
    expect(undocumented).toEqual([]);
  });
});
