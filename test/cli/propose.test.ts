// `driftguard propose` as a user runs it (a child process), on a real Git repository: the diff made by
// git, the Proposal JSON, the answers without a proposal, and --branch pushed over smart HTTP on
// loopback with the source's token files (the token in no output).
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deploymentManifest } from "../support/deployments.js";
import { type GitHttpServer, startGitHttpServer } from "../support/git/http-git-server.js";
import { createTestRepo, type TestRepo } from "../support/git/test-repo.js";
import { deploymentReview } from "../support/reviews.js";
import { makeTempDir } from "../support/tls/cert-dir.js";
import { driftguard } from "./run-cli.js";

const TOKEN = "tok-propose-5e4d3c2b1a";
const UID = "9a3f6f0e-1111-4222-8333-444455556666";

const MANIFEST = `# shop's web front end: owned by team-web
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2   # two for the night
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: 'nginx:1.25'
          env:
            - name: MODE
              value: prod
`;

const live = (image: string, env: object[] = [{ name: "MODE", value: "prod" }]) =>
  deploymentManifest({ image, replicas: 2, env: env as never, metadata: { uid: "1" } });

const review = (image: string, env?: object[]) =>
  JSON.stringify(
    deploymentReview({ username: "alice", object: live(image, env), oldObject: live("nginx:1.25") }),
  );

