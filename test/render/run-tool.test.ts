// runTool with tiny shell scripts standing in for kustomize and helm: limits, environment, errors.
import { access, chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  runTool,
  STDERR_HEAD_BYTES,
  STDERR_HEAD_LINES,
  type ToolResult,
  type ToolRun,
} from "../../src/render/run-tool.js";

let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "driftguard-run-tool-test-"));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function script(name: string, body: string): Promise<string> {
  const path = join(scratch, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

function run(binary: string, more: Partial<ToolRun> = {}): Promise<ToolResult> {
  return runTool({ binary, args: [], cwd: scratch, timeoutMs: 10_000, maxOutputBytes: 1 << 20, ...more });
}

function failure(result: ToolResult) {
  if (result.ok) throw new Error(`expected a failure, got stdout ${result.stdout.slice(0, 100)}`);
  return result;
}

function success(result: ToolResult) {
  if (!result.ok) throw new Error(`expected success, got ${result.reason}: ${result.message}`);
  return result;
}

/** Running, or stopped: a zombie (killed, waiting for a parent that may never reap it) is not alive. */
async function alive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  return stat?.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
}

const ALLOWED = [
  "PATH",
  "HOME",
  "XDG_CONFIG_HOME",
  "XDG_CACHE_HOME",
  "XDG_DATA_HOME",
  "HELM_CONFIG_HOME",
  "HELM_CACHE_HOME",
  "HELM_DATA_HOME",
  "HELM_PLUGINS",
  "KUBECONFIG",
  "LANG",
  "TZ",
];

describe("runTool", () => {
  it("returns stdout and stderr of a run that succeeds, in the folder asked", async () => {
    const tool = await script("ok.sh", 'echo "out in $(pwd)"; echo warn >&2');
    const result = success(await run(tool));
    expect(result.stdout).toBe(`out in ${scratch}\n`);
    expect(result.stderr).toBe("warn\n");
    expect(result.ms).toBeGreaterThan(0);
  });

  it("passes arguments verbatim, through no shell", async () => {
    const marker = join(scratch, "injected");
    const args = ["build", "a b", "*", `$(touch ${marker})`, "; touch x", "--flag=value with spaces"];
    const tool = await script("args.sh", 'for a in "$@"; do printf "%s\\n" "$a"; done');
    expect(success(await run(tool, { args })).stdout).toBe(`${args.join("\n")}\n`);
    await expect(access(marker)).rejects.toThrow();
  });

  it("closes stdin: a tool that reads it sees its end at once", async () => {
    const tool = await script("cat.sh", "cat");
    expect(success(await run(tool, { timeoutMs: 5000 })).stdout).toBe("");
  });

  it("sees only the minimal environment, with a fresh empty HOME each run, removed afterwards", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      HTTPS_PROXY: "http://proxy.example:3128",
      GIT_ASKPASS: "/usr/bin/askpass",
      AWS_SECRET_ACCESS_KEY: "s3cret",
      KUBECONFIG: join(scratch, "real-kubeconfig"),
    });
    try {
      const tool = await script("env.sh", 'env; echo "home-entries=$(ls -A "$HOME" | wc -l)"');
      const homes: string[] = [];
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const lines = success(await run(tool))
          .stdout.trim()
          .split("\n");
        const env = Object.fromEntries(
          lines
            .filter((line) => !line.startsWith("home-entries="))
            .map((line) => line.split(/=(.*)/s).slice(0, 2)),
        );
        delete env.PWD; // set by the shell itself, not passed in
        delete env.SHLVL;
        delete env._;
        expect(Object.keys(env).sort()).toEqual([...ALLOWED].sort());
        expect(lines).toContain("home-entries=0");
        for (const key of ALLOWED.filter(
          (key) => key.startsWith("XDG_") || key.startsWith("HELM_") || key === "KUBECONFIG",
        ))
          expect(env[key]?.startsWith(`${env.HOME}/`)).toBe(true);
        expect(env.PATH?.split(":")[0]).toBe(scratch);
        expect(env.LANG).toBe("C.UTF-8");
        expect(env.TZ).toBe("UTC");
        homes.push(env.HOME as string);
      }
      expect(homes[0]).not.toBe(homes[1]);
      for (const home of homes) await expect(access(home)).rejects.toThrow();
    } finally {
      process.env = saved;
    }
  });

  it("kills the whole process group at the time limit", async () => {
    const pidFile = join(scratch, "background.pid");
    const tool = await script("sleep.sh", `sleep 30 & echo $! > ${pidFile}; sleep 30`);
    const result = failure(await run(tool, { timeoutMs: 300 }));
    console.log(`runTool: a sleeping tool was killed at the 300 ms limit after ${result.ms.toFixed(0)} ms`);
    expect(result.reason).toBe("timeout");
    expect(result.message).toMatch(/killed after the time limit of 300 ms/);
    expect(result.ms).toBeGreaterThanOrEqual(300);
    expect(result.ms).toBeLessThan(3000);
    expect(await alive(Number(await readFile(pidFile, "utf8")))).toBe(false);
  });

  it("kills a tool past the output limit", async () => {
    const tool = await script("flood.sh", "head -c 10485760 /dev/zero");
    const result = failure(await run(tool, { maxOutputBytes: 1 << 20 }));
    console.log(`runTool: a tool printing 10 MB hit the 1 MB output limit after ${result.ms.toFixed(0)} ms`);
    expect(result.reason).toBe("output-limit");
    expect(result.message).toMatch(/more than the output limit of 1048576 bytes/);
    expect(result.ms).toBeLessThan(5000);
  });

  it("counts stderr towards the output limit too", async () => {
    const tool = await script("flood-err.sh", "head -c 3000000 /dev/zero >&2");
    expect(failure(await run(tool, { maxOutputBytes: 1 << 20 })).reason).toBe("output-limit");
  });

  it("reports a failed exit with the first lines of stderr, credentials hidden", async () => {
    const lines = Array.from({ length: 30 }, (_, index) => `line ${index + 1}`).join("\\n");
    const tool = await script(
      "fail.sh",
      `printf 'Error: fetching https://bot:t0ken@git.example/repo.git failed\\n${lines}\\n' >&2; exit 3`,
    );
    const result = failure(await run(tool));
    expect(result).toMatchObject({ reason: "exit", exitCode: 3 });
    expect(result.stderrHead.split("\n")).toHaveLength(STDERR_HEAD_LINES);
    expect(result.stderrHead).toContain("https://***@git.example/repo.git");
    expect(result.stderrHead).not.toContain("t0ken");
    expect(result.message).toBe(
      "fail.sh exited with code 3: Error: fetching https://***@git.example/repo.git failed",
    );
  });

  it("keeps at most 2 KB of a long stderr line", async () => {
    const tool = await script(
      "long.sh",
      "{ printf x; i=0; while [ $i -lt 2500 ]; do printf 'é'; i=$((i+1)); done; } >&2; exit 1",
    );
    const head = failure(await run(tool)).stderrHead;
    expect(Buffer.byteLength(head)).toBeLessThanOrEqual(STDERR_HEAD_BYTES);
    expect(head.length).toBeGreaterThan(STDERR_HEAD_BYTES / 4);
    expect(head).not.toContain("\uFFFD");
  });

  it("reports a tool killed by a signal", async () => {
    const tool = await script("term.sh", "kill -TERM $$");
    expect(failure(await run(tool))).toMatchObject({
      reason: "exit",
      exitCode: null,
      message: "term.sh was killed by SIGTERM",
    });
  });

  it("finds a binary named without a folder on the PATH", async () => {
    expect(success(await run("sh", { args: ["-c", "echo found"] })).stdout).toBe("found\n");
  });

  const unstartable: [string, () => Promise<Partial<ToolRun> & { binary: string }>, RegExp][] = [
    ["a missing binary", async () => ({ binary: join(scratch, "no-such-tool") }), /no such executable/],
    ["a name on no PATH folder", async () => ({ binary: "driftguard-no-such-tool" }), /no such executable/],
    [
      "a file that is not executable",
      async () => {
        await writeFile(join(scratch, "plain.txt"), "x");
        return { binary: join(scratch, "plain.txt") };
      },
      /no such executable/,
    ],
    [
      "a working folder that does not exist",
      async () => ({ binary: "sh", cwd: join(scratch, "gone") }),
      /working folder .* does not exist/,
    ],
  ];
  it.each(unstartable)("answers spawn for %s, never throwing", async (_name, make, words) => {
    const { binary, ...more } = await make();
    const result = failure(await run(binary, more));
    expect(result).toMatchObject({ reason: "spawn", exitCode: null, stderrHead: "" });
    expect(result.message).toMatch(words);
  });
});
