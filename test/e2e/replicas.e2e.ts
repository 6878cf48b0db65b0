// Every replica answers alike (issue 14, item 8): two driftguard processes, started at different times
// from their own clone and state, each behind its own webhook of the real API server with the same rules,
// so that every Deployment write of the script goes to both. A recording relay before each replica keeps
// the answer it gave per request uid. Between the rounds of edits: a Git commit (replica B starts after
// it), a revert commit, and a break-glass RoleBinding granted and removed. Every request both replicas
// answered must have had the same answer from both.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { createTestRepo, type TestRepo } from "../support/git/test-repo.js";
import { sendHttps } from "../support/tls/https-client.js";
import { type AnswerTap, startAnswerTap, type TappedAnswer } from "./support/answer-tap.js";
import { ALICE, BOB, GITOPS, HPA, webhookConfiguration } from "./support/cluster-setup.js";
import { driftguardConfigYaml } from "./support/configs.js";
import { DRIFTGUARD_USER } from "./support/control-plane.js";
import { type DriftguardProcess, startDriftguard } from "./support/driftguard.js";
import { MANUAL_EDITS } from "./support/edits.js";
import { kubectl, kubectlOk } from "./support/kubectl.js";
import { webDeployment, yamlOf } from "./support/manifests.js";
import { waitFor } from "./support/processes.js";

const testbed = inject("testbed");

const ENFORCE = "e2e-replicas";
const AUDIT = "e2e-replicas-audit";
const NAMESPACES = [ENFORCE, AUDIT];
const FIRST_IMAGE = "nginx:1.27.3";
const SECOND_IMAGE = "nginx:1.27.4";
/** The report writers' Lease of these replicas: the run's own driftguard keeps its own. */
const LEASE = "driftguard-replicas";
/** Fewer requests answered by both means the script did not run as written. */
const FLOOR = 80;

const admin = (args: string[], input?: string) =>
  kubectlOk(testbed, "admin", args, input === undefined ? {} : { input });

function gitFiles(image: string): Record<string, string> {
  return Object.fromEntries(
    NAMESPACES.map((namespace) => [
      `apps/${namespace}/web.yaml`,
      yamlOf(webDeployment({ namespace, image })),
    ]),
  );
}

interface Replica {
  name: string;
  driftguard: DriftguardProcess;
  tap: AnswerTap;
}

const replicas: Replica[] = [];
let repo: TestRepo;
/** Git's image now, and the one before it (the revision a lagging GitOps controller still applies). */
let gitImage = FIRST_IMAGE;
let previousImage: string | undefined;

async function startReplica(name: string): Promise<Replica> {
  const dir = join(testbed.workDir, "replicas", name);
  await mkdir(dir, { recursive: true });
  const kubeconfig = testbed.kubeconfigs[DRIFTGUARD_USER] ?? "";
  const driftguard = await startDriftguard(dir, (server) =>
    driftguardConfigYaml({
      auditNamespace: AUDIT,
      source: { name: "replicas", url: repo.dir, paths: ["apps"], interval: "5s" },
      accounts: { hpa: HPA, gitops: GITOPS },
      server,
      stateDir: join(dir, "state"),
      logLevel: "info",
      kubernetes: { watch: "on", kubeconfig },
      report: { lease: `{name: ${LEASE}}` },
    }),
  );
  const tap = await startAnswerTap({ url: driftguard.url, caPem: driftguard.caPem });
  const replica = { name, driftguard, tap };
  replicas.push(replica);
  await admin(
    ["apply", "-f", "-"],
    webhookConfiguration(`driftguard-replica-${name}`, tap.url, tap.caPem, {
      namespaces: NAMESPACES,
      webhook: `replica-${name}.driftguard.io`,
    }),
  );
  // The API server picks a new configuration up asynchronously: until this replica's relay sees a request.
  await waitFor(
    `the API server to call replica ${name}`,
    async () => {
      const before = tap.answers.length;
      await kubectl(testbed, ALICE.name, [
        ...["set", "image", "deployment/web", "web=nginx:probe", "-n", ENFORCE, "--dry-run=server"],
      ]);
      return tap.answers.length > before ? true : undefined;
    },
    30_000,
    300,
  );
  return replica;
}

