// What a user sees when a command fails: `driftguard: <what> (<where>)`, then `  <what to do>`, and
// exit status 2. Every case runs the real command; log lines (JSON) on stderr are left out.

import { readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deploymentReview } from "../support/reviews.js";
import { type CertDir, makeCertDir, makeTempDir } from "../support/tls/cert-dir.js";
import { driftguard } from "./run-cli.js";

/** The lines meant for a person: everything on stderr but pino's JSON log lines. */
function messageLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => line !== "" && !line.startsWith("{"));
}

// Each child process loads TypeScript; on a busy machine a few take a while.
const SLOW = { timeout: 180_000 };

describe("CLI error messages", () => {
  let tmp: string;
  let certs: CertDir;
  let review: string;

  const config = async (name: string, yaml: string) => {
    const file = join(tmp, name);
    // Sources point at a folder that does not exist: their fetch fails in the background, which
    // none of these failures waits for.
    await writeFile(
      file,
      `sources: [{name: apps, url: ./no-remote, paths: [apps]}]\nstateDir: ./state\nkubernetes: {watch: "off"}\n${yaml}`,
    );
    return file;
  };

  beforeAll(async () => {
    tmp = await makeTempDir();
    certs = await makeCertDir();
    review = join(tmp, "review.json");
    await writeFile(
      review,
      JSON.stringify(
        deploymentReview({ username: "alice", object: { kind: "Deployment" }, oldObject: null }),
      ),
    );
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
    await certs.remove();
  });

  it(
    "usage and input: flag, --config, unreadable file, not JSON, not an AdmissionReview, not YAML",
    SLOW,
    async () => {
      const cfg = await config("check.yaml", "");
      const [flag, noConfig, unreadable, notJson, notReview, notYaml] = await Promise.all([
        driftguard(["check", "--bogus"]),
        driftguard(["check", review]),
        driftguard(["check", "--config", cfg, join(tmp, "nope.json")]),
        driftguard(["check", "--config", cfg, "-"], "{not json"),
        driftguard(["check", "--config", cfg, "-"], '{"kind":"AdmissionReview"}'),
        driftguard(["diff", "--config", cfg, "-"], "a: [1,\n"),
      ]);
      for (const result of [flag, noConfig, unreadable, notJson, notReview, notYaml])
        expect(result.code).toBe(2);
      expect(messageLines(flag.stderr)[0]).toMatch(/^driftguard: Unknown option '--bogus'/);
      expect(messageLines(flag.stderr)[1]).toBe("  add --help to see the options");
      expect(messageLines(noConfig.stderr)).toEqual([
        "driftguard: --config FILE is required",
        "  give the config file; `driftguard serve` without --config writes a demo one to .driftguard/demo/driftguard.yaml",
      ]);
      expect(messageLines(unreadable.stderr)).toEqual([
        `driftguard: cannot read the input: no such file or folder (${join(tmp, "nope.json")})`,
        "  check the file name, or give `-` to read standard input",
      ]);
      const fixReview =
        "  give an AdmissionReview as the API server sends it: apiVersion admission.k8s.io/v1, kind AdmissionReview, a request";
      expect(messageLines(notJson.stderr)).toEqual([
        expect.stringMatching(/^driftguard: the review is not JSON: .+ \(standard input\)$/),
        fixReview,
      ]);
      expect(messageLines(notReview.stderr)).toEqual([
        expect.stringMatching(/^driftguard: not an AdmissionReview v1: .+ \(standard input\)$/),
        fixReview,
      ]);
      expect(messageLines(notYaml.stderr)).toEqual([
        expect.stringMatching(/^driftguard: the input is not YAML: .+[^:] \(standard input, line \d+\)$/),
        "  give the output of `kubectl get deployments -o yaml` (one object or a List)",
      ]);
    },
  );

  it("certs: a bad name, and a folder that cannot be written", SLOW, async () => {
    const blocker = join(tmp, "a-file");
    await writeFile(blocker, "");
    const [badName, unwritable] = await Promise.all([
      driftguard(["certs", "--out", join(tmp, "tls"), "--dns", "bad name"]),
      driftguard(["certs", "--out", join(blocker, "tls"), "--dns", "x.example"]),
    ]);
    expect(badName.code).toBe(2);
    expect(messageLines(badName.stderr)).toEqual([
      'driftguard: not a DNS name: "bad name"',
      "  a DNS name is letters, digits, '-' and '.', optionally starting with '*.'; IP addresses go to --ip",
    ]);
    expect(unwritable.code).toBe(2);
    expect(messageLines(unwritable.stderr)).toEqual([
      expect.stringMatching(
        new RegExp(`^driftguard: cannot write the certificates: .+ \\(--out ${join(blocker, "tls")}\\)$`),
      ),
      "  give --out a folder you can write to (it is created if missing)",
    ]);
  });

  it("serve: missing config, bad kubeconfig, unreadable push token, unreadable TLS files", SLOW, async () => {
    const kube = await config("kube.yaml", "");
    await writeFile(
      kube,
      (await readFile(kube, "utf8")).replace('watch: "off"', 'watch: "on", kubeconfig: ./no-kubeconfig'),
    );
    const token = await config("token.yaml", "server: {pushTokenFile: ./no-token}\n");
    const tls = await config("tls.yaml", "server: {tlsCertFile: ./no.crt, tlsKeyFile: ./no.key}\n");
    const [missing, badKube, badToken, badTls] = await Promise.all([
      driftguard(["serve", "--config", join(tmp, "nope.yaml")]),
      driftguard(["serve", "--config", kube]),
      driftguard(["serve", "--config", token]),
      driftguard(["serve", "--config", tls]),
    ]);
    for (const result of [missing, badKube, badToken, badTls]) expect(result.code).toBe(2);
    expect(messageLines(missing.stderr)).toEqual([
      `driftguard: config ${join(tmp, "nope.yaml")}: cannot read the file: no such file`,
      "  check the path given to --config (relative paths start at the working folder)",
    ]);
    expect(messageLines(badKube.stderr)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^driftguard: cannot load Kubernetes credentials from ${join(tmp, "no-kubeconfig")}: ENOENT`,
        ),
      ),
      "  fix the file kubernetes.kubeconfig names, or set kubernetes.watch: off to run without a cluster",
    ]);
    expect(messageLines(badToken.stderr)).toEqual([
      `driftguard: cannot read the push token: no such file or folder (server.pushTokenFile ${join(tmp, "no-token")})`,
      "  point server.pushTokenFile at a readable file holding the token, or remove the key to disable POST /refresh",
    ]);
    expect(messageLines(badTls.stderr)).toEqual([
      `driftguard: cannot serve TLS: no such file or folder (server.tlsCertFile ${join(tmp, "no.crt")}, server.tlsKeyFile ${join(tmp, "no.key")})`,
      "  point server.tlsCertFile and server.tlsKeyFile at a PEM certificate and its key (`driftguard certs` makes a pair)",
    ]);
  });

  it("serve: a port already in use names host and port, and says what to change", SLOW, async () => {
    const taken: Server = createServer();
    await new Promise<void>((ready) => taken.listen(0, "127.0.0.1", ready));
    const port = (taken.address() as { port: number }).port;
    try {
      const file = await config(
        "port.yaml",
        `server: {host: 127.0.0.1, port: ${port}, tlsCertFile: ${certs.certFile}, tlsKeyFile: ${certs.keyFile}}\n`,
      );
      const result = await driftguard(["serve", "--config", file]);
      expect(result.code).toBe(2);
      expect(messageLines(result.stderr)).toEqual([
        `driftguard: cannot listen: the address is already in use (server.host 127.0.0.1, server.port ${port})`,
        "  stop the other process listening there, or set server.port to a free port",
      ]);
    } finally {
      await new Promise((closed) => taken.close(closed));
    }
  });
});
