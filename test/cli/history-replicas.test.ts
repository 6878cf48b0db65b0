// docs/contract.md §2 History, end to end: two `driftguard serve` processes over HTTPS on one Git remote served over
// smart HTTP, one started before three commits and one after. A GitOps controller rolling back to any of
// those commits gets the same answer from both; content that no commit holds is denied by both.
// `driftguard check` on a fresh state directory answers alike.
import { execFile } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deploymentManifest, deploymentYaml } from "../support/deployments.js";
import { type GitHttpServer, startGitHttpServer } from "../support/git/http-git-server.js";
import { createTestRepo, type TestRepo } from "../support/git/test-repo.js";
import { freePort } from "../support/net.js";
import { deploymentReview } from "../support/reviews.js";
import { type CertDir, makeCertDir, makeTempDir } from "../support/tls/cert-dir.js";
import { postJson } from "../support/tls/https-client.js";
import { type ServeProcess, startServe } from "./serve-child.js";

const ROOT = resolve(import.meta.dirname, "../..");
const CONTROLLER = "system:serviceaccount:argocd:argocd-application-controller";

const manifest = (image: string) => deploymentYaml({ image, replicas: 2 });
const live = (image: string) => deploymentManifest({ image, replicas: 2, metadata: { uid: "u-1" } });

/** The controller applying `image` over the live `from`. */
const apply = (image: string, from: string) =>
  deploymentReview({ username: CONTROLLER, object: live(image), oldObject: live(from) });

interface Replica {
  process: ServeProcess;
  url: string;
}

describe("history from Git: replicas of any age answer alike", () => {
  let tmp: string;
  let certs: CertDir;
  let repo: TestRepo;
  let git: GitHttpServer;
  const replicas: Replica[] = [];
  const commits: string[] = [];

  const config = async (name: string, port: number) => {
    const file = join(tmp, `${name}.yaml`);
    await writeFile(
      file,
      `mode: enforce
sources: [{name: apps, url: "${git.url("remote")}", paths: [apps], interval: 1h}]
gitops: {serviceAccounts: [argocd/argocd-application-controller]}
stateDir: ./state-${name}
server: {host: 127.0.0.1, port: ${port}, tlsCertFile: "${certs.certFile}", tlsKeyFile: "${certs.keyFile}"}
refresh: {timeout: 20s}
kubernetes: {watch: "off"}
`,
    );
    return file;
  };

  /** Starts a replica and waits until it serves `commit`. */
  const startReplica = async (name: string, commit: string): Promise<Replica> => {
    const port = await freePort();
    const process = startServe(await config(name, port));
    const replica = { process, url: `https://127.0.0.1:${port}/validate` };
    replicas.push(replica);
    await process.waitFor((line) => line.msg === "source updated" && line.to === commit);
    await process.waitFor((line) => line.text?.startsWith("driftguard listening on") === true);
    return replica;
  };

  const ask = async (replica: Replica, review: unknown) => {
    const answer = await postJson(replica.url, certs.certs.caCert, review);
    expect(answer.status).toBe(200);
    return (answer.json() as { response: Record<string, unknown> }).response;
  };

  /** Three commits of web among commits that change other files. */
  const commitWeb = async (image: string) => {
    for (let i = 0; i < 3; i += 1) {
      await repo.commit(`api ${image} ${i}`, {
        "apps/api.yaml": deploymentYaml({
          name: "api",
          container: "api",
          image: `api:${image}-${i}`.replace(/web/g, "api"),
          replicas: 2,
        }),
      });
      await repo.commit(`notes ${image} ${i}`, { "notes/changes.txt": `${image} ${i}\n` });
    }
    commits.push(await repo.commit(`web ${image}`, { "apps/web.yaml": manifest(image) }));
  };

  beforeAll(async () => {
    tmp = await makeTempDir();
    certs = await makeCertDir();
    repo = await createTestRepo(join(tmp, "served", "remote"), tmp);
    git = await startGitHttpServer({ root: join(tmp, "served"), home: tmp });
    await commitWeb("web:1");
  }, 60_000);

  afterAll(async () => {
    for (const replica of replicas) await replica.process.stop();
    await git.stop();
    await certs.remove();
    await rm(tmp, { recursive: true, force: true });
  });

  it("the replica started before three commits and the one started after agree on rollbacks", async () => {
    const old = await startReplica("old", commits[0] ?? "");
    // The old replica sees every commit applied as it lands (it fetches on the controller's request).
    for (const image of ["web:2", "web:3", "web:4"]) {
      const previous = `web:${Number(image.slice(4)) - 1}`;
      await commitWeb(image);
      expect(await ask(old, apply(image, previous))).toMatchObject({ allowed: true });
    }
    const fresh = await startReplica("fresh", commits[3] ?? "");
    for (const image of ["web:1", "web:2", "web:3"]) {
      const answers = [await ask(old, apply(image, "web:4")), await ask(fresh, apply(image, "web:4"))];
      expect(answers[0], `rollback to ${image}`).toMatchObject({ allowed: true });
      expect(answers[1], `rollback to ${image}`).toEqual(answers[0]);
    }
    const foreign = [await ask(old, apply("web:666", "web:4")), await ask(fresh, apply("web:666", "web:4"))];
    expect(foreign[0]).toMatchObject({ allowed: false, status: { code: 403 } });
    expect(JSON.stringify(foreign[0])).toContain("web:666");
    expect(foreign[1]).toEqual(foreign[0]);
  }, 120_000);

  it("driftguard check on a fresh state directory allows a rollback to an older commit", async () => {
    const file = await config("check", await freePort());
    const check = (image: string) => runCheck(file, apply(image, "web:4"));
    const rollback = await check("web:1");
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(JSON.parse(rollback.stdout).response.allowed).toBe(true);
    const foreign = await check("web:666");
    expect(foreign.code).toBe(1);
  }, 60_000);
});

function runCheck(
  configFile: string,
  review: unknown,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "check", "--config", configFile, "-"],
      { cwd: ROOT, timeout: 60_000 },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(JSON.stringify(review));
  });
}
