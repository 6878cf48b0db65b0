// The web view (docs/contract.md §12) of the run's driftguard, the one the API server calls: it listens
// beyond loopback, so HTTPS and bearer tokens checked by the real API server (TokenReview,
// SubjectAccessReview). A service account bound to the web-viewer ClusterRole and to read rights in the
// audit namespace only sees that namespace's drift and decisions; alice (get on Deployments everywhere,
// no list on decisionrecords) sees every namespace's drift and no decision; bob (no web-viewer binding)
// is refused. Then a real Chromium (playwright-core, the system browser) signs in with the viewer's token
// and reads the same tables.
import { createHash, X509Certificate } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { DecisionRecord } from "../../src/core/decision-record.js";
import type { DriftReport } from "../../src/core/drift-report.js";
import { createTestRepo } from "../support/git/test-repo.js";
import { sendHttps } from "../support/tls/https-client.js";
import { ALICE, BOB } from "./support/cluster-setup.js";
import { tokenOf } from "./support/kubeconfig.js";
import { kubectl, kubectlOk } from "./support/kubectl.js";
import { AUDIT_NS, webDeployment, yamlOf } from "./support/manifests.js";
import { waitFor } from "./support/processes.js";

const testbed = inject("testbed");
const NAME = "viewed";
const FILE = `scenarios/${AUDIT_NS}/${NAME}.yaml`;
const MANIFEST = webDeployment({ name: NAME, namespace: AUDIT_NS });
const VIEWER = "web-viewer";
const VIEWER_USER = `system:serviceaccount:${AUDIT_NS}:${VIEWER}`;
const IMAGE = `nginx:viewed-${Date.now().toString(36)}`;
const admin = (args: string[], input?: string) =>
  kubectlOk(testbed, "admin", args, input === undefined ? {} : { input });

// The chart's driftguard-web-viewer ClusterRole (get on the view's URL), bound to the viewer and alice;
// read rights in the audit namespace for the viewer alone.
const RBAC = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: e2e-web-viewer}
rules:
  - nonResourceURLs: [/driftguard/web-view]
    verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: e2e-web-viewers}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: e2e-web-viewer}
subjects:
  - {kind: ServiceAccount, name: ${VIEWER}, namespace: ${AUDIT_NS}}
  - {kind: User, apiGroup: rbac.authorization.k8s.io, name: ${ALICE.name}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: ${VIEWER}, namespace: ${AUDIT_NS}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: e2e-web-view-reader, namespace: ${AUDIT_NS}}
rules:
  - apiGroups: [apps]
    resources: [deployments]
    verbs: [get, list]
  - apiGroups: [driftguard.io]
    resources: [decisionrecords]
    verbs: [list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: e2e-web-view-reader, namespace: ${AUDIT_NS}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: e2e-web-view-reader}
