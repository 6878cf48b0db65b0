// Secrets never leak (docs/contract.md §2 Secrets, §9), over the real e2e run: a driftguard of this file's
// own, registered beside the run's webhook for two namespaces of its own, reads Git over HTTP with a token
// (in a token file, and once written into the URL) and, when an sshd can be had, over SSH with a private
// key. Its Deployments carry secret-like env values (DB_PASSWORD, API_TOKEN), in Git and live. Users'
// edits of those values are denied (enforce) and warned (audit); propose, history, plan and diff run as
// users run them; the push webhook is called with its token; then both remotes fail. Every artefact the
// run made by then is searched for every secret (test/support/secret-scan.ts): every driftguard log of the
// run (this file's, the run's webhook's, and those of the files that ran before), the decision stores on
// disk, Events, Reports, PolicyReports, DecisionRecords, the API server's audit annotations and answers,
// kubectl's output, the CLI's output, /metrics and /readyz. The first hit fails the test.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { type GitHttpServer, startGitHttpServer } from "../support/git/http-git-server.js";
import { createTestRepo, type TestRepo } from "../support/git/test-repo.js";
import {
  type Artefact,
  countsOf,
  describeHit,
  findLeak,
  type Secret,
  summaryOf,
} from "../support/secret-scan.js";
import { keyFragments, makeKeyPair, requireSshd, type SshServer, startSshServer } from "../support/sshd.js";
import { sendHttps } from "../support/tls/https-client.js";
import { runCli } from "./support/cli.js";
import { ALICE, webhookConfiguration } from "./support/cluster-setup.js";
import { driftguardConfigYaml } from "./support/configs.js";
import { DRIFTGUARD_USER } from "./support/control-plane.js";
import { type DriftguardProcess, type ServerFiles, startDriftguard } from "./support/driftguard.js";
import { type KubectlResult, kubectl, kubectlOk } from "./support/kubectl.js";
import { webDeployment, yamlOf } from "./support/manifests.js";
import { freePort, waitFor } from "./support/processes.js";
import { PLANTED, runFileArtefacts } from "./support/run-artefacts.js";

const testbed = inject("testbed");
const ssh = requireSshd();
if (ssh.skipReason !== undefined) console.warn(`secrets: ${ssh.skipReason}; the SSH source is left out`);

const ENFORCE = "e2e-secrets";
const AUDIT = "e2e-secrets-audit";
const WEBHOOK = "secrets-driftguard";
const UID = /--request ([0-9a-f-]{36})/;

const SECRETS = {
  gitToken: "e2etok-5f4e3d2c1b0a9z",
  pushToken: "e2epush-8h7g6f5e4d3c",
  gitDbPassword: "gitdbpass-2b3c4d5e6f",
  gitApiToken: "gitapitok-6f7a8b9c0d",
  liveDbPassword: "livedbpass-1q2w3e4r5t",
  liveApiToken: "liveapitok-9o8i7u6y5t",
};

/** Git's secret-like env values, written last in the container (a diff's context lines stay clear of them). */
function vault(name: string, namespace: string): Record<string, unknown> {
  const manifest = webDeployment({ name, namespace });
  const spec = manifest.spec as { template: { spec: { containers: Record<string, unknown>[] } } };
  const container = spec.template.spec.containers[0] ?? {};
  delete container.env;
  container.env = [
    { name: "LOG_LEVEL", value: "info" },
    { name: "DB_PASSWORD", value: SECRETS.gitDbPassword },
    { name: "API_TOKEN", value: SECRETS.gitApiToken },
  ];
  return manifest;
}

let dir = "";
let repo: TestRepo;
let git: GitHttpServer;
let sshd: SshServer | undefined;
let sshKey = "";
let driftguard: DriftguardProcess | undefined;
let cliConfig = "";
let webViewPort = 0;
/** What users saw: kubectl's and the CLI's output, the pages asked for. */
const seen: Artefact[] = [];