describe("driftguard propose", { timeout: 180_000 }, () => {
  let tmp: string;
  let repo: TestRepo;
  let server: GitHttpServer;
  let config: string;
  let httpConfig: string;

  beforeAll(async () => {
    tmp = await makeTempDir();
    repo = await createTestRepo(join(tmp, "served", "remote"), tmp);
    await repo.commit("web", { "apps/web.yaml": MANIFEST });
    config = join(tmp, "driftguard.yaml");
    await writeFile(
      config,
      `mode: enforce\nsources: [{name: apps, url: ./served/remote, paths: [apps]}]\nstateDir: ./state\n`,
    );
    server = await startGitHttpServer({
      root: join(tmp, "served"),
      home: tmp,
      auth: { username: "bot", password: TOKEN },
    });
    await writeFile(join(tmp, "username"), "bot\n");
    await writeFile(join(tmp, "token"), `${TOKEN}\n`);
    httpConfig = join(tmp, "http.yaml");
    await writeFile(
      httpConfig,
      `mode: enforce
sources:
  - name: apps
    url: ${server.url("remote")}
    paths: [apps]
    auth: {usernameFile: ${join(tmp, "username")}, tokenFile: ${join(tmp, "token")}}
stateDir: ./state-http
`,
    );
  });
  afterAll(async () => {
    await server.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  it("prints git's unified diff of the manifest: only the image line moves, quoting kept", async () => {
    const result = await driftguard(["propose", "--config", config, "-"], review("nginx:1.27"));
    expect(result.stderr).toContain("apps/web.yaml: edited in place");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^diff --git a\/apps\/web\.yaml b\/apps\/web\.yaml\n/);
    expect(result.stdout).toContain("--- a/apps/web.yaml\n+++ b/apps/web.yaml\n");
    const changed = result.stdout.split("\n").filter((line) => /^[-+][^-+]/.test(line));
    expect(changed).toEqual(["-          image: 'nginx:1.25'", "+          image: 'nginx:1.27'"]);
  });

  it("-o json: a versioned Proposal with the file's diff and the request", async () => {
    const env = [
      { name: "MODE", value: "prod" },
      { name: "API_TOKEN", value: "s3cr3t-value" },
    ];
    const result = await driftguard(
      ["propose", "--config", config, "-o", "json", "-"],
      review("nginx:1.25", env),
    );
    expect(result.code).toBe(0);
    const proposal = JSON.parse(result.stdout);
    expect(proposal).toMatchObject({
      apiVersion: "driftguard.io/v1alpha1",
      kind: "Proposal",
      object: { namespace: "shop", name: "web" },
      request: { uid: UID, username: "alice" },
      fields: ["spec.template.spec.containers[name=web].env[name=API_TOKEN]"],
    });
    expect(proposal.files).toHaveLength(1);
    // The user's own secret is in the diff (that is the change asked for), never on stderr.
    expect(proposal.files[0].diff).toContain(
      "+            - name: API_TOKEN\n+              value: s3cr3t-value\n",
    );
    expect(result.stderr).not.toContain("s3cr3t-value");
  });

  it("exit 1 when there is nothing to propose; exit 2 for an object Git does not hold", async () => {
    const same = await driftguard(["propose", "--config", config, "-"], review("nginx:1.25"));
    expect(same.code).toBe(1);
    expect(same.stdout).toContain("no proposal (DG_PROPOSE_NO_CHANGE)");
    const other = JSON.parse(review("nginx:1.27"));
    other.request.name = "api";
    other.request.object.metadata.name = "api";
    const unknown = await driftguard(["propose", "--config", config, "-"], JSON.stringify(other));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("no desired manifest for shop/api");
  });

  it("--branch: commits on driftguard/<ns>-<name>-<uid8> and pushes it over HTTP with the token files", async () => {
    const before = await repo.head();
    const result = await driftguard(
      ["propose", "--config", httpConfig, "--branch", "-o", "json", "-"],
      review("nginx:1.28"),
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const proposal = JSON.parse(result.stdout);
    const branch = "driftguard/shop-web-9a3f6f0e";
    expect(proposal.branch).toMatchObject({ name: branch, from: before });
    // On the remote: the branch, the edited file, the author and a message naming who, what and why.
    const content = await repo.git("show", `${branch}:apps/web.yaml`);
    expect(content).toBe(MANIFEST.replace("'nginx:1.25'", "'nginx:1.28'"));
    expect((await repo.git("rev-parse", branch)).trim()).toBe(proposal.branch.commit);
    expect((await repo.git("rev-parse", `${branch}^`)).trim()).toBe(before);
    const log = await repo.git("log", "-1", "--format=%an <%ae>%n%B", branch);
    expect(log).toContain("driftguard <driftguard@driftguard.invalid>");
    expect(log).toContain("Requested by alice (groups system:authenticated).");
    expect(log).toMatch(/Proposed by driftguard propose at \d{4}-\d\d-\d\dT/);
    expect(log).toContain(`Request uid: ${UID}`);
    expect(log).toContain("- spec.template.spec.containers[name=web].image (changed)");
    expect(await repo.head()).toBe(before);
    // The token is in no output and not in the clone's config.
    expect(result.stdout + result.stderr).not.toContain(TOKEN);
    const cloneConfig = await readFile(join(tmp, "state-http", "repos", "apps", "config"), "utf8");
    expect(cloneConfig).not.toContain(TOKEN);
  });

  it("--branch: a push the remote refuses fails (exit 2) and says so; the token unprinted", async () => {
    const hook = join(repo.dir, ".git", "hooks", "pre-receive");
    await writeFile(hook, "#!/bin/sh\necho 'pushes are closed today' >&2\nexit 1\n", { mode: 0o755 });
    try {
      const body = JSON.parse(review("nginx:1.29"));
      body.request.uid = "77aa88bb-0000-4000-8000-000000000000";
      const result = await driftguard(
        ["propose", "--config", httpConfig, "--branch", "-"],
        JSON.stringify(body),
      );
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("git push of driftguard/shop-web-77aa88bb failed");
      expect(result.stderr).toContain("(pre-receive hook declined)");
      expect(result.stderr).toContain("check that the source's credentials may push branches");
      expect(result.stdout + result.stderr).not.toContain(TOKEN);
      await expect(
        repo.git("rev-parse", "--verify", "--quiet", "refs/heads/driftguard/shop-web-77aa88bb"),
      ).rejects.toThrow();
    } finally {
      await rm(hook, { force: true });
    }
  });
});
