// Part 3: Git at scale. A repository of 10,000 manifests is loaded by a fresh child process (its peak
// RSS is driftguard's alone, not the generator's), then one file changes and the child refreshes.
// Targets are the performance issue's: 10,000 manifests loaded in < 6 s with a peak RSS < 250 MB, a one-file commit < 0.3 s.
import { type ChildProcess, fork } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { onCleanup, tempDir } from "./cleanup.js";
import type { ChildMessage, ParentMessage } from "./load-messages.js";
import { LOAD_CHILD, REPO_ROOT } from "./paths.js";
import { below, info, type Row } from "./report.js";
import { commitOneChange, createScaleRepo } from "./scale-repo.js";

const TARGET_LOAD_S = 6;
const TARGET_RSS_MB = 250;
const TARGET_REFRESH_S = 0.3;
/** Bounds on each step of the child: far above the targets, only there so nothing hangs. */
const LOAD_TIMEOUT_MS = 300_000;
const STEP_TIMEOUT_MS = 60_000;

export async function runGitScale(log: (line: string) => void): Promise<Row[]> {
  const dir = tempDir("git");
  const repo = join(dir, "repo");
  log("git: writing 10,000 manifests and committing them");
  const made = await createScaleRepo(repo);
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  log(
    `git: ${made.files} files, ${kb(made.bytes.min)}–${kb(made.bytes.max)} each (${(made.bytes.total / 1024 / 1024).toFixed(1)} MB), ` +
      `written in ${(made.writeMs / 1000).toFixed(1)} s, add + commit in ${(made.commitMs / 1000).toFixed(1)} s`,
  );
  const configFile = join(dir, "driftguard.yaml");
  writeFileSync(
    configFile,
    "mode: audit\nsources:\n  - name: scale\n    url: ./repo\n    paths: [apps]\n    interval: 1h\nstateDir: ./state\n",
  );

  const child = startChild(configFile);
  try {
    const ready = await child.next("ready", STEP_TIMEOUT_MS);
    child.send({ type: "load" });
    const loaded = await child.next("loaded", LOAD_TIMEOUT_MS);
    if (loaded.objects !== made.files || loaded.state !== "synced") {
      throw new Error(`git: expected ${made.files} synced objects, got ${loaded.objects} (${loaded.state})`);
    }
    const loadS = (loaded.startMs + loaded.rebuildMs) / 1000;
    log(
      `git: start() ${(loaded.startMs / 1000).toFixed(2)} s + rebuild() ${(loaded.rebuildMs / 1000).toFixed(2)} s; ` +
        `peak RSS ${mb(loaded.maxRssKb)} MB (process at start: ${mb(ready.baselineRssKb)} MB), heap used ${loaded.heapUsedMb.toFixed(0)} MB`,
    );
    await commitOneChange(repo, made.changeFile);
    child.send({ type: "refresh" });
    const refreshed = await child.next("refreshed", STEP_TIMEOUT_MS);
    if (refreshed.result !== "updated" || refreshed.changedFiles !== 1) {
      throw new Error(
        `git: the one-file change was not picked up (${refreshed.result}, ${refreshed.changedFiles} files)`,
      );
    }
    const refreshS = (refreshed.refreshMs + refreshed.rebuildMs) / 1000;
    log(
      `git: one-file change: refresh() ${refreshed.refreshMs.toFixed(0)} ms + rebuild() ${refreshed.rebuildMs.toFixed(0)} ms; ` +
        `peak RSS so far ${mb(refreshed.maxRssKb)} MB`,
    );
    child.send({ type: "stop" });
    const stopped = await child.next("stopped", STEP_TIMEOUT_MS);
    const peakMb = Number(mb(stopped.maxRssKb));
    return [
      info(
        "git",
        "repository",
        `${made.files} files in 100 folders, ${kb(made.bytes.min)}–${kb(made.bytes.max)}`,
      ),
      info(
        "git",
        "generate: write files / add + commit",
        `${(made.writeMs / 1000).toFixed(1)} s / ${(made.commitMs / 1000).toFixed(1)} s`,
      ),
      below("git", "load: createGitSource + start() + rebuild()", loadS, TARGET_LOAD_S, " s"),
      info(
        "git",
        "load: start() / rebuild()",
        `${(loaded.startMs / 1000).toFixed(2)} s / ${(loaded.rebuildMs / 1000).toFixed(2)} s`,
      ),
      below("git", "peak RSS (load, refresh, snapshot write)", peakMb, TARGET_RSS_MB, " MB"),
      info(
        "git",
        "peak RSS after load / at process start",
        `${mb(loaded.maxRssKb)} MB / ${mb(ready.baselineRssKb)} MB`,
      ),
      below("git", "one-file change: refresh() + rebuild()", refreshS, TARGET_REFRESH_S, " s"),
      info(
        "git",
        "refresh() / rebuild()",
        `${refreshed.refreshMs.toFixed(0)} ms / ${refreshed.rebuildMs.toFixed(0)} ms`,
      ),
    ];
  } finally {
    await child.stop();
  }
}

function mb(kb: number): string {
  return (kb / 1024).toFixed(0);
}

interface LoadChild {
  send(message: ParentMessage): void;
  next<T extends ChildMessage["type"]>(
    type: T,
    timeoutMs: number,
  ): Promise<Extract<ChildMessage, { type: T }>>;
  stop(): Promise<void>;
}

/** node load-child.mjs CONFIG (no loader: built JavaScript), with an IPC channel; killed at cleanup if still running. */
function startChild(configFile: string): LoadChild {
  const child: ChildProcess = fork(LOAD_CHILD, [configFile], {
    cwd: REPO_ROOT,
    // BENCH_NODE_ARGS (space-separated), as for the load part's servers: `--cpu-prof` to see where a load goes.
    execArgv: (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== ""),
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const forget = onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  const queue: ChildMessage[] = [];
  let wake: (() => void) | undefined;
  child.on("message", (message: ChildMessage) => {
    queue.push(message);
    wake?.();
  });
  child.on("exit", () => wake?.());
  return {
    send: (message) => child.send(message),
    async next(type, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const message = queue.shift();
        if (message?.type === "error") throw new Error(`git: load child failed: ${message.message}`);
        if (message?.type === type) return message as Extract<ChildMessage, { type: typeof type }>;
        if (message) continue;
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`git: load child exited while waiting for "${type}"`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`git: load child gave no "${type}" within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        if (child.connected) child.disconnect();
        await exited;
        clearTimeout(timer);
      }
      forget();
    },
  };
}