const as = async (user: string, args: string[]): Promise<KubectlResult> => {
  const result = await kubectl(testbed, user, args);
  seen.push({
    kind: "kubectl output",
    name: `kubectl ${args.join(" ")}`,
    text: result.stdout + result.stderr,
  });
  return result;
};
const setEnv = (name: string, namespace: string) =>
  as(ALICE.name, [
    ...["set", "env", `deployment/${name}`, "-n", namespace],
    `DB_PASSWORD=${SECRETS.liveDbPassword}`,
    `API_TOKEN=${SECRETS.liveApiToken}`,
  ]);
const cli = async (args: string[]) => {
  const run = await runCli(args);
  seen.push({ kind: "CLI output", name: `driftguard ${args.join(" ")}`, text: run.stdout + run.stderr });
  return run;
};
const page = async (path: string, init: { method?: string; headers?: Record<string, string> } = {}) => {
  const target = driftguard;
  if (target === undefined) throw new Error("this file's driftguard did not start");
  const response = await sendHttps({
    url: `${target.url}${path}`,
    ca: target.caPem,
    ...(init.method === undefined ? {} : { method: init.method, body: "{}" }),
    headers: { "content-type": "application/json", ...init.headers },
  });
  seen.push({ kind: "page", name: `${init.method ?? "GET"} ${path}`, text: response.text });
  return response;
};

function configYaml(server: ServerFiles | undefined, stateDir: string): string {
  const withToken = git.url("remote").replace("http://", `http://bot:${SECRETS.gitToken}@`);
  const more = [
    `  - {name: inurl, url: "${withToken}", paths: [inurl], interval: 5s}`,
    ...(sshd === undefined
      ? []
      : [
          `  - {name: ssh, url: "${sshd.url(join(dir, "served", "remote"))}", paths: [ssh], interval: 5s, auth: {sshKeyFile: ${join(dir, "ssh-key")}, knownHostsFile: ${join(dir, "known_hosts")}}}`,
        ]),
  ];
  return driftguardConfigYaml({
    auditNamespace: AUDIT,
    source: {
      name: "files",
      url: git.url("remote"),
      paths: ["http"],
      interval: "5s",
      auth: `{usernameFile: ${join(dir, "username")}, tokenFile: ${join(dir, "token")}}`,
    },
    moreSources: more.join("\n"),
    ...(server === undefined ? {} : { server: { ...server, pushTokenFile: join(dir, "push-token") } }),
    stateDir,
    logLevel: "debug",
    kubernetes: { watch: "on", kubeconfig: testbed.kubeconfigs[DRIFTGUARD_USER] ?? "" },
    report: { reports: "both", lease: `{name: ${WEBHOOK}, namespace: default}` },
    // Its web view on loopback: the sources' URLs (one holds the token), drift and decisions as a page shows them.
    ...(server === undefined ? {} : { webView: { host: "127.0.0.1", port: webViewPort } }),
  });
}

