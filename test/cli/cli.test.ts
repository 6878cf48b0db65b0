// The driftguard command as a user runs it (a child process), on a real Git repository.
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deploymentManifest, deploymentYaml } from "../support/deployments.js";
import { createTestRepo } from "../support/git/test-repo.js";
import { deploymentReview } from "../support/reviews.js";
import { makeTempDir } from "../support/tls/cert-dir.js";
import { driftguard } from "./run-cli.js";

const MANIFEST = deploymentYaml({ replicas: 2 });

// The live object as a user would hand it to check/diff: the manifest with a uid, no server defaults.
const live = (image: string) => deploymentManifest({ image, replicas: 2, metadata: { uid: "1" } });

const review = (image: string) =>
  deploymentReview({ username: "alice", object: live(image), oldObject: live("nginx:1.25") });

// Up to six child processes per test, each loading TypeScript: slow on a busy machine, not stuck.
describe("driftguard CLI", { timeout: 180_000 }, () => {
  let tmp: string;
  let config: string;

  beforeAll(async () => {
    tmp = await makeTempDir();
    const repo = await createTestRepo(join(tmp, "remote"), tmp);
    await repo.commit("web", { "apps/web.yaml": MANIFEST });
    config = join(tmp, "driftguard.yaml");
    await writeFile(
      config,
      `mode: enforce\nsources: [{name: apps, url: ./remote, paths: [apps]}]\nstateDir: ./state\n`,
    );
    await writeFile(join(tmp, "deny.json"), JSON.stringify(review("nginx:6.6")));
    await writeFile(join(tmp, "allow.json"), JSON.stringify(review("nginx:1.25")));
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it("--help lists the commands; an unknown command exits 2 with a hint", async () => {
    const help = await driftguard(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/serve[\s\S]*check[\s\S]*diff[\s\S]*certs/);
    const unknown = await driftguard(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    for (const command of ["serve", "check", "diff", "replay", "certs"])
      expect((await driftguard([command, "--help"])).code).toBe(0);
  });

  it("check: exit 0 allowed, 1 denied (response JSON on stdout), 2 for a bad review", async () => {
    const allowed = await driftguard(["check", "--config", config, join(tmp, "allow.json")]);
    expect(allowed.code).toBe(0);
    expect(JSON.parse(allowed.stdout).response.allowed).toBe(true);
    const denied = await driftguard(["check", "--config", config, "-"], JSON.stringify(review("nginx:6.6")));
    expect(denied.code).toBe(1);
    expect(JSON.parse(denied.stdout).response.status.message).toContain("containers[name=web].image");
    const bad = await driftguard(
      ["check", "--config", config, "-"],
      '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}',
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("not an AdmissionReview v1");
  });

  it("check --rbac: the RBAC grant in the files exempts, and the answer names it", async () => {
    const rbac = join(tmp, "rbac");
    await mkdir(rbac, { recursive: true });
    await writeFile(
      join(rbac, "grant.yaml"),
      `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: override-image, namespace: shop}
rules: [{apiGroups: [driftguard.io], resources: [deployments/image], verbs: [override], resourceNames: [web]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-image, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: override-image}
subjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: alice}]
`,
    );
    const exempt = await driftguard(["check", "--config", config, "--rbac", rbac, join(tmp, "deny.json")]);
    expect(exempt.code).toBe(0);
    expect(JSON.parse(exempt.stdout).response.warnings.join("\n")).toContain(
      "exempted by RoleBinding shop/alice-image (Role shop/override-image)",
    );
    // Without the files, the same review is denied, and the message offers that very grant.
    const denied = await driftguard(["check", "--config", config, join(tmp, "deny.json")]);
    expect(denied.code).toBe(1);
    expect(JSON.parse(denied.stdout).response.status.message).toContain(
      "kubectl create rolebinding driftguard-override-web-image-alice -n shop --role=driftguard-override-web-image --user=alice",
    );
    const missing = await driftguard([
      "check",
      "--config",
      config,
      "--rbac",
      join(tmp, "nope"),
      join(tmp, "deny.json"),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      `driftguard: ${join(tmp, "nope")}: no such file or folder (--rbac)\n  give --rbac a folder (or one file) of Role, ClusterRole and binding manifests\n`,
    );
    // A folder without RBAC objects is most likely the wrong one: a note on stderr, and no grant.
    const empty = join(tmp, "rbac-empty");
    await mkdir(empty, { recursive: true });
    await writeFile(
      join(empty, "web.yaml"),
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n",
    );
    const none = await driftguard(["check", "--config", config, "--rbac", empty, join(tmp, "deny.json")]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(
      `--rbac ${empty}: no Role, ClusterRole, RoleBinding or ClusterRoleBinding in 1 file(s)`,
    );
    expect(none.stderr).toContain("  every grant counts as missing: check that --rbac names the folder");
    await writeFile(
      join(rbac, "broken.yaml"),
      "kind: Role\napiVersion: rbac.authorization.k8s.io/v1\nmetadata: {name: x}\n",
    );
    const broken = await driftguard(["check", "--config", config, "--rbac", rbac, join(tmp, "deny.json")]);
    expect(broken.code).toBe(2);
    expect(broken.stderr.trimEnd().split("\n")).toEqual([
      "driftguard: broken.yaml, document 1 (line 1): Role x: metadata.namespace is missing (kubectl would use the namespace of the apply; write it in the file) (--rbac)",
      "  the files are read as the cluster would hold them: fix the object, or leave the file out",
    ]);
  });

  it("serve: Kubernetes credentials that cannot be read exit 2, naming the file", async () => {
    const file = join(tmp, "serve-kube.yaml");
    await writeFile(
      file,
      `sources: [{name: apps, url: ./remote, paths: [apps]}]\nstateDir: ./state\nkubernetes: {watch: "on", kubeconfig: ./no-such-kubeconfig}\n`,
    );
    const result = await driftguard(["serve", "--config", file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cannot load Kubernetes credentials from .*no-such-kubeconfig: ENOENT/);
  });

  it("diff: exit 0 in sync, 1 with drift, as a readable report", async () => {
    const same = await driftguard(
      ["diff", "--config", config, "-"],
      JSON.stringify({ kind: "List", items: [live("nginx:1.25")] }),
    );
    expect(same.code).toBe(0);
    expect(same.stdout).toContain("in sync with Git");
    const drift = await driftguard(["diff", "--config", config, "-"], JSON.stringify(live("nginx:6.6")));
    expect(drift.code).toBe(1);
    expect(drift.stdout).toContain('Git:  "nginx:1.25"');
    // What Argo CD wrote at apply time is listed, but the object is Git's as applied.
    const tracked = live("nginx:1.25");
    (tracked.metadata as Record<string, unknown>).labels = { "app.kubernetes.io/instance": "shop" };
    const marked = await driftguard(["diff", "--config", config, "-"], JSON.stringify(tracked));
    expect(marked.code, marked.stdout).toBe(0);
    expect(marked.stdout).toContain("in sync with Git (");
    expect(marked.stdout).toContain("metadata.labels (GitOps mark)");
  });

  it("diff -o json: the versioned DriftReport; --cluster flags misused are usage errors (exit 2)", async () => {
    const json = await driftguard(
      ["diff", "--config", config, "-o", "json", "-"],
      JSON.stringify(live("nginx:6.6")),
    );
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ apiVersion: "driftguard.io/v1alpha1", kind: "DriftReport" });
    expect(report.summary).toMatchObject({ drifted: 1, inSync: 0, errors: 0 });
    expect(report.objects[0].fields[0]).toMatchObject({
      path: "spec.template.spec.containers[name=web].image",
      group: "image",
      change: "changed",
      git: "nginx:1.25",
      live: "nginx:6.6",
      masked: false,
      mark: false,
    });
    for (const [args, message] of [
      [["--cluster", "file.yaml"], "--cluster reads the cluster: give no input file"],
      [["--namespace", "shop", "-"], "--namespace and --exit-code go with --cluster"],
      [["--cluster", "--exit-code=maybe"], "--exit-code=maybe: not true or false"],
      [["-o", "yaml", "-"], "-o yaml: not an output format"],
    ] as [string[], string][]) {
      const run = await driftguard(["diff", "--config", config, ...args], "{}");
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain(message);
    }
  });

  it("a bad config exits 2 and names every problem with its path", async () => {
    const broken = join(tmp, "broken.yaml");
    await writeFile(broken, "mode: strict\nsources: [{name: a, url: x}]\nbogus: 1\n");
    const result = await driftguard(["check", "--config", broken, join(tmp, "allow.json")]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/mode/);
    expect(result.stderr).toMatch(/sources\[0\]\.paths/);
    expect(result.stderr).toMatch(/bogus/);
  });

  it("certs writes a CA and a serving pair", async () => {
    const out = join(tmp, "tls");
    const result = await driftguard(["certs", "--out", out, "--dns", "driftguard.driftguard.svc"]);
    expect(result.code).toBe(0);
    for (const file of ["ca.crt", "ca.key", "tls.crt", "tls.key"])
      expect(existsSync(join(out, file))).toBe(true);
    expect((await driftguard(["certs", "--out", out])).code).toBe(2);
  });
});