interface Readyz {
  details?: {
    sources?: { state?: { commit?: string } }[];
    cluster?: { grants?: number };
  };
}

async function readyz(replica: Replica): Promise<Readyz> {
  const answer = await sendHttps({ url: `${replica.driftguard.url}/readyz`, ca: replica.driftguard.caPem });
  return answer.json() as Readyz;
}

/** Until every running replica serves `commit` (its /readyz names the source's commit). */
async function servingEverywhere(commit: string, count: number): Promise<void> {
  // A replica that did not start fails its own step; the steps after it must not pass without it.
  if (replicas.length !== count) throw new Error(`${count} replicas must be running, not ${replicas.length}`);
  for (const replica of replicas) {
    await waitFor(
      `replica ${replica.name} to serve ${commit}`,
      async () =>
        (await readyz(replica)).details?.sources?.[0]?.state?.commit === commit ? true : undefined,
      30_000,
      100,
    );
  }
}

async function grantCounts(): Promise<number[]> {
  return Promise.all(replicas.map(async (replica) => (await readyz(replica)).details?.cluster?.grants ?? -1));
}

/** Until every replica's grant index holds `expected[i]` bindings that grant override. */
async function grantsEverywhere(expected: readonly number[]): Promise<void> {
  await waitFor(
    `the replicas' grant indexes to hold ${expected.join(", ")} override bindings`,
    async () => {
      const now = await grantCounts();
      return now.every((count, i) => count === expected[i]) ? true : undefined;
    },
    15_000,
    100,
  );
}

/** The GitOps controller applies Git's content (its sync after a commit). */
async function gitopsApplies(image: string): Promise<void> {
  for (const namespace of NAMESPACES) {
    await kubectlOk(testbed, GITOPS.key, ["apply", "-f", "-"], {
      input: yamlOf(webDeployment({ namespace, image })),
    });
  }
}

async function backToGit(user: string, namespace: string): Promise<void> {
  await kubectl(testbed, user, ["apply", "-f", "-"], {
    input: yamlOf(webDeployment({ namespace, image: gitImage })),
  });
}

/**
 * One round of the script; the answers are compared afterwards, so kubectl's own outcome is not checked
 * here. In enforce: a no-op write, every manual edit (a DELETE among them), bob's exempt image change and
 * his scale (not exempt); in audit: edits that warn, a scale, a DELETE and the CREATE that brings it back;
 * the GitOps controller applying the previous revision (a lagging sync) and Git's own.
 */
async function round(): Promise<void> {
  const current = await kubectlOk(testbed, "admin", [
    "get",
    "deployment",
    "web",
    "-n",
    ENFORCE,
    "-o",
    "json",
  ]);
  await kubectl(testbed, ALICE.name, ["replace", "-f", "-"], { input: current });
  for (const edit of MANUAL_EDITS) {
    const options = edit.options ? await edit.options(testbed.workDir) : {};
    await kubectl(testbed, ALICE.name, [...edit.args("web"), "-n", ENFORCE], options);
  }
  await kubectl(testbed, BOB.name, ["set", "image", "deployment/web", "web=nginx:bob", "-n", ENFORCE]);
  await kubectl(testbed, BOB.name, ["set", "image", "deployment/web", `web=${gitImage}`, "-n", ENFORCE]);
  await kubectl(testbed, BOB.name, ["scale", "deployment/web", "--replicas=4", "-n", ENFORCE]);
  await backToGit(ALICE.name, ENFORCE);

  for (const args of [
    ["set", "image", "deployment/web", "web=nginx:audited"],
    ["set", "env", "deployment/web", "LOG_LEVEL=debug"],
    ["scale", "deployment/web", "--replicas=3"],
    ["annotate", "--overwrite", "deployment/web", "owner=someone"],
  ]) {
    await kubectl(testbed, ALICE.name, [...args, "-n", AUDIT]);
  }
  await backToGit(ALICE.name, AUDIT);
  await kubectl(testbed, ALICE.name, ["delete", "deployment/web", "-n", AUDIT]);
  await backToGit(ALICE.name, AUDIT);

  if (previousImage !== undefined) {
    await kubectl(testbed, GITOPS.key, ["apply", "-f", "-"], {
      input: yamlOf(webDeployment({ namespace: ENFORCE, image: previousImage })),
    });
  }
  await gitopsApplies(gitImage);
}