beforeAll(async () => {
  dir = join(testbed.workDir, "secrets");
  await mkdir(join(dir, "served"), { recursive: true });
  repo = await createTestRepo(join(dir, "served", "remote"), dir);
  // propose --branch pushes to this remote, over HTTP with the token.
  await repo.git("config", "http.receivepack", "true");
  await repo.commit("secret-like env values in Git", {
    [`http/${ENFORCE}/vault.yaml`]: yamlOf(vault("vault", ENFORCE)),
    [`http/${AUDIT}/vault.yaml`]: yamlOf(vault("vault", AUDIT)),
    [`inurl/${AUDIT}/url-vault.yaml`]: yamlOf(vault("url-vault", AUDIT)),
    [`ssh/${ENFORCE}/ssh-vault.yaml`]: yamlOf(vault("ssh-vault", ENFORCE)),
  });
  git = await startGitHttpServer({
    root: join(dir, "served"),
    home: dir,
    auth: { username: "bot", password: SECRETS.gitToken },
  });
  await writeFile(join(dir, "username"), "bot\n");
  await writeFile(join(dir, "token"), `${SECRETS.gitToken}\n`);
  await writeFile(join(dir, "push-token"), `${SECRETS.pushToken}\n`);
  if (ssh.sshd !== undefined) {
    const key = await makeKeyPair(dir, "ssh-key");
    sshKey = await readFile(key.privateKeyFile, "utf8");
    await mkdir(join(dir, "sshd"));
    sshd = await startSshServer({ sshd: ssh.sshd, dir: join(dir, "sshd"), authorizedKeys: [key.publicKey] });
    await writeFile(join(dir, "known_hosts"), `${sshd.knownHostsLine()}\n`);
  }
  // The run's teardown searches every driftguard log of the run for them once more, after the last file.
  await writeFile(join(testbed.workDir, PLANTED), JSON.stringify(secretsToFind()), { mode: 0o600 });
  for (const namespace of [ENFORCE, AUDIT])
    await kubectlOk(testbed, "admin", ["create", "namespace", namespace]);
  // The Deployments as Git has them, before this file's webhook exists (the run's finds them unmanaged).
  const manifests = [vault("vault", ENFORCE), vault("vault", AUDIT), vault("url-vault", AUDIT)];
  if (sshd !== undefined) manifests.push(vault("ssh-vault", ENFORCE));
  for (const manifest of manifests)
    await kubectlOk(testbed, "admin", ["apply", "-f", "-"], { input: yamlOf(manifest) });

  webViewPort = await freePort();
  const serverDir = join(dir, "driftguard");
  await mkdir(serverDir, { recursive: true });
  driftguard = await startDriftguard(serverDir, (server) => configYaml(server, join(serverDir, "state")));
  await kubectlOk(testbed, "admin", ["apply", "-f", "-"], {
    input: webhookConfiguration(WEBHOOK, driftguard.url, driftguard.caPem, {
      webhook: "deployments.secrets.driftguard.io",
      namespaces: [ENFORCE, AUDIT],
    }),
  });
  cliConfig = join(dir, "cli.yaml");
  await writeFile(cliConfig, configYaml(undefined, join(dir, "cli-state")));
  // The API server picks the configuration up asynchronously: a dry-run edit is denied once it has.
  await waitFor(
    "the API server to call this file's driftguard",
    async () => {
      const probe = await kubectl(testbed, ALICE.name, [
        ...["set", "image", "deployment/vault", "web=nginx:probe", "-n", ENFORCE, "--dry-run=server"],
      ]);
      return probe.code !== 0 && probe.stderr.includes("driftguard") ? true : undefined;
    },
    30_000,
    500,
  );
}, 300_000);

afterAll(async () => {
  await kubectl(testbed, "admin", [
    "delete",
    "validatingwebhookconfiguration",
    WEBHOOK,
    "--ignore-not-found",
  ]);
  for (const namespace of [ENFORCE, AUDIT])
    await kubectl(testbed, "admin", ["delete", "namespace", namespace, "--wait=false"]);
  await driftguard?.process.stop();
  await git?.stop();
  await sshd?.stop();
});

