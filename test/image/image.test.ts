// The image, built and run here without a Docker engine: scripts/image.sh builds the Dockerfile with
// buildah on stand-in bases (Debian packages + the same Node.js; see the script), then podman runs it as
// the chart's pod would: read-only root filesystem, user 10001, no capabilities, the chart's rendered
// config mounted, and `serve` answers real AdmissionReviews over HTTPS.
// Opt-in (DRIFTGUARD_IMAGE=1, set by `npm run image`): the build takes minutes and needs buildah, podman,
// runc and mmdebstrap from Debian. Without it the suite skips and says so.
import { execFile } from "node:child_process";
import { chown, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { writeCertificates } from "../../src/certs/files.js";
import { CHART_DIR, helm, REPO_ROOT } from "../chart/helm.js";
import { deploymentManifest, deploymentYaml } from "../support/deployments.js";
import { createTestRepo } from "../support/git/test-repo.js";
import { freePort } from "../support/net.js";
import { deploymentReview } from "../support/reviews.js";
import { makeTempDir, makeTestCertificates } from "../support/tls/cert-dir.js";
import { postJson, sendHttps } from "../support/tls/https-client.js";

const WANTED = process.env.DRIFTGUARD_IMAGE === "1";
if (!WANTED)
  process.stdout.write(
    "test/image: SKIPPED: the image is built and run only with DRIFTGUARD_IMAGE=1 (npm run image)\n",
  );

const UID = 10001;
const NAMESPACE = "driftguard-system";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: readonly string[], timeout = 600_000): Promise<Run> {
  return new Promise((done) => {
    execFile(command, args, { timeout, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/**
 * `podman run` as the chart's pod runs the container (templates/deployment.yaml): read-only root
 * filesystem, no capabilities, no privilege escalation, emptyDirs as tmpfs. runc, not crun: crun 1.8
 * refuses this machine's cgroup v1 layout; the limits are set below the shell's own, since podman's
 * defaults are above what an unprivileged sandbox may raise them to.
 */
const POD_FLAGS = [
  "--runtime=runc",
  "--ulimit=nofile=16384:16384",
  "--ulimit=nproc=4096:4096",
  "--read-only",
  "--cap-drop=ALL",
  "--security-opt=no-new-privileges",
  "--tmpfs=/tmp:rw,size=256m,mode=1777",
  // Podman 4.3's tmpfs takes no uid/gid: writable by all here where the pod's fsGroup gives it to 10001.
  "--tmpfs=/var/lib/driftguard:rw,size=512m,mode=1777",
];

describe.runIf(WANTED)("the image, built from the Dockerfile and run with podman", () => {
  let image = "";
  let work = "";

  beforeAll(async () => {
    const started = Date.now();
    const built = await run("bash", [join(REPO_ROOT, "scripts/image.sh")]);
    expect(built.code, built.stderr).toBe(0);
    const [name = "", id = ""] = built.stdout.trim().split("\n").at(-1)?.split(" ") ?? [];
    image = name;
    const steps = built.stderr.split("\n").filter((line) => line.startsWith("image.sh:"));
    process.stdout.write(`${steps.join("\n")}\n`);
    const size = Number((await run("podman", ["image", "inspect", "--format", "{{.Size}}", image])).stdout);
    process.stdout.write(
      `image ${image} (${id.slice(0, 12)}): built or found in ${((Date.now() - started) / 1000).toFixed(0)} s, ` +
        `${(size / 1e6).toFixed(0)} MB\n`,
    );
    work = await makeTempDir("driftguard-image-");
  }, 900_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("runs as user 10001 by default, on a root filesystem it cannot write", async () => {
    const id = await run("podman", ["run", "--rm", ...POD_FLAGS, "--network=none", "--entrypoint=id", image]);
    expect(id.code, id.stderr).toBe(0);
    expect(id.stdout.trim().length).toBeGreaterThan(0);
    expect(id.stdout).toContain(`uid=${UID}(driftguard) gid=${UID}(driftguard)`);
    const write = await run("podman", [
      ...["run", "--rm", ...POD_FLAGS, "--network=none", "--entrypoint=sh", image],
      ...["-c", "touch /app/written"],
    ]);
    expect(write.code).not.toBe(0);
    expect(write.stderr).toMatch(/Read-only file system/);
  });

  it("ships the pinned render tools and no npm", async () => {
    const probe = await run("podman", [
      ...["run", "--rm", ...POD_FLAGS, "--network=none", "--entrypoint=sh", image],
      ...["-c", "kustomize version; helm version --short; node --version; command -v npm || echo no-npm"],
    ]);
    expect(probe.code, probe.stderr).toBe(0);
    expect(probe.stdout.trim().split("\n")).toEqual(["v5.8.2", "v3.22.0", "v20.20.2", "no-npm"]);
  });

  it("driftguard --help exits 0 with the usage", async () => {
    const help = await run("podman", ["run", "--rm", ...POD_FLAGS, "--network=none", image, "--help"]);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain("Usage:");
    expect(help.stdout).toMatch(/driftguard serve \[--config FILE\]/);
  });

  describe("serve with the chart's rendered config", () => {
    const name = `driftguard-image-test-${process.pid}`;
    let url = "";
    let ca = "";

    beforeAll(async () => {
      // The Git source: a real repository holding shop/web, mounted read-only where the config says.
      const repo = await createTestRepo(join(work, "repo"), work);
      await repo.commit("web", { "prod/web.yaml": deploymentYaml({ image: "nginx:1.25" }) });
      // The chart as installed with cert-manager (the TLS pair is a mounted Secret), enforce mode.
      const rendered = await helm([
        ...[
          "template",
          "dg",
          CHART_DIR,
          "-n",
          NAMESPACE,
          "-f",
          join(CHART_DIR, "ci/cert-manager-values.yaml"),
        ],
        ...["--set", "config.sources[0].name=apps", "--set", "config.sources[0].url=/srv/git/deploy"],
        ...["--set", "config.sources[0].paths[0]=prod/", "--set", "config.sources[0].interval=5s"],
      ]);
      expect(rendered.code, rendered.stderr).toBe(0);
      const configMap = parseAllDocuments(rendered.stdout)
        .map((doc) => doc.toJS() as { kind?: string; data?: Record<string, string> } | null)
        .find((doc) => doc?.kind === "ConfigMap");
      const config = configMap?.data?.["driftguard.yaml"] ?? "";
      expect(config).toContain("tlsCertFile: /etc/driftguard/tls/tls.crt");
      expect(config).toContain(`watch: "on"`);
      await mkdir(join(work, "config"));
      await writeFile(join(work, "config/driftguard.yaml"), config);
      const certs = await makeTestCertificates();
      await writeCertificates(join(work, "tls"), certs);
      ca = await readFile(join(work, "tls/ca.crt"), "utf8");
      // The service account a pod gets; its API server (KUBERNETES_SERVICE_*) does not answer here, so
      // driftguard answers without RBAC grants (the grace period of src/kube/connect.ts).
      await mkdir(join(work, "sa"));
      await writeFile(join(work, "sa/token"), "not-a-real-token");
      await writeFile(join(work, "sa/ca.crt"), ca);
      await writeFile(join(work, "sa/namespace"), NAMESPACE);
      // The pod's files are the pod user's (fsGroup); git refuses a repository another user owns.
      for (const dir of ["repo", "config", "tls", "sa"]) await chownTree(join(work, dir));
      const port = await freePort();
      const started = await run("podman", [
        ...["run", "-d", "--name", name, ...POD_FLAGS],
        ...["--network=slirp4netns", `--publish=127.0.0.1:${port}:8443`],
        `--volume=${join(work, "repo")}:/srv/git/deploy:ro`,
        `--volume=${join(work, "config")}:/etc/driftguard/config:ro`,
        `--volume=${join(work, "tls")}:/etc/driftguard/tls:ro`,
        `--volume=${join(work, "sa")}:/var/run/secrets/kubernetes.io/serviceaccount:ro`,
        ...[
          "--env=HOME=/var/lib/driftguard/home",
          `--env=POD_NAME=${name}`,
          `--env=POD_NAMESPACE=${NAMESPACE}`,
        ],
        ...["--env=KUBERNETES_SERVICE_HOST=127.0.0.1", "--env=KUBERNETES_SERVICE_PORT=6443"],
        image,
      ]);
      expect(started.code, started.stderr).toBe(0);
      url = `https://127.0.0.1:${port}`;
    }, 120_000);

    afterAll(async () => {
      const logs = await run("podman", ["logs", name]);
      if (logs.stdout || logs.stderr)
        process.stdout.write(`container log (last lines):\n${tail(logs.stderr + logs.stdout)}\n`);
      await run("podman", ["rm", "--force", "--time=5", name]);
    });

    it("answers /healthz over HTTPS with the mounted certificate", async () => {
      const answer = await until(async () => {
        const response = await sendHttps({ url: `${url}/healthz`, ca }).catch(() => undefined);
        return response?.status === 200 ? response : undefined;
      });
      expect(answer.status).toBe(200);
    });

    it("answers a real AdmissionReview: allowed as in Git, denied when drifted (enforce)", async () => {
      const live = deploymentManifest({ image: "nginx:1.25" });
      const review = (image: string) =>
        deploymentReview({ username: "alice", object: deploymentManifest({ image }), oldObject: live });
      // Until the first clone, the chart's onUnsynced: allow answers allowed with a warning: wait for
      // the drifted write to be denied, which needs the source synced.
      const denied = await until(async () => {
        const response = await postJson(`${url}/validate`, ca, review("nginx:9.9")).catch(() => undefined);
        const body = response?.json() as { response?: { allowed?: boolean } } | undefined;
        return body?.response?.allowed === false ? { response, body } : undefined;
      });
      const sent = review("nginx:9.9").request.uid;
      expect(denied.response?.status).toBe(200);
      expect(denied.body).toMatchObject({
        apiVersion: "admission.k8s.io/v1",
        kind: "AdmissionReview",
        response: { uid: sent, allowed: false, status: { code: 403 } },
      });
      const same = await postJson(`${url}/validate`, ca, review("nginx:1.25"));
      expect(same.status).toBe(200);
      expect(same.json()).toMatchObject({ kind: "AdmissionReview", response: { uid: sent, allowed: true } });
    });

    it("the serving process runs as uid 10001 (driftguard inside, 10001 on the host)", async () => {
      const top = await run("podman", ["top", name, "user", "huser", "args"]);
      expect(top.code, top.stderr).toBe(0);
      const node = top.stdout.split("\n").find((line) => line.includes("dist/cli/main.js"));
      expect(node?.trim().split(/\s+/).slice(0, 2)).toEqual(["driftguard", String(UID)]);
    });
  });
});

async function chownTree(path: string): Promise<void> {
  const listed = await run("find", [path]);
  for (const entry of listed.stdout.trim().split("\n")) await chown(entry, UID, UID);
}

function tail(text: string, lines = 15): string {
  return text.trim().split("\n").slice(-lines).join("\n");
}

/** Polls `probe` until it returns a value (bounded: 90 s). */
async function until<T>(probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting for the container");
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
