// GitOps marks through the real API server (docs/contract.md §5): the GitOps identity applies Git's
// manifests the way Argo CD does, server-side, with its tracking label or annotation on top, and that is
// Git; a plain user changing the mark afterwards is denied. The Deployments do not exist before the
// first sync, so it is a CREATE, as Argo CD's first sync is.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, inject, test } from "vitest";
import { createTestRepo } from "../support/git/test-repo.js";
import { sendHttps } from "../support/tls/https-client.js";
import { ALICE, GITOPS } from "./support/cluster-setup.js";
import { getJson, kubectl, kubectlOk } from "./support/kubectl.js";
import { webDeployment, yamlOf } from "./support/manifests.js";
import { writableState } from "./support/objects.js";
import { waitFor } from "./support/processes.js";

const testbed = inject("testbed");
const NS = "e2e-marks";
const INSTANCE = "app.kubernetes.io/instance";
const TRACKING_ID = "argocd.argoproj.io/tracking-id";
const APP = "shop-prod";

type Manifest = Record<string, unknown>;
type Metadata = { labels?: Record<string, string>; annotations?: Record<string, string> };

/** Git's manifest with keys added to the Deployment's own labels and annotations, as Argo CD does. */
function withMarks(manifest: Manifest, marks: Metadata): Manifest {
  const metadata = structuredClone(manifest.metadata) as Metadata & Record<string, unknown>;
  metadata.labels = { ...metadata.labels, ...marks.labels };
  if (marks.annotations) metadata.annotations = { ...metadata.annotations, ...marks.annotations };
  return { ...manifest, metadata };
}

// One Deployment per tracking method; `chart` holds its own instance label, as many charts render it.
const GIT = {
  labelled: webDeployment({ name: "labelled", namespace: NS }),
  annotated: webDeployment({ name: "annotated", namespace: NS }),
  chart: withMarks(webDeployment({ name: "chart", namespace: NS }), {
    labels: { [INSTANCE]: "chart-release" },
  }),
};
const file = (name: keyof typeof GIT) => `scenarios/${NS}/${name}.yaml`;
const LABEL_TRACKING = { labels: { [INSTANCE]: APP } };
const annotationTracking = (name: string) => ({
  annotations: { [TRACKING_ID]: `${APP}:apps/Deployment:${NS}/${name}` },
});

/** Argo CD's sync: server-side apply with its own field manager, taking over conflicting fields. */
function sync(manifest: Manifest, dryRun = false) {
  const args = [
    "apply",
    "--server-side",
    "--field-manager=argocd-controller",
    "--force-conflicts",
    "-f",
    "-",
  ];
  return kubectl(testbed, GITOPS.key, dryRun ? [...args, "--dry-run=server"] : args, {
    input: yamlOf(manifest),
  });
}

function metadataOf(object: Record<string, unknown>): Metadata {
  return (object.metadata ?? {}) as Metadata;
}

/** Until driftguard serves `commit`: before that, the Deployments are not managed and nothing is judged. */
async function servedBy(commit: string): Promise<void> {
  const ca = readFileSync(testbed.driftguardCaFile, "utf8");
  await waitFor(
    `driftguard to serve commit ${commit.slice(0, 7)}`,
    async () => {
      const body = (await sendHttps({ url: `${testbed.driftguardUrl}/readyz`, ca })).json() as {
        details?: { sources?: { state?: { commit?: string } }[] };
      };
      return body.details?.sources?.every((source) => source.state?.commit === commit) ? true : undefined;
    },
    30_000,
    250,
  );
}

beforeAll(async () => {
  await kubectlOk(testbed, "admin", ["create", "namespace", NS]);
  const repo = await createTestRepo(testbed.repoDir, testbed.workDir);
  const files = Object.fromEntries(
    Object.entries(GIT).map(([name, manifest]) => [file(name as keyof typeof GIT), yamlOf(manifest)]),
  );
  await servedBy(await repo.commit("GitOps marks: three Deployments Argo CD has not synced yet", files));
});