subjects: [{kind: ServiceAccount, name: ${VIEWER}, namespace: ${AUDIT_NS}}]
`;

let ca = "";
let viewerToken = "";

const view = (path: string, token?: string, method = "GET") =>
  sendHttps({
    url: `${testbed.webViewUrl}${path}`,
    ca,
    method,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });

const driftOf = async (token: string) => {
  const answer = await view("/api/v1alpha1/drift", token);
  expect(answer.status, answer.text).toBe(200);
  return answer.json() as DriftReport;
};
const decisionsOf = async (token: string, query = "") => {
  const answer = await view(`/api/v1alpha1/decisions${query}`, token);
  expect(answer.status, answer.text).toBe(200);
  return answer.json() as { kind: string; items: DecisionRecord[] };
};

beforeAll(async () => {
  ca = await readFile(testbed.driftguardCaFile, "utf8");
  await admin(["apply", "-f", "-"], RBAC);
  const repo = await createTestRepo(testbed.repoDir, testbed.workDir);
  const commit = await repo.commit(`${NAME}: a Deployment the web view shows`, { [FILE]: yamlOf(MANIFEST) });
  await waitFor(
    `driftguard to serve ${commit.slice(0, 7)}`,
    async () => {
      const body = (await sendHttps({ url: `${testbed.driftguardUrl}/readyz`, ca })).json() as {
        details?: { sources?: { name: string; state?: { commit?: string } }[] };
      };
      return body.details?.sources?.find((s) => s.name === "e2e")?.state?.commit === commit
        ? true
        : undefined;
    },
    30_000,
  );
  await admin(["apply", "-f", "-"], yamlOf(MANIFEST));
  viewerToken = (await admin(["create", "token", VIEWER, "-n", AUDIT_NS, "--duration=1h"])).trim();
  // Alice's manual edit: audit mode lets it through with warnings, and records it.
  const edit = await kubectl(testbed, ALICE.name, [
    ...["set", "image", `deployment/${NAME}`, `web=${IMAGE}`, "-n", AUDIT_NS],
  ]);
  expect(edit.code, edit.stderr).toBe(0);
  expect(edit.stderr).toContain("driftguard");
  await waitFor(
    "the edit in the web view's drift and decisions",
    async () => {
      const drift = await driftOf(viewerToken);
      const decisions = await decisionsOf(viewerToken, `?name=${NAME}`);
      const drifted = drift.objects.some((o) => o.name === NAME && o.state === "drifted");
      const recorded = decisions.items.some((r) => r.fields.some((f) => f.requested === IMAGE));
      return drifted && recorded ? true : undefined;
    },
    30_000,
    250,
  );
}, 120_000);

afterAll(async () => {
  await kubectl(testbed, "admin", ["delete", "deployment", NAME, "-n", AUDIT_NS, "--wait=false"]);
  const repo = await createTestRepo(testbed.repoDir, testbed.workDir);
  await repo.commit(`${NAME}: gone again`, { [FILE]: null });
});

describe("the web view beyond loopback: tokens checked by the API server", () => {
  test.each([
    ["no token", undefined, 401, "DG_VIEW_NO_TOKEN"],
    ["a token the API server does not know", "not-a-token", 401, "DG_VIEW_UNAUTHENTICATED"],
  ])("%s: 401 and a Bearer challenge", async (_case, token, status, code) => {
    const answer = await view("/api/v1alpha1/drift", token);
    expect(answer.status).toBe(status);
    expect(answer.json()).toMatchObject({ code });
    expect(answer.headers["www-authenticate"]).toMatch(/^Bearer /);
  });

  test("bob, without the web-viewer binding, is refused (403) by the SubjectAccessReview", async () => {
    const answer = await view("/api/v1alpha1/sources", await tokenOf(testbed, BOB.name));
    expect(answer.status, answer.text).toBe(403);
    expect(answer.json()).toMatchObject({ code: "DG_VIEW_FORBIDDEN" });
    expect((answer.json() as { error: string }).error).toContain(BOB.name);
  });

  test("the viewer sees its namespace's drift only: the edited image beside Git's", async () => {
    const drift = await driftOf(viewerToken);
    expect(drift.kind).toBe("DriftReport");
    expect(new Set(drift.objects.map((o) => o.namespace))).toEqual(new Set([AUDIT_NS]));
    const viewed = drift.objects.find((o) => o.name === NAME);
    expect(viewed).toMatchObject({ state: "drifted", mode: "audit" });
    const image = viewed?.fields.find((f) => f.path.endsWith(".image"));
    expect(image).toMatchObject({ live: IMAGE, git: MANIFEST_IMAGE() });
    expect(viewed?.git?.file).toBe(FILE);
    expect(drift.summary.drifted).toBe(drift.objects.filter((o) => o.state === "drifted").length);
  });

  test("the viewer sees the decision record of alice's edit, and none of other namespaces", async () => {
    const { items } = await decisionsOf(viewerToken);
    expect(items.length).toBeGreaterThan(0);
    expect(new Set(items.map((r) => r.object.namespace))).toEqual(new Set([AUDIT_NS]));
    const record = items.find((r) => r.fields.some((f) => f.requested === IMAGE));
    expect(record).toMatchObject({
      requester: { username: ALICE.name },
      operation: "UPDATE",
      object: { namespace: AUDIT_NS, name: NAME },
      verdict: { wouldDenyInEnforce: true },
      git: { file: FILE },
    });
  });

  test("alice (get on Deployments everywhere, no list on decisionrecords): all drift, no decisions", async () => {
    const token = await tokenOf(testbed, ALICE.name);
    const drift = await driftOf(token);
    expect(drift.objects.some((o) => o.namespace !== AUDIT_NS)).toBe(true);
    expect(drift.objects.some((o) => o.namespace === AUDIT_NS && o.name === NAME)).toBe(true);
    expect((await decisionsOf(token)).items).toEqual([]);
    const session = (await view("/api/v1alpha1/session", token)).json();
    expect(session).toMatchObject({ kind: "ViewSession", user: ALICE.name, tokenRequired: true });
  });

  test("sources: the e2e source synced, its commit named", async () => {
    const answer = await view("/api/v1alpha1/sources", viewerToken);
    const list = answer.json() as { kind: string; items: { name: string; state: string; commit?: string }[] };
    expect(list.kind).toBe("SourceList");
    expect(list.items.find((s) => s.name === "e2e")).toMatchObject({ state: "synced" });
  });

  test("read-only: POST, PUT and DELETE get 405 with Allow: GET, before any token is asked", async () => {
    for (const method of ["POST", "PUT", "DELETE"]) {
      const answer = await view("/api/v1alpha1/decisions", viewerToken, method);
      expect(answer.status, method).toBe(405);
      expect(answer.headers.allow).toBe("GET");
    }
  });

  test("no answer and no log line holds the viewer's token", async () => {
    const answers = await Promise.all(
      ["/", "/app.js", "/api/v1alpha1/drift", "/api/v1alpha1/decisions", "/api/v1alpha1/sources"].map(
        (path) => view(path, viewerToken),
      ),
    );
    for (const answer of answers) expect(answer.text).not.toContain(viewerToken);
    const log = await readFile(join(testbed.workDir, "driftguard.log"), "utf8");
    expect(log).not.toContain(viewerToken);
  });
});

const MANIFEST_IMAGE = () => {
  const containers = (MANIFEST as { spec: { template: { spec: { containers: { image: string }[] } } } }).spec
    .template.spec.containers;
  return containers[0]?.image;
};

/** The system's Chromium: DRIFTGUARD_CHROMIUM (scripts/chromium.sh prints it), else the usual place. */
function chromiumPath(): string | undefined {
  const candidates = [process.env.DRIFTGUARD_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"];
  return candidates.find((path) => path !== undefined && path !== "" && existsSync(path));
}

const browserPath = chromiumPath();
const requireBrowser = process.env.DRIFTGUARD_REQUIRE_BROWSER === "1";
if (!browserPath && !requireBrowser)
  process.stdout.write(
    "web-view.e2e: no Chromium here (bash scripts/chromium.sh installs it): browser test skipped\n",
  );

describe.skipIf(!browserPath && !requireBrowser)("the web view in a real browser", () => {
  test("sign in with a token, read the viewer's drift and decisions, sign out", async () => {
    expect(
      browserPath,
      "DRIFTGUARD_REQUIRE_BROWSER=1 but no Chromium: run bash scripts/chromium.sh",
    ).toBeDefined();
    // The browser trusts driftguard's serving key by its SPKI hash: the certificate is checked, not ignored.
    const spki = createHash("sha256")
      .update(
        new X509Certificate(await readFile(join(testbed.workDir, "driftguard-tls.crt"))).publicKey.export({
          type: "spki",
          format: "der",
        }),
      )
      .digest("base64");
    const browser = await chromium.launch({
      executablePath: browserPath as string,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--ignore-certificate-errors-spki-list=${spki}`,
      ],
    });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") problems.push(message.text());
      });
      page.on("pageerror", (error) => problems.push(error.message));
      await page.goto(`${testbed.webViewUrl}/`);
      await page.locator("#signin").waitFor({ state: "visible" });
      expect(await page.locator("#content").isHidden()).toBe(true);

      await page.fill("#token", viewerToken);
      await page.click("#signin button[type=submit]");
      await page.locator("#who").filter({ hasText: VIEWER_USER }).waitFor();
      const driftTable = page.locator("#drift table");
      await driftTable.filter({ hasText: `${AUDIT_NS}/${NAME}` }).waitFor();
      const driftText = await driftTable.innerText();
      expect(driftText).toContain(IMAGE);
      expect(driftText).toContain("drifted");
      const others = await page.locator("#drift table code").allInnerTexts();
      expect(others.every((cell) => cell.startsWith(`${AUDIT_NS}/`))).toBe(true);
      const decisions = page.locator("#decisions table");
      await decisions.filter({ hasText: IMAGE }).waitFor();
      expect(await decisions.innerText()).toContain(ALICE.name);
      expect(await page.locator("#sources table").innerText()).toContain("e2e");

      // A filter goes to the API as a query: an unknown namespace shows nothing.
      await page.fill("#drift-filter input[name=namespace]", "no-such-namespace");
      await page.click("#drift-filter button[type=submit]");
      await page.locator("#drift .body p", { hasText: "nothing to show" }).waitFor();

      // The token lives in this tab's sessionStorage only, never in the URL or the page's text.
      expect(page.url()).not.toContain(viewerToken);
      expect(await page.locator("body").innerText()).not.toContain(viewerToken);
      await page.click("#signout");
      await page.locator("#signin").waitFor({ state: "visible" });
      expect(await page.evaluate("sessionStorage.length")).toBe(0);
      expect(problems, problems.join("\n")).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
