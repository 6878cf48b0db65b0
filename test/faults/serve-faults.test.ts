// docs/reliability.md "Faults": each fault made to happen to a real `driftguard serve` process (HTTPS on
// loopback, Git over smart HTTP) while a small load generator posts a drifting review of shop/web and
// counts the answers. Times are printed, never asserted.
import { execFile } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { writeCertificates } from "../../src/certs/files.js";
import { type ServeProcess, startServe } from "../cli/serve-child.js";
import { deploymentManifest, deploymentYaml } from "../support/deployments.js";
import { type GitHttpServer, startGitHttpServer } from "../support/git/http-git-server.js";
import { createTestRepo, type TestRepo } from "../support/git/test-repo.js";
import { type LoadCounts, startLoad } from "../support/load-loop.js";
import { freePort } from "../support/net.js";
import { deploymentReview } from "../support/reviews.js";
import { type CertDir, makeCertDir, makeTempDir, makeTestCertificates } from "../support/tls/cert-dir.js";
import { postJson, sendHttps, servedCertificate } from "../support/tls/https-client.js";

const run = promisify(execFile);
const TEST_MS = 120_000;

/** alice changing the image Git holds: denied in enforce mode. */
const DRIFT = deploymentReview({
  username: "alice",
  object: deploymentManifest({ image: "nginx:drifted", metadata: { uid: "u-1" } }),
  oldObject: deploymentManifest({ image: "nginx:1.27", metadata: { uid: "u-1" } }),
});
const denied = (response: { allowed?: boolean }) => response.allowed === false;

interface Served {
  process: ServeProcess;
  port: number;
  url: string;
}