describe("the GitOps identity syncing Git's manifest with Argo CD's marks is applying Git", () => {
  test("the object is managed: a plain user creating it with the tracking label is denied", async () => {
    const result = await kubectl(
      testbed,
      ALICE.name,
      ["apply", "--server-side", "--dry-run=server", "-f", "-"],
      {
        input: yamlOf(withMarks(GIT.labelled, LABEL_TRACKING)),
      },
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`metadata.labels["${INSTANCE}"]: Git (absent), request "${APP}"`);
  });

  test.each<[string, keyof typeof GIT, Metadata]>([
    ["label tracking", "labelled", LABEL_TRACKING],
    ["annotation tracking", "annotated", annotationTracking("annotated")],
    ["label tracking over the chart's own instance label", "chart", LABEL_TRACKING],
  ])("%s: the first sync (CREATE) and a re-sync are allowed", async (_how, name, marks) => {
    const manifest = withMarks(GIT[name], marks);
    for (const attempt of ["first sync", "re-sync"]) {
      const result = await sync(manifest);
      expect(result.code, `${attempt}: ${result.stderr}`).toBe(0);
      expect(result.stderr, attempt).not.toContain("driftguard");
    }
    const stored = metadataOf(await getJson(testbed, "deployment", name, NS));
    expect(stored.labels).toMatchObject(marks.labels ?? {});
    expect(stored.annotations ?? {}).toMatchObject(marks.annotations ?? {});
  });

  test("a sync of a new commit, with the label, is allowed", async () => {
    const repo = await createTestRepo(testbed.repoDir, testbed.workDir);
    const next = webDeployment({ name: "labelled", namespace: NS, image: "nginx:1.27.4" });
    await repo.commit("labelled: nginx 1.27.4", { [file("labelled")]: yamlOf(next) });
    // No wait: a GitOps write that matches no known revision makes driftguard fetch first.
    const result = await sync(withMarks(next, LABEL_TRACKING));
    expect(result.code, result.stderr).toBe(0);
    GIT.labelled = next;
  });

  test("the GitOps identity writing a label that is no mark is still denied", async () => {
    const result = await sync(
      withMarks(GIT.labelled, { labels: { ...LABEL_TRACKING.labels, team: "mallory" } }),
      true,
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("matches no recent Git revision");
    expect(result.stderr).toContain("metadata.labels.team");
  });
});

describe("for a plain user a mark is a field like any other", () => {
  test.each<[string, keyof typeof GIT, string[], string]>([
    [
      "changing the tracking label",
      "labelled",
      ["label", "deployment/labelled", `${INSTANCE}=other-app`, "--overwrite"],
      `metadata.labels["${INSTANCE}"]`,
    ],
    [
      "changing the chart's instance label that Argo CD overrode",
      "chart",
      ["label", "deployment/chart", `${INSTANCE}=other-app`, "--overwrite"],
      `metadata.labels["${INSTANCE}"]`,
    ],
    [
      "changing the tracking annotation",
      "annotated",
      [
        "annotate",
        "deployment/annotated",
        `${TRACKING_ID}=other-app:apps/Deployment:${NS}/annotated`,
        "--overwrite",
      ],
      "metadata.annotations",
    ],
  ])("%s is denied and changes nothing", async (_what, name, args, path) => {
    const before = await writableState(testbed, name, NS);
    const result = await kubectl(testbed, ALICE.name, [...args, "-n", NS]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`driftguard: Deployment ${NS}/${name} would drift from Git`);
    expect(result.stderr).toContain(path);
    expect(await writableState(testbed, name, NS)).toEqual(before);
  });

  test("a plain user's server-side apply of Git's manifest leaves the label alone: allowed", async () => {
    const result = await kubectl(
      testbed,
      ALICE.name,
      ["apply", "--server-side", "--field-manager=alice", "-f", "-"],
      {
        input: yamlOf(GIT.labelled),
      },
    );
    expect(result.code, result.stderr).toBe(0);
    // The label is Argo CD's (its field manager owns it), so it stays; a mark the tool always writes is
    // not worth a warning on every update.
    expect(result.stderr).not.toContain("drift already live");
    expect(metadataOf(await getJson(testbed, "deployment", "labelled", NS)).labels?.[INSTANCE]).toBe(APP);
  });
});