describe("secrets never leak, over the e2e run", () => {
  const uids: string[] = [];

  test("edits of secret-like values are denied (enforce) and warned (audit), by name, never by value", async () => {
    const denied = await setEnv("vault", ENFORCE);
    expect(denied.code, denied.stderr).not.toBe(0);
    expect(denied.stderr).toContain("DB_PASSWORD");
    uids.push(UID.exec(denied.stderr)?.[1] ?? "");
    const warned = await setEnv("vault", AUDIT);
    expect(warned.code, warned.stderr).toBe(0);
    expect(warned.stderr).toMatch(/Warning: .*driftguard/);
    expect(warned.stderr).toContain("API_TOKEN");
    const inUrl = await setEnv("url-vault", AUDIT);
    expect(inUrl.code, inUrl.stderr).toBe(0);
    if (sshd !== undefined) {
      const overSsh = await setEnv("ssh-vault", ENFORCE);
      expect(overSsh.code, overSsh.stderr).not.toBe(0);
      expect(overSsh.stderr).toContain("ssh-vault");
    }
    // An image edit, so that a proposal can be pushed; and a scale, through the subresource.
    const image = await as(ALICE.name, [
      ...["set", "image", "deployment/vault", "web=nginx:1.27.9", "-n", ENFORCE],
    ]);
    expect(image.code).not.toBe(0);
    uids.push(UID.exec(image.stderr)?.[1] ?? "");
    const scale = await as(ALICE.name, ["scale", "deployment/vault", "--replicas=5", "-n", ENFORCE]);
    expect(scale.code).not.toBe(0);
    expect(uids.every((uid) => uid.length === 36)).toBe(true);
  });

  test("propose, history, plan and diff run with the secrets in play", async () => {
    const [envUid, imageUid] = uids;
    // A record masks secret values: propose from it is refused, and says why.
    const refused = await waitFor(
      "the decision record of the denied env edit",
      async () => {
        const run = await cli(["propose", "--config", cliConfig, "--request", envUid ?? "", "-o", "json"]);
        return run.stderr.includes("DG_PROPOSE_NO_RECORD") ? undefined : run;
      },
      30_000,
      500,
    );
    expect(refused.code, refused.stdout + refused.stderr).toBe(1);
    const pushed = await waitFor(
      "the decision record of the denied image edit",
      async () => {
        const run = await cli([
          ...["propose", "--config", cliConfig, "--request", imageUid ?? "", "--branch", "-o", "json"],
        ]);
        return run.stderr.includes("DG_PROPOSE_NO_RECORD") ? undefined : run;
      },
      30_000,
      500,
    );
    expect(pushed.code, pushed.stdout + pushed.stderr).toBe(0);
    expect(pushed.stdout).toContain('"kind": "Proposal"');
    expect(await repo.git("branch", "--list", "driftguard/*")).toContain("driftguard/");
    for (const namespace of [ENFORCE, AUDIT]) {
      const history = await cli([
        ...[
          "history",
          "--kubeconfig",
          testbed.kubeconfigs.admin ?? "",
          "--namespace",
          namespace,
          "-o",
          "json",
        ],
      ]);
      expect(history.code, history.stderr).toBe(0);
      expect(history.stdout).toContain('"kind": "DecisionRecord"');
    }
    const plan = await cli(["plan", "--config", cliConfig, "--namespace", AUDIT, "-o", "json"]);
    expect(plan.stdout).toContain("DB_PASSWORD");
    // The audit log holds the users' requests with the live values: replay reads them, shows fields only.
    for (const output of ["json", "text"]) {
      const replay = await cli([
        "replay",
        "--config",
        cliConfig,
        "--audit-log",
        testbed.auditLog,
        "-o",
        output,
      ]);
      expect(replay.code, replay.stderr).not.toBe(2);
      expect(replay.stdout).toContain("DB_PASSWORD");
    }
    for (const output of ["json", "text"]) {
      const diff = await cli([
        "diff",
        "--config",
        cliConfig,
        "--cluster",
        "--namespace",
        AUDIT,
        "-o",
        output,
      ]);
      expect(diff.code, diff.stderr).toBe(1);
      expect(diff.stdout).toContain("API_TOKEN");
    }
  });

  test("the live drift reaches a Report, a PolicyReport and the Events", async () => {
    await waitFor(
      "the audit namespace's Reports to hold the env drift",
      async () => {
        const reports = await kubectl(testbed, "admin", [
          "get",
          "reports.openreports.io",
          "-n",
          AUDIT,
          "-o",
          "json",
        ]);
        const policy = await kubectl(testbed, "admin", [
          ...["get", "policyreports.wgpolicyk8s.io", "-n", AUDIT, "-o", "json"],
        ]);
        return reports.stdout.includes("DB_PASSWORD") && policy.stdout.includes("DB_PASSWORD")
          ? true
          : undefined;
      },
      60_000,
      500,
    );
    await waitFor(
      "DriftWarned and DriftDenied Events",
      async () => {
        const events = await kubectlOk(testbed, "admin", ["get", "events.events.k8s.io", "-A", "-o", "json"]);
        return events.includes("DriftWarned") && events.includes("DriftDenied") ? true : undefined;
      },
      30_000,
      500,
    );
  });

  test("the push webhook is called with its token and without; then both remotes fail", async () => {
    expect(
      (await page("/refresh", { method: "POST", headers: { authorization: "Bearer wrong" } })).status,
    ).toBe(401);
    const right = await page("/refresh", {
      method: "POST",
      headers: { authorization: `Bearer ${SECRETS.pushToken}` },
    });
    expect(right.status).toBeLessThan(300);
    await page("/metrics");
    await git.goAway();
    await sshd?.restartWithNewHostKey();
    const failing = sshd === undefined ? ["files", "inurl"] : ["files", "inurl", "ssh"];
    await waitFor(
      `the sources ${failing.join(", ")} to fail`,
      async () => {
        const body = (await page("/readyz")).json() as {
          details?: { sources?: { name: string; state?: { kind?: string } }[] };
        };
        const states = body.details?.sources ?? [];
        return failing.every((name) => states.find((s) => s.name === name)?.state?.kind === "failing")
          ? true
          : undefined;
      },
      30_000,
      1_000,
    );
    // A CLI run against the failing remote logs what it tried.
    const plan = await cli(["plan", "--config", cliConfig, "--namespace", AUDIT, "-o", "json"]);
    expect(plan.stderr).toContain("git fetch failed");
    await page("/metrics");
  });

  test("no secret in any log line, Event, Report, record, answer, output or page of the run", async () => {
    const artefacts = [
      ...seen,
      ...(await clusterArtefacts()),
      ...(await runFileArtefacts(testbed.workDir)),
      ...(await auditLogArtefacts()),
    ];
    artefacts.push(
      ...(await driftguardPage(testbed.driftguardUrl, testbed.driftguardCaFile, "/metrics")),
      ...(await driftguardPage(testbed.driftguardUrl, testbed.driftguardCaFile, "/readyz")),
      ...(await webViewPages()),
    );
    const counts = countsOf(artefacts);
    for (const kind of ["log line", "history record", "Event", "Report", "PolicyReport", "DecisionRecord"])
      expect(counts.get(kind) ?? 0, `no ${kind} was searched`).toBeGreaterThan(0);
    for (const kind of ["audit event", "kubectl output", "CLI output", "page"])
      expect(counts.get(kind) ?? 0, `no ${kind} was searched`).toBeGreaterThan(0);
    // The scan must see the run's own traces of the secrets' names: else it read the wrong things.
    const all = artefacts.map((artefact) => artefact.text).join("\n");
    for (const name of ["DB_PASSWORD", "API_TOKEN", "DriftDenied", "DriftWarned", "source refresh failed"])
      expect(all, name).toContain(name);
    if (sshd !== undefined) expect(all).toMatch(/host key of \[127\.0\.0\.1\]:\d+ has changed/);

    // A control: the users' own requests, as the API server's audit log keeps them, hold the live values in
    // the forms they take on the wire, and the scan finds them there.
    const live = secretsToFind().filter((secret) => secret.name.startsWith("live"));
    const control = findLeak(await auditRequestArtefacts(), live);
    expect(control?.secret, "the scan misses the live values where they are").toMatch(/^live/);
    const hit = findLeak(artefacts, secretsToFind());
    process.stdout.write(`secrets: ${summaryOf(artefacts, hit === undefined ? 0 : 1)}\n`);
    expect(hit === undefined ? "no hit" : describeHit(hit)).toBe("no hit");
  });
});

