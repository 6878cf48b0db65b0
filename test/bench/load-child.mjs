// The measured process of the Git part, run by git-scale.ts as its own Node process so that its peak
// RSS holds driftguard's work and not the generator's. Plain JavaScript on the built dist/, as serve
// runs: under the tsx loader the process and each parse worker carried the loader too (about 30 MB
// each, a fifth of the peak measured, none of it driftguard's); the "process at start" figure shows
// the base that is left.
// It loads the config, then, on the parent's word over IPC (messages: load-messages.ts):
//   1. createGitSource + start() (clone, fetch, read and parse every file) + DesiredState.rebuild()
//   2. after the parent committed one change: refresh() + rebuild()
// and reports times and process.resourceUsage().maxRSS (KB) after each step.
import pino from "pino";
import { DesiredState } from "../../dist/admission/desired-state.js";
import { loadConfig } from "../../dist/config/load-config.js";
import { createGitSource } from "../../dist/sources/git-source.js";
import { createParsePool } from "../../dist/sources/parse-pool.js";

/** @typedef {import("./load-messages.js").ChildMessage} ChildMessage */
/** @typedef {import("./load-messages.js").ParentMessage} ParentMessage */

/** @param {ChildMessage} message */
const send = (message) => process.send?.(message);

const configFile = process.argv[2];
if (!configFile || !process.send) {
  process.stderr.write("load-child.ts is started by git-scale.ts (IPC channel and config file needed)\n");
  process.exit(2);
}

const config = loadConfig(configFile);
const firstSource = config.sources[0];
if (firstSource === undefined) throw new Error("the config has no source");
const sourceConfig = firstSource;
// Warnings only: a clean load logs nothing, so log volume is no part of the figures.
const logger = pino({ level: "warn" }, pino.destination(2));
// The parse pool as runtime.ts makes it for serve: the workers' memory is in the peak RSS too.
const parser = createParsePool({ logger });
/** @type {{ source: import("../../src/sources/types.js").GitSource; state: DesiredState } | undefined} */
let loaded;

const rssKb = () => process.resourceUsage().maxRSS;

/** @param {ParentMessage} message */
async function handle(message) {
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

process.on("message", (/** @type {ParentMessage} */ message) => {
  handle(message).catch((error) => {
    send({ type: "error", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  });
});
send({ type: "ready", baselineRssKb: rssKb() });