/**
 * What an answer says, as the API server reads it, but for the call's own uid: the API server makes one
 * per webhook it calls, and the answer echoes it (and names it in the propose command, the key of the
 * DecisionRecord this replica wrote). Every other byte must be equal.
 */
function answerOf(tapped: TappedAnswer): string {
  const { uid: _uid, ...rest } = (tapped.response ?? {}) as Record<string, unknown>;
  return JSON.stringify({ status: tapped.status, ...rest }).replaceAll(tapped.uid, "{uid}");
}

interface Comparison {
  /** B's answers paired with A's answer to the same write. */
  both: { a: TappedAnswer; b: TappedAnswer }[];
  /** B's answers to a write that A never saw (none expected: A runs throughout). */
  unpaired: TappedAnswer[];
  differing: { a: TappedAnswer; b: TappedAnswer }[];
}

/**
 * One write reaches both webhooks with the same content under two uids (answer-tap.ts): each of B's
 * answers pairs with A's answer to the same content that arrived nearest in time and is not yet paired
 * (a dry-run retried unchanged repeats its content).
 */
function compare(a: readonly TappedAnswer[], b: readonly TappedAnswer[]): Comparison {
  const byKey = new Map<string, TappedAnswer[]>();
  for (const answer of a) byKey.set(answer.key, [...(byKey.get(answer.key) ?? []), answer]);
  const result: Comparison = { both: [], unpaired: [], differing: [] };
  for (const answer of b) {
    const candidates = byKey.get(answer.key) ?? [];
    const nearest = candidates.reduce<TappedAnswer | undefined>(
      (best, c) =>
        best === undefined || Math.abs(c.at - answer.at) < Math.abs(best.at - answer.at) ? c : best,
      undefined,
    );
    if (nearest === undefined) {
      result.unpaired.push(answer);
      continue;
    }
    byKey.set(
      answer.key,
      candidates.filter((c) => c !== nearest),
    );
    const pair = { a: nearest, b: answer };
    result.both.push(pair);
    if (answerOf(nearest) !== answerOf(answer)) result.differing.push(pair);
  }
  return result;
}

const BOB_ROLE = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: replicas-override-image, namespace: ${ENFORCE}}
rules: [{apiGroups: [driftguard.io], resources: [deployments/image], verbs: [override], resourceNames: [web]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: replicas-bob-image, namespace: ${ENFORCE}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: replicas-override-image}
subjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: ${BOB.name}}]
`;

/** alice's break-glass: replicas of `web`, for an hour (it must not expire between the two replicas). */
function breakGlass(expiresAt: string): string {
  return `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: replicas-override-replicas, namespace: ${ENFORCE}}
