// kustomize and helm are child processes of driftguard: their memory is theirs, not driftguard's, and the
// bench reports it apart. Each tool is given to driftguard behind a two-line wrapper that execs GNU time
// (`/usr/bin/time`), which runs the real tool and appends the tool's peak RSS and elapsed time to a log
// of its own: every run is counted, however short (a sampler of /proc would miss most 50 ms runs).
// The wrapper adds one fork and exec per run (about a millisecond); the tool's output, exit code and
// process group are the tool's own, so driftguard's limits and kills work on it as on the bare tool.
import { accessSync, constants, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RenderTool } from "../support/render-tools.js";

const GNU_TIME = "/usr/bin/time";

export interface WrappedTool {
  tool: RenderTool;
  /** What driftguard is told to run. */
  wrapper: string;
  log: string;
}

export interface ToolRuns {
  /** Runs of the render subcommand (`build`, `template`); version checks are left out. */
  runs: number;
  maxRssKb: number;
  /** Elapsed seconds of each run, as GNU time measured it. */
  seconds: number[];
}

/** Undefined when GNU time is not at /usr/bin/time: the tools then run bare, their memory unmeasured. */
export function gnuTime(): string | undefined {
  try {
    accessSync(GNU_TIME, constants.X_OK);
    return GNU_TIME;
  } catch {
    return undefined;
  }
}

export function wrapTool(tool: RenderTool, binary: string, dir: string, time: string): WrappedTool {
  const wrapper = join(dir, tool);
  const log = join(dir, `${tool}.runs`);
  for (const path of [binary, log, time]) {
    if (path.includes("'")) throw new Error(`tool wrapper: a quote in ${path} would break the script`);
  }
  writeFileSync(log, "");
  // "%M %e <subcommand>": peak RSS in KB, elapsed seconds, and what ran (build, template, version).
  writeFileSync(wrapper, `#!/bin/sh\nexec '${time}' -a -o '${log}' -f "%M %e $1" '${binary}' "$@"\n`, {
    mode: 0o755,
  });
  return { tool, wrapper, log };
}

const RENDER_COMMAND: Record<RenderTool, string> = { kustomize: "build", helm: "template" };

/** Reads a wrapper's log: the render runs so far. */
export function toolRuns(wrapped: WrappedTool): ToolRuns {
  const seconds: number[] = [];
  let maxRssKb = 0;
  for (const line of readFileSync(wrapped.log, "utf8").split("\n")) {
    // GNU time also writes "Command exited with non-zero status N" before a failed run's line.
    const match = /^(\d+) ([\d.]+) (\S+)$/.exec(line.trim());
    if (!match || match[3] !== RENDER_COMMAND[wrapped.tool]) continue;
    maxRssKb = Math.max(maxRssKb, Number(match[1]));
    seconds.push(Number(match[2]));
  }
  return { runs: seconds.length, maxRssKb, seconds };
}
