// The measured process of the Git part, run by git-scale.ts as its own Node process so that its peak
// RSS holds driftguard's work and not the generator's. Node and the tsx loader are in it too (about
// 90 MB before any Git work, of which ~30 MB is tsx): the "process at start" figure shows that base.
// It loads the config, then, on the parent's word over IPC:
//   1. createGitSource + start() (clone, fetch, read and parse every file) + DesiredState.rebuild()
//   2. after the parent committed one change: refresh() + rebuild()
// and reports times and process.resourceUsage().maxRSS (KB) after each step.
import pino from "pino";
import { DesiredState } from "../../src/admission/desired-state.js";
import { loadConfig } from "../../src/config/load-config.js";
import { createGitSource } from "../../src/sources/git-source.js";
import { createParsePool } from "../../src/sources/parse-pool.js";
import type { GitSource, SourceConfig } from "../../src/sources/types.js";

export type ChildMessage =
  | { type: "ready"; baselineRssKb: number }
  | {
      type: "loaded";
      startMs: number;
      rebuildMs: number;
      objects: number;
      maxRssKb: number;
      heapUsedMb: number;
      state: string;
    }
  | {
      type: "refreshed";
      refreshMs: number;
      rebuildMs: number;
      result: string;
      changedFiles: number;
      objects: number;
      maxRssKb: number;
    }
  | { type: "stopped"; maxRssKb: number }
  | { type: "error"; message: string };

export type ParentMessage = { type: "load" } | { type: "refresh" } | { type: "stop" };

const send = (message: ChildMessage) => process.send?.(message);
const configFile = process.argv[2];
if (!configFile || !process.send) {
  process.stderr.write("load-child.ts is started by git-scale.ts (IPC channel and config file needed)\n");
  process.exit(2);
}

const config = loadConfig(configFile);
const firstSource = config.sources[0];
if (firstSource === undefined) throw new Error("the config has no source");
const sourceConfig: SourceConfig = firstSource;
// Warnings only: a clean load logs nothing, so log volume is no part of the figures.
const logger = pino({ level: "warn" }, pino.destination(2));
// The parse pool as runtime.ts makes it for serve: the workers' memory is in the peak RSS too.
const parser = createParsePool({ logger });
let loaded: { source: GitSource; state: DesiredState } | undefined;

const rssKb = () => process.resourceUsage().maxRSS;

async function handle(message: ParentMessage): Promise<void> {
  switch (message.type) {
    case "load": {
      const t0 = performance.now();
      const source = createGitSource(sourceConfig, {
        stateDir: config.stateDir,
        revisions: config.revisions,
        logger,
        parser,
      });
      const state = new DesiredState([source], config.policy);
      loaded = { source, state };
      await source.start();
      const t1 = performance.now();
      state.rebuild();
      const t2 = performance.now();
      send({
        type: "loaded",
        startMs: t1 - t0,
        rebuildMs: t2 - t1,
        objects: state.size,
        maxRssKb: rssKb(),
        heapUsedMb: process.memoryUsage().heapUsed / 1024 / 1024,
        state: source.status().state.kind,
      });
      return;
    }
    case "refresh": {
      if (!loaded) throw new Error("refresh before load");
      const { source, state } = loaded;
      const t0 = performance.now();
      const result = await source.refresh("bench");
      const t1 = performance.now();
      state.rebuild();
      const t2 = performance.now();
      send({
        type: "refreshed",
        refreshMs: t1 - t0,
        rebuildMs: t2 - t1,
        result: result.kind === "failed" ? `failed: ${result.error}` : result.kind,
        changedFiles: result.kind === "updated" ? result.changedFiles : 0,
        objects: state.size,
        maxRssKb: rssKb(),
      });
      return;
    }
    case "stop":
      // stop() waits for the snapshot write, whose memory belongs in the peak too.
      await loaded?.source.stop();
      await parser.close();
      send({ type: "stopped", maxRssKb: rssKb() });
      process.disconnect();
      return;
  }
}

process.on("message", (message: ParentMessage) => {
  handle(message).catch((error: unknown) => {
    send({ type: "error", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  });
});
send({ type: "ready", baselineRssKb: rssKb() });