function secretsToFind(): Secret[] {
  const secrets: Secret[] = Object.entries(SECRETS).map(([name, value]) => ({ name, value }));
  const token = secrets.find((secret) => secret.name === "gitToken");
  // The Basic auth header git sends, and the userinfo of the URL that holds the token.
  if (token) token.fragments = [`bot:${SECRETS.gitToken}`];
  if (sshKey !== "") {
    const { body, fragments } = keyFragments(sshKey);
    if (body.length < 100) throw new Error(`the SSH key's body is ${body.length} characters: not a key`);
    secrets.push({ name: "sshKey", value: body, fragments });
  }
  return secrets;
}

/** Events of every namespace, and this file's Reports, PolicyReports and DecisionRecords, one artefact each. */
async function clusterArtefacts(): Promise<Artefact[]> {
  const artefacts: Artefact[] = [];
  const kinds: Array<[string, string, string[]]> = [
    ["Event", "events.events.k8s.io", ["-A"]],
    ["Report", "reports.openreports.io", ["-A"]],
    ["PolicyReport", "policyreports.wgpolicyk8s.io", ["-A"]],
    ["DecisionRecord", "decisionrecords.driftguard.io", ["-A"]],
  ];
  for (const [kind, resource, scope] of kinds) {
    const list = JSON.parse(await kubectlOk(testbed, "admin", ["get", resource, ...scope, "-o", "json"])) as {
      items: { metadata: { namespace?: string; name: string } }[];
    };
    for (const item of list.items)
      artefacts.push({
        kind,
        name: `${resource} ${item.metadata.namespace}/${item.metadata.name}`,
        text: JSON.stringify(item),
      });
  }
  return artefacts;
}

