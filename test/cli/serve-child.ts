// `driftguard serve` as a child process for tests: its JSON log lines (stderr) and stdout can be awaited
// line by line, so a test waits for what the server says it did, never for a fixed time.
import { type ChildProcess, spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";

const ROOT = resolve(import.meta.dirname, "../..");
const MAIN = join(ROOT, "src/cli/main.ts");

export interface ServeProcess {
  /** Resolves with the first line (past or future) that `matches`; rejects when the process ends first. */
  waitFor(matches: (line: Line) => boolean): Promise<Line>;
  stop(): Promise<void>;
  /** Sends `signal` and resolves when the process has ended. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** A log line read as JSON (stderr), or `{ text }` for anything else (stdout). */
export type Line = Record<string, unknown> & { text?: string };

export function startServe(configFile: string): ServeProcess {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, "serve", "--config", configFile], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Line[] = [];
  const waiters = new Set<{ matches: (line: Line) => boolean; done: (line: Line) => void }>();
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const take = (line: Line) => {
    lines.push(line);
    for (const waiter of waiters) {
      if (!waiter.matches(line)) continue;
      waiters.delete(waiter);
      waiter.done(line);
    }
  };
  readLines(child, "stdout", (text) => take({ text }));
  readLines(child, "stderr", (text) => take(parseLine(text)));
  return {
    waitFor(matches) {
      const seen = lines.find(matches);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((done, reject) => {
        waiters.add({ matches, done });
        void exited.then(() => reject(new Error(`serve ended; its output:\n${JSON.stringify(lines)}`)));
      });
    },
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

function readLines(child: ChildProcess, stream: "stdout" | "stderr", onLine: (text: string) => void): void {
  const input = child[stream];
  if (input !== null) createInterface({ input }).on("line", onLine);
}

function parseLine(text: string): Line {
  try {
    return JSON.parse(text) as Line;
  } catch {
    return { text };
  }
}