rules: [{apiGroups: [driftguard.io], resources: [deployments/replicas], verbs: [override], resourceNames: [web]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: replicas-alice-break-glass
  namespace: ${ENFORCE}
  annotations: {driftguard.io/expires-at: "${expiresAt}"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: replicas-override-replicas}
subjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: ${ALICE.name}}]
`;
}

describe("two replicas started at different times answer every request alike", () => {
  beforeAll(async () => {
    repo = await createTestRepo(join(testbed.workDir, "replicas", "repo"), testbed.workDir);
    await repo.commit("Desired state of the replicas run", gitFiles(FIRST_IMAGE));
    for (const namespace of NAMESPACES) {
      await admin(["create", "namespace", namespace]);
      await admin(["apply", "-f", "-"], yamlOf(webDeployment({ namespace, image: FIRST_IMAGE })));
    }
    await admin(["apply", "-f", "-"], BOB_ROLE);
  });

  afterAll(async () => {
    for (const replica of replicas) {
      await kubectl(testbed, "admin", [
        ...["delete", "validatingwebhookconfiguration", `driftguard-replica-${replica.name}`],
        "--ignore-not-found",
      ]);
    }
    for (const replica of replicas) {
      await replica.tap.close();
      await replica.driftguard.process.stop();
    }
    for (const namespace of NAMESPACES)
      await kubectl(testbed, "admin", ["delete", "namespace", namespace, "--wait=false"]);
  });

  test("replica A alone, then a commit that changes the image", { timeout: 300_000 }, async () => {
    await startReplica("a");
    await servingEverywhere(await repo.head(), 1);
    await round();
    previousImage = gitImage;
    gitImage = SECOND_IMAGE;
    await servingEverywhere(await repo.commit("A new image", gitFiles(gitImage)), 1);
    await gitopsApplies(gitImage);
  });

  test("replica B starts later, from its own clone at the new commit", { timeout: 300_000 }, async () => {
    await startReplica("b");
    await servingEverywhere(await repo.head(), 2);
    await round();
  });

  test("a rollback: the commit reverted in Git", { timeout: 300_000 }, async () => {
    const reverted = await repo.head();
    await repo.git("revert", "--no-edit", reverted);
    previousImage = gitImage;
    gitImage = FIRST_IMAGE;
    await servingEverywhere(await repo.head(), 2);
    await gitopsApplies(gitImage);
    await round();
  });

  test("an RBAC change: a break-glass RoleBinding granted, then removed", { timeout: 300_000 }, async () => {
    await servingEverywhere(await repo.head(), 2);
    const before = await grantCounts();
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, "Z");
    await admin(["apply", "-f", "-"], breakGlass(expiresAt));
    await grantsEverywhere(before.map((count) => count + 1));
    await round();
    await admin(["delete", "rolebinding", "replicas-alice-break-glass", "-n", ENFORCE]);
    await grantsEverywhere(before);
    await round();
  });

  test("0 differing answers", async () => {
    const [a, b] = replicas;
    if (!a || !b) throw new Error("both replicas must have started");
    const { both, unpaired, differing } = compare(a.tap.answers, b.tap.answers);
    const answers = both.map((pair) => pair.a);
    process.stdout.write(
      `replicas: ${a.tap.answers.length} requests answered by A, ${b.tap.answers.length} by B, ` +
        `${unpaired.length} by B alone\n` +
        `replicas: ${both.length} requests answered by both, ${differing.length} differing\n` +
        `replicas: of those ${summarize(answers)}\n`,
    );
    // Every pair, to read after a run kept with DRIFTGUARD_E2E_KEEP.
    await writeFile(
      join(testbed.workDir, "replicas", "answers.json"),
      JSON.stringify(
        both.map(({ a: first, b: second }) => ({ ...first, answers: [answerOf(first), answerOf(second)] })),
        null,
        2,
      ),
    );
    for (const pair of differing.slice(0, 5)) {
      process.stdout.write(
        `replicas: ${pair.a.operation} ${pair.a.object} by ${pair.a.user} differs:\n` +
          `  A: ${answerOf(pair.a)}\n  B: ${answerOf(pair.b)}\n`,
      );
    }
    expect(differing.length).toBe(0);
    expect(unpaired).toEqual([]);
    expect(both.length).toBeGreaterThanOrEqual(FLOOR);
    // The script reached every kind of answer, or "alike" would say little.
    const counts = countKinds(answers);
    for (const kind of ["denied", "warned", "exempted", "gitops", "DELETE", "CREATE", "scale", "quiet"])
      expect(counts[kind] ?? 0, kind).toBeGreaterThan(0);
  });
});

function kindsOf(answer: TappedAnswer): string[] {
  const response = (answer.response ?? {}) as {
    allowed?: boolean;
    warnings?: string[];
    auditAnnotations?: object;
  };
  const warnings = response.warnings ?? [];
  const kinds = [response.allowed === false ? "denied" : warnings.length > 0 ? "warned" : "quiet"];
  if (warnings.some((line) => line.includes("exempted by"))) kinds.push("exempted");
  if (answer.user === `system:serviceaccount:${GITOPS.namespace}:${GITOPS.name}`) kinds.push("gitops");
  if (answer.operation !== "UPDATE") kinds.push(answer.operation);
  if (answer.subResource === "scale") kinds.push("scale");
  return kinds;
}

function countKinds(answers: readonly TappedAnswer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const answer of answers) for (const kind of kindsOf(answer)) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

function summarize(answers: readonly TappedAnswer[]): string {
  return Object.entries(countKinds(answers))
    .map(([kind, count]) => `${count} ${kind}`)
    .join(", ");
}
