// Helpers for the tests that spawn `driftguard serve`: an API server that holds watches open, and a run
// of serve that tells a hang (killed at a deadline) from an exit.
import { execFile } from "node:child_process";
import { createServer as createHttpServer, type Server } from "node:http";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");
const MAIN = join(ROOT, "src/cli/main.ts");
// A hang shows as a kill at this deadline, not as exit 2. Generous: on two shared cores, starting node
// with tsx alone can take several seconds; a process that hangs never exits at all.
export const PROMPTLY_MS = 40_000;

export interface StandInApi {
  server: Server;
  url: string;
  /** Watch requests received so far. */
  watches(): number;
}

/** An API server that lists nothing and holds every watch open, as a real one does between events. */
export function startApiServer(): Promise<StandInApi> {
  let watches = 0;
  const server = createHttpServer((request, response) => {
    response.setHeader("Content-Type", "application/json");
    if (new URL(request.url ?? "/", "http://x").searchParams.get("watch") === "true") {
      watches++;
      response.flushHeaders(); // and never end: the client keeps the connection
      return;
    }
    response.end(
      JSON.stringify({ kind: "List", apiVersion: "v1", metadata: { resourceVersion: "1" }, items: [] }),
    );
  });
  return new Promise((done) =>
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      done({ server, url: `http://127.0.0.1:${port}`, watches: () => watches });
    }),
  );
}

export interface Run {
  code: number | null;
  /** Still running at PROMPTLY_MS (then killed). */
  hung: boolean;
  stderr: string;
  ms: number;
}

/** Runs serve; with `terminate`, sends SIGTERM once it says it listens. */
export function serve(config: string, terminate = false): Promise<Run> {
  const started = Date.now();
  return new Promise((done) => {
    let hung = false;
    const child = execFile(
      process.execPath,
      ["--import", "tsx", MAIN, "serve", "--config", config],
      { cwd: ROOT },
      (error, _stdout, stderr) => {
        clearTimeout(deadline);
        const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
        done({ code, hung, stderr, ms: Date.now() - started });
      },
    );
    const deadline = setTimeout(() => {
      hung = true;
      child.kill("SIGKILL");
    }, PROMPTLY_MS);
    child.stdout?.on("data", (chunk: Buffer) => {
      if (terminate && chunk.toString().includes("driftguard listening on")) child.kill("SIGTERM");
    });
  });
}
