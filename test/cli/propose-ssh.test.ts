// `driftguard propose --branch` over a real SSH transport on loopback (test/support/sshd.ts): the branch
// is pushed with the source's own key and known_hosts files (host keys checked), and no byte of the
// private key reaches the output.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deploymentManifest, deploymentYaml } from "../support/deployments.js";
import { createTestRepo, type TestRepo } from "../support/git/test-repo.js";
import { deploymentReview } from "../support/reviews.js";
import { makeKeyPair, requireSshd, type SshServer, startSshServer } from "../support/sshd.js";
import { makeTempDir } from "../support/tls/cert-dir.js";
import { driftguard } from "./run-cli.js";

const found = requireSshd();
if (found.skipReason !== undefined) console.warn(`propose-ssh: ${found.skipReason}`);

const live = (image: string) => deploymentManifest({ image, replicas: 2, metadata: { uid: "1" } });

describe.skipIf(found.sshd === undefined)(
  "driftguard propose --branch over SSH",
  { timeout: 180_000 },
  () => {
    let tmp: string;
    let repo: TestRepo;
    let server: SshServer;
    let config: string;
    let keyFile: string;

    beforeAll(async () => {
      tmp = await makeTempDir();
      repo = await createTestRepo(join(tmp, "remote"), tmp);
      await repo.commit("web", { "apps/web.yaml": deploymentYaml({ replicas: 2 }) });
      const key = await makeKeyPair(tmp, "client-key");
      keyFile = key.privateKeyFile;
      await mkdir(join(tmp, "sshd"));
      server = await startSshServer({
        sshd: found.sshd as string,
        dir: join(tmp, "sshd"),
        authorizedKeys: [key.publicKey],
      });
      await writeFile(join(tmp, "known_hosts"), `${server.knownHostsLine()}\n`);
      config = join(tmp, "driftguard.yaml");
      await writeFile(
        config,
        `mode: enforce
sources:
  - name: apps
    url: ${server.url(repo.dir)}
    paths: [apps]
    auth: {sshKeyFile: ${keyFile}, knownHostsFile: ${join(tmp, "known_hosts")}}
stateDir: ./state
`,
      );
    });
    afterAll(async () => {
      await server?.stop();
      await rm(tmp, { recursive: true, force: true });
    });

    it("pushes driftguard/shop-web-<uid8> with the source's key; the key is in no output", async () => {
      const review = deploymentReview({
        username: "bob",
        object: live("nginx:1.30"),
        oldObject: live("nginx:1.25"),
      });
      const result = await driftguard(
        ["propose", "--config", config, "--branch", "-o", "json", "-"],
        JSON.stringify(review),
      );
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      const proposal = JSON.parse(result.stdout);
      expect(proposal.branch.name).toBe("driftguard/shop-web-9a3f6f0e");
      const content = await repo.git("show", "driftguard/shop-web-9a3f6f0e:apps/web.yaml");
      expect(content).toContain("image: nginx:1.30");
      expect(await repo.git("log", "-1", "--format=%an%n%B", "driftguard/shop-web-9a3f6f0e")).toContain(
        "Requested by bob",
      );
      const privateKey = await readFile(keyFile, "utf8");
      const body = privateKey.split("\n").find((line) => line.length > 40) ?? privateKey;
      expect(result.stdout + result.stderr).not.toContain(body);
    });
  },
);
