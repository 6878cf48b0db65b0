// A small load generator for the fault tests: a few loops of HTTPS POSTs of one review, each answer
// counted. A connection the server refused never became a request (the listener was closed): it is
// counted apart from requests that were accepted and then failed.
import { Agent, request as httpsRequest } from "node:https";

export interface LoadCounts {
  /** Requests that got a 200 AdmissionReview that `judge` accepted. */
  answered: number;
  /** Requests that were sent on a connection and then got anything else: a reset, another status, a wrong answer. */
  failed: number;
  /** Connections refused (nobody listening): no request was accepted. */
  refused: number;
  /** The first few failures, said in words. */
  failures: string[];
}

export interface LoadOptions {
  url: string;
  ca: string;
  body: unknown;
  /** Concurrent loops. */
  loops?: number;
  /** Whether a 200 answer is the right one (e.g. a denial). */
  judge: (response: { allowed?: boolean }) => boolean;
  /** Keep connections open between requests, as the API server does; default a new connection each time. */
  keepAlive?: boolean;
  /** Stops a loop after its first refused connection (the server is gone). */
  stopWhenRefused?: boolean;
}

export interface RunningLoad {
  counts: LoadCounts;
  /** Ends the loops after their current request and returns the counts. */
  stop(): Promise<LoadCounts>;
}

export function startLoad(options: LoadOptions): RunningLoad {
  const counts: LoadCounts = { answered: 0, failed: 0, refused: 0, failures: [] };
  const body = JSON.stringify(options.body);
  const agent = options.keepAlive
    ? new Agent({ keepAlive: true, maxSockets: options.loops ?? 2 })
    : undefined;
  let stopped = false;
  const fail = (why: string) => {
    counts.failed++;
    if (counts.failures.length < 5) counts.failures.push(why);
  };
  const loop = async () => {
    while (!stopped) {
      const outcome = await post(options.url, options.ca, body, agent);
      if (outcome.kind === "refused") {
        counts.refused++;
        if (options.stopWhenRefused) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      } else if (outcome.kind === "error") fail(outcome.error);
      else if (outcome.status !== 200) fail(`HTTP ${outcome.status}: ${outcome.text.slice(0, 200)}`);
      else if (!options.judge(judged(outcome.text))) fail(`wrong answer: ${outcome.text.slice(0, 200)}`);
      else counts.answered++;
    }
  };
  const loops = Array.from({ length: options.loops ?? 2 }, loop);
  return {
    counts,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      agent?.destroy();
      return counts;
    },
  };
}

type Outcome =
  | { kind: "answer"; status: number; text: string }
  | { kind: "refused" }
  | { kind: "error"; error: string };

function post(url: string, ca: string, body: string, agent: Agent | undefined): Promise<Outcome> {
  return new Promise((done) => {
    const req = httpsRequest(url, {
      method: "POST",
      ca,
      agent: agent ?? false,
      headers: { "content-type": "application/json" },
      timeout: 10_000, // the webhook's timeout: an answer later than this is a failure
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        done({ kind: "answer", status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", (error) => done({ kind: "error", error: error.message }));
    });
    req.on("timeout", () => req.destroy(new Error("no answer within 10 s")));
    req.on("error", (error: NodeJS.ErrnoException) =>
      done(error.code === "ECONNREFUSED" ? { kind: "refused" } : { kind: "error", error: error.message }),
    );
    req.end(body);
  });
}

function judged(text: string): { allowed?: boolean } {
  try {
    return (JSON.parse(text) as { response?: { allowed?: boolean } }).response ?? {};
  } catch {
    return {};
  }
}
