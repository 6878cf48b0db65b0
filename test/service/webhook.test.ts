// The whole webhook, end to end on loopback: a real Git repository, the real runtime (sources, desired
// state, admission service), the fastify app over real HTTPS with a CA-verified client.
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import type { JsonObject } from "../../src/core/types.js";
import type { Runtime } from "../../src/runtime.js";
import { deploymentYaml, storedDeployment } from "../support/deployments.js";
import { createTestRepo, type TestRepo } from "../support/git/test-repo.js";
import { deploymentReview } from "../support/reviews.js";
import { type CertDir, makeCertDir, makeTempDir } from "../support/tls/cert-dir.js";
import { postJson } from "../support/tls/https-client.js";
import { type RunningWebhook, startWebhook } from "../support/webhook-server.js";

// Git spells the limits 0.5 and 1024Mi; the live object holds the server's spellings (500m, 1Gi), its
// defaults and the fields it owns: a no-op update must still compare equal.
const manifest = (image: string) =>
  deploymentYaml({ image, replicas: 2, resources: { limits: { cpu: 0.5, memory: "1024Mi" } } });
const live = (image: string) =>
  storedDeployment(
    { image, replicas: 2, resources: { limits: { cpu: "500m", memory: "1Gi" } } },
    {
      metadata: { uid: "u-1", resourceVersion: "7", generation: 2, managedFields: [{ manager: "kubectl" }] },
      status: { replicas: 2 },
    },
  );

const review = (
  username: string,
  object: JsonObject | null,
  oldObject: JsonObject,
  operation: "UPDATE" | "DELETE" = "UPDATE",
) => deploymentReview({ username, object, oldObject, operation });

describe("webhook end to end over HTTPS with a real Git repository", () => {
  let tmp: string;
  let repo: TestRepo;
  let certs: CertDir;
  let runtime: Runtime;
  let webhook: RunningWebhook;
  let ca: string;
  let firstCommit: string;

  beforeAll(async () => {
    tmp = await makeTempDir();
    repo = await createTestRepo(join(tmp, "remote"), tmp);
    firstCommit = await repo.commit("web 1.25", { "prod/web.yaml": manifest("nginx:1.25") });
    certs = await makeCertDir();
    ca = await readFile(certs.caFile, "utf8");
    const config = parseConfig(
      `mode: enforce
sources: [{name: apps, url: "${repo.dir}", paths: [prod], interval: 1h}]
gitops: {users: [gitops-bot]}
server: {tlsCertFile: "${certs.certFile}", tlsKeyFile: "${certs.keyFile}"}
stateDir: "${join(tmp, "state")}"
refresh: {onDemandAfter: 1s, timeout: 10s}
`,
      { file: join(tmp, "driftguard.yaml"), dir: tmp },
    );
    webhook = await startWebhook(config);
    runtime = webhook.runtime;
  });

  afterAll(async () => {
    await webhook?.stop();
    await certs?.remove();
    await rm(tmp, { recursive: true, force: true });
  });

  const send = async (body: unknown) => {
    const response = await postJson(`${webhook.url}/validate`, ca, body);
    expect(response.status).toBe(200);
    return (response.json() as { response: any }).response;
  };

  it("allows a no-op update (quantities and defaults as the server stores them)", async () => {
    expect(await send(review("alice", live("nginx:1.25"), live("nginx:1.25")))).toMatchObject({
      allowed: true,
    });
  });

  it("denies a manual image change, naming file and commit", async () => {
    const answer = await send(review("alice", live("nginx:6.6"), live("nginx:1.25")));
    expect(answer.allowed).toBe(false);
    expect(answer.status.message).toContain(`commit ${firstCommit.slice(0, 7)}, file prod/web.yaml`);
  });

  it("denies DELETE of a managed Deployment", async () => {
    expect((await send(review("alice", null, live("nginx:1.25"), "DELETE"))).allowed).toBe(false);
  });

  it("fetches Git again before denying: a new commit is picked up on demand", async () => {
    const second = await repo.commit("web 1.26", { "prod/web.yaml": manifest("nginx:1.26") });
    await new Promise((resolve) => setTimeout(resolve, 1100)); // older than onDemandAfter
    const answer = await send(review("alice", live("nginx:1.26"), live("nginx:1.25")));
    expect(answer).toMatchObject({ allowed: true });
    expect(runtime.sources[0]?.current()?.commit).toBe(second);
    // Back to the old value is now drift from the new commit.
    expect((await send(review("alice", live("nginx:1.25"), live("nginx:1.26")))).allowed).toBe(false);
  });

  it("lets the GitOps identity apply the previous revision (rollback), but not arbitrary content", async () => {
    expect((await send(review("gitops-bot", live("nginx:1.25"), live("nginx:1.26")))).allowed).toBe(true);
    const rogue = await send(review("gitops-bot", live("evil:1"), live("nginx:1.26")));
    expect(rogue.allowed).toBe(false);
    expect(rogue.warnings.join(" ")).toContain("matches no recent Git revision");
  });

  it("fetches at once when the GitOps identity applies a commit driftguard has not seen (commit/apply race)", async () => {
    // A denial just now makes the last fetch recent, well inside onDemandAfter.
    expect((await send(review("alice", live("evil:2"), live("nginx:1.26")))).allowed).toBe(false);
    const third = await repo.commit("web 1.27", { "prod/web.yaml": manifest("nginx:1.27") });
    const answer = await send(review("gitops-bot", live("nginx:1.27"), live("nginx:1.26")));
    expect(answer).toMatchObject({ allowed: true });
    expect(runtime.sources[0]?.current()?.commit).toBe(third);
  });

  it("answers 400 for a body that is not an AdmissionReview, and keeps serving", async () => {
    const bad = await postJson(`${webhook.url}/validate`, ca, { apiVersion: "v1", kind: "Pod" });
    expect(bad.status).toBe(400);
    expect((await send(review("alice", live("nginx:1.26"), live("nginx:1.26")))).allowed).toBe(true);
  });
});