/**
 * What driftguard put in the API server's audit log: the audit annotations of its allowances and the
 * status of its denials. The request and response objects are the user's own request as the API server
 * stores it, not driftguard's output: they hold the live values and are left out.
 */
async function auditLogArtefacts(): Promise<Artefact[]> {
  const artefacts: Artefact[] = [];
  const text = await readFile(testbed.auditLog, "utf8");
  for (const [index, line] of text.split("\n").entries()) {
    if (line.trim() === "") continue;
    const event = JSON.parse(line) as { annotations?: unknown; responseStatus?: unknown };
    // Its audit annotations are keyed by the webhook's name (deployments[.secrets].driftguard.io/…).
    const ours = JSON.stringify(event.annotations ?? {}).includes("driftguard.io/");
    const status = JSON.stringify(event.responseStatus ?? {});
    if (!ours && !status.includes("driftguard")) continue;
    const part = JSON.stringify({ annotations: event.annotations, responseStatus: event.responseStatus });
    artefacts.push({ kind: "audit event", name: `audit.log:${index + 1}`, text: part });
  }
  return artefacts;
}

/** The request objects of the users' writes in this file's namespaces (the control, not driftguard's output). */
async function auditRequestArtefacts(): Promise<Artefact[]> {
  const text = await readFile(testbed.auditLog, "utf8");
  return text
    .split("\n")
    .filter((line) => line.includes('"requestObject"') && (line.includes(ENFORCE) || line.includes(AUDIT)))
    .map((line, index) => ({ kind: "request", name: `audit.log request ${index + 1}`, text: line }));
}

/** This file's driftguard's web view: the page, its script and every JSON answer (loopback, no token). */
async function webViewPages(): Promise<Artefact[]> {
  const paths = ["/", "/app.js", "/api/v1alpha1/sources", "/api/v1alpha1/drift", "/api/v1alpha1/decisions"];
  const pages: Artefact[] = [];
  for (const path of paths) {
    const response = await fetch(`http://127.0.0.1:${webViewPort}${path}`);
    expect(response.status, path).toBe(200);
    pages.push({ kind: "page", name: `this file's web view GET ${path}`, text: await response.text() });
  }
  // Not an empty view: the sources (one URL held the token) and this file's denied and warned edits.
  const all = pages.map((page) => page.text).join("\n");
  for (const expected of ['"name":"inurl"', "DB_PASSWORD", '"outcome":"deny"'])
    expect(all).toContain(expected);
  return pages;
}

async function driftguardPage(url: string, caFile: string, path: string): Promise<Artefact[]> {
  const response = await sendHttps({ url: `${url}${path}`, ca: await readFile(caFile, "utf8") });
  return [{ kind: "page", name: `the run's webhook GET ${path}`, text: response.text }];
}