describe("faults under load", () => {
  let tmp: string;
  let certs: CertDir;
  let repo: TestRepo;
  let git: GitHttpServer;
  const started: ServeProcess[] = [];

  const writeConfig = async (
    name: string,
    port: number,
    extra: { stateDir?: string; refresh?: string } = {},
  ) => {
    const file = join(tmp, `${name}.yaml`);
    await writeFile(
      file,
      `mode: enforce
sources: [{name: apps, url: "${git.url("remote")}", paths: [apps], interval: 1h}]
stateDir: "${extra.stateDir ?? `./state-${name}`}"
server: {host: 127.0.0.1, port: ${port}, tlsCertFile: "${certs.certFile}", tlsKeyFile: "${certs.keyFile}", tlsReloadInterval: 1s, drainDelay: 2s}
refresh: ${extra.refresh ?? "{timeout: 3s}"}
kubernetes: {watch: "off"}
logLevel: debug
`,
    );
    return file;
  };

  /** Starts serve on a fresh port and waits until it listens and has synced from Git. */
  const startSynced = async (
    name: string,
    extra: Parameters<typeof writeConfig>[2] = {},
  ): Promise<Served> => {
    const port = await freePort();
    const process = startServe(await writeConfig(name, port, extra));
    started.push(process);
    await process.waitFor((line) => line.msg === "source updated");
    await process.waitFor((line) => line.text?.startsWith("driftguard listening on") === true);
    return { process, port, url: `https://127.0.0.1:${port}` };
  };

  const readyz = async (served: Served) => {
    const answer = await sendHttps({ url: `${served.url}/readyz`, ca: certs.certs.caCert });
    return { status: answer.status, body: answer.json() as { details: Record<string, unknown> } };
  };

  const load = (served: Served, options: { keepAlive?: boolean; ca?: string } = {}) =>
    startLoad({
      url: `${served.url}/validate`,
      ca: options.ca ?? certs.certs.caCert,
      body: DRIFT,
      loops: 2,
      judge: denied,
      keepAlive: options.keepAlive ?? false,
      stopWhenRefused: true,
    });

  const report = (what: string, counts: LoadCounts, more = "") =>
    process.stdout.write(
      `faults: ${what}: ${counts.answered} answered, ${counts.failed} failed, ${counts.refused} refused${more}\n`,
    );

  beforeAll(async () => {
    tmp = await makeTempDir();
    certs = await makeCertDir();
    repo = await createTestRepo(join(tmp, "served", "remote"), tmp);
    git = await startGitHttpServer({ root: join(tmp, "served"), home: tmp });
    await repo.commit("web", { "apps/web.yaml": deploymentYaml({ image: "nginx:1.27" }) });
  }, 60_000);

  afterEach(async () => {
    for (const process of started.splice(0)) await process.kill("SIGKILL");
    git.hang(false);
    await git.comeBack().catch(() => undefined);
  });

  afterAll(async () => {
    await git.stop();
    await certs.remove();
    await rm(tmp, { recursive: true, force: true });
  });

  it("kill -9 under load, then a restart with Git unreachable: the first answer is judged from the snapshot", {
    timeout: TEST_MS,
  }, async () => {
    const first = await startSynced("killed");
    await first.process.waitFor((line) => line.msg === "snapshot saved");
    const traffic = load(first);
    await waitUntil(() => traffic.counts.answered >= 20);
    await first.process.kill("SIGKILL");
    const before = await traffic.stop();
    report("kill -9 under load", before);
    expect(before.answered).toBeGreaterThanOrEqual(20);

    await git.goAway();
    const port = await freePort();
    const second = startServe(await writeConfig("killed", port));
    started.push(second);
    const listening = await second.waitFor(
      (line) => line.text?.startsWith("driftguard listening on") === true,
    );
    const opened = Date.now();
    const answer = await postJson(`https://127.0.0.1:${port}/validate`, certs.certs.caCert, DRIFT);
    const ms = Date.now() - opened;
    expect(listening.text).toContain(`:${port}`);
    expect(answer.status).toBe(200);
    const response = (answer.json() as { response: { allowed: boolean; status?: { message?: string } } })
      .response;
    expect(response.allowed, JSON.stringify(response)).toBe(false);
    expect(response.status?.message).toContain("nginx:drifted");
    process.stdout.write(
      `faults: restart with Git unreachable: first answer (a denial) ${ms} ms after "listening"\n`,
    );
    // The restored snapshot serves from the start; the source says "failing" once its first fetch of the
    // gone remote has failed, which on a busy machine may come after the first answer (pending until then).
    const served = { process: second, port, url: `https://127.0.0.1:${port}` };
    const sourceState = async () => {
      const sources = (await readyz(served)).body.details.sources as { state?: { kind?: string } }[];
      return sources[0]?.state?.kind;
    };
    await waitUntil(async () => (await sourceState()) !== "pending");
    const status = await readyz(served);
    expect(status.body.details.sources).toMatchObject([{ restored: true, state: { kind: "failing" } }]);
  });

  it("the Git remote hanging during an on-demand fetch: the denial still comes, on the last known revision", {
    timeout: TEST_MS,
  }, async () => {
    const served = await startSynced("hung", { refresh: "{onDemandAfter: 1s, timeout: 3s}" });
    git.hang(true);
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // past onDemandAfter: the denial refetches
    const fetchesBefore = git.fetches;
    const asked = Date.now();
    const answer = await postJson(`${served.url}/validate`, certs.certs.caCert, DRIFT);
    const ms = Date.now() - asked;
    expect(answer.status).toBe(200);
    expect((answer.json() as { response: { allowed: boolean } }).response.allowed).toBe(false);
    // The fetch was tried (and hung): the answer did not come from skipping it.
    const cut = await served.process.waitFor((line) => JSON.stringify(line).includes("timed out"));
    expect(git.fetches).toBe(fetchesBefore);
    process.stdout.write(
      `faults: Git hanging: denial in ${ms} ms (refresh.timeout 3000 ms); ${String(cut.msg)}\n`,
    );
    const health = await sendHttps({ url: `${served.url}/healthz`, ca: certs.certs.caCert });
    expect(health.status).toBe(200);
    const again = load(served);
    await waitUntil(() => again.counts.answered >= 5);
    const counts = await again.stop();
    report("Git hanging, then load", counts);
    expect(counts.failed, counts.failures.join("\n")).toBe(0);
  });

  it("a certificate rotation under load: 0 failed requests, new connections see the new certificate", {
    timeout: TEST_MS,
  }, async () => {
    const served = await startSynced("rotated");
    const next = await makeTestCertificates();
    // The API server trusts the new CA beside the old one while the bundle rotates (src/certs/rotation.ts).
    const traffic = load(served, { ca: `${certs.certs.caCert}\n${next.caCert}` });
    await waitUntil(() => traffic.counts.answered >= 10);
    const rotatedAt = Date.now();
    await writeCertificates(certs.dir, next);
    certs.certs = next;
    await waitUntil(async () => {
      const cert = await servedCertificate("127.0.0.1", served.port, next.caCert).catch(() => undefined);
      return cert !== undefined;
    });
    const seenMs = Date.now() - rotatedAt;
    const atRotation = traffic.counts.answered;
    await waitUntil(() => traffic.counts.answered >= atRotation + 10);
    const counts = await traffic.stop();
    report(
      "certificate rotation under load",
      counts,
      `; new certificate served ${seenMs} ms after the write`,
    );
    expect(counts.failed, counts.failures.join("\n")).toBe(0);
    expect(counts.refused).toBe(0);
    const cert = await servedCertificate("127.0.0.1", served.port, next.caCert);
    expect(cert.fingerprint256).toBeTruthy();
  });

  it("SIGTERM under load: not ready first, in-flight requests finish, 0 failed", {
    timeout: TEST_MS,
  }, async () => {
    const served = await startSynced("terminated");
    const traffic = load(served, { keepAlive: true });
    await waitUntil(() => traffic.counts.answered >= 20);
    const probes: string[] = [];
    const signalled = served.process.kill("SIGTERM");
    let counts: LoadCounts | undefined;
    for (;;) {
      const probe = await readyz(served).then(
        (answer) => String(answer.status),
        (error: NodeJS.ErrnoException) => (error.code === "ECONNREFUSED" ? "refused" : `error ${error.code}`),
      );
      if (probes.at(-1) !== probe) probes.push(probe);
      if (probe === "503" && counts === undefined) {
        // The API server keeps sending until the endpoint is gone, within the drain delay (2 s); then stops.
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        counts = await traffic.stop();
      }
      if (probe === "refused") break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await signalled;
    counts ??= await traffic.stop();
    report("SIGTERM under load", counts, `; /readyz went ${probes.join(" → ")}`);
    expect(["200", "503"]).toContain(probes[0]);
    expect(probes.indexOf("503")).toBeGreaterThanOrEqual(0);
    expect(probes.indexOf("503")).toBeLessThan(probes.indexOf("refused"));
    expect(counts.failed, counts.failures.join("\n")).toBe(0);
    expect(counts.answered).toBeGreaterThan(20);
  });

  it("stateDir read-only, then full: answers go on; /readyz and the log say so", {
    timeout: TEST_MS,
  }, async () => {
    const mountPoint = join(tmp, "small-disk");
    await mkdir(mountPoint, { recursive: true });
    const mounted = await run("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint]).then(
      () => true,
      () => false,
    );
    if (!mounted) {
      process.stdout.write(
        "faults: stateDir read-only/full skipped: cannot mount a small tmpfs (not root)\n",
      );
      return;
    }
    try {
      const served = await startSynced("disk", {
        stateDir: join(mountPoint, "state"),
        refresh: "{onDemandAfter: 1s, timeout: 3s}",
      });
      for (const variant of ["read-only", "full"] as const) {
        if (variant === "read-only") await remountReadOnly(mountPoint);
        else {
          await run("mount", ["-o", "remount,rw", mountPoint]);
          // Fill what is left; dd stops at ENOSPC.
          await run("dd", ["if=/dev/zero", `of=${join(mountPoint, "filler")}`, "bs=64k"]).catch(
            () => undefined,
          );
        }
        // A new commit, so that the next on-demand fetch has something to write.
        await repo.commit(`web ${variant}`, {
          "apps/web.yaml": deploymentYaml({ image: "nginx:1.27" }),
          [`apps/notes-${variant}.txt`]: "x\n".repeat(64 * 1024),
        });
        await new Promise((resolve) => setTimeout(resolve, 1_200)); // past onDemandAfter
        const traffic = load(served);
        await waitUntil(() => traffic.counts.answered >= 10);
        const counts = await traffic.stop();
        report(`stateDir ${variant}`, counts);
        expect(counts.failed, counts.failures.join("\n")).toBe(0);
        // The store writes in batches a moment after the records arrive (BATCH_DELAY_MS): a fast load
        // can be over before this phase's first write has been tried. Look again for up to 5 s; the
        // assertions below judge the last look.
        type Details = {
          sources: { state: { kind: string; error?: string } }[];
          history?: { disk: { state: string; error?: string } };
        };
        const reason = variant === "read-only" ? /read-only/ : /no space/i;
        let status = await readyz(served);
        for (let look = 0; look < 50; look++) {
          if (reason.test((status.body.details as Details).history?.disk.error ?? "")) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
          status = await readyz(served);
        }
        const details = status.body.details as Details;
        process.stdout.write(
          `faults: stateDir ${variant}: /readyz ${status.status}, source ${details.sources[0]?.state.kind} (${details.sources[0]?.state.error}), history disk ${details.history?.disk.state} (${details.history?.disk.error})\n`,
        );
        expect(details.history?.disk).toMatchObject({ state: "failing" });
        // The kernel's reason, not Node's recursive mkdir's ENOENT (src/make-directory.ts).
        expect(details.history?.disk.error).toMatch(reason);
        expect(details.sources[0]?.state).toMatchObject({ kind: "failing" });
        await served.process.waitFor((line) => line.component === "history" && Number(line.level) >= 40);
      }
    } finally {
      for (const process of started.splice(0)) await process.kill("SIGKILL");
      await run("umount", ["-l", mountPoint]).catch(() => undefined);
    }
  });
});

/**
 * The kernel refuses a read-only remount while any file on it is open for
 * writing (EBUSY), and driftguard writes there now and then (a background
 * fetch, a history line). Those writes are short, so try again for a while.
 */
async function remountReadOnly(mountPoint: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await run("mount", ["-o", "remount,ro", mountPoint]);
      return;
    } catch (error) {
      if (attempt >= 100 || !String(error).includes("busy")) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Polls `ready` until true; a test that never gets there fails at its timeout. */
async function waitUntil(ready: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await ready())) await new Promise((resolve) => setTimeout(resolve, 50));
}
