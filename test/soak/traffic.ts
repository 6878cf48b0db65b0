// The soak's traffic: AdmissionReviews over a few keep-alive HTTPS connections, as the API server sends
// them, at a steady rate (paced, not as fast as possible: a soak asks whether the server stays the same
// under ordinary load, not where it saturates). Every answer is checked against what its kind must
// answer; each latency lands in the current window, which the sampler takes and empties.
import { Agent, request } from "node:https";
import type { AdmissionReviewResponse } from "../../src/core/admission.js";
import {
  checkAnswer,
  checkMoreAnswer,
  type MoreKind,
  type ReviewKind,
  type ReviewSet,
} from "../bench/reviews.js";
import { percentile, sorted } from "../bench/stats.js";

export type SoakKind = ReviewKind | MoreKind;

/** One round of the mix: half no-ops, the rest audit allowances, denials, DELETEs and scales. */
const MIX: readonly SoakKind[] = [
  "no-op",
  "audit-drift",
  "no-op",
  "denied",
  "no-op",
  "delete",
  "no-op",
  "scale",
  "audit-drift",
  "denied",
];
const TIMEOUT_MS = 10_000;

export interface Window {
  requests: number;
  failures: number;
  p99Ms: number;
  byKind: Record<SoakKind, number>;
  /** The first few failure reasons of the window, for the log. */
  reasons: string[];
}

export interface Traffic {
  /** The window since the previous call; starts a new one. */
  take(): Window;
  stop(): Promise<void>;
}

interface Body {
  kind: SoakKind;
  text: string;
  uid: string;
}

export function startTraffic(options: {
  url: string;
  ca: string;
  set: ReviewSet;
  ratePerSecond: number;
  connections: number;
}): Traffic {
  const bodies = bodiesOf(options.set);
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections, ca: options.ca });
  let latencies: number[] = [];
  let failures = 0;
  let reasons: string[] = [];
  let byKind = emptyCounts();
  let next = 0;
  let stopping = false;
  const fail = (why: string) => {
    failures += 1;
    if (reasons.length < 3) reasons.push(why);
  };
  const intervalMs = (1000 * options.connections) / options.ratePerSecond;
  const worker = async (offset: number) => {
    let due = performance.now() + (offset * intervalMs) / options.connections;
    while (!stopping) {
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      // Behind schedule (a slow answer): send now, never in a burst to catch up.
      due = Math.max(due + intervalMs, performance.now());
      if (stopping) break;
      const body = bodies[next++ % bodies.length] as Body;
      const started = performance.now();
      try {
        const reply = await post(agent, options.url, body.text);
        latencies.push(performance.now() - started);
        byKind[body.kind] += 1;
        const problem = judge(body, reply);
        if (problem) fail(`${body.kind}: ${problem}`);
      } catch (error) {
        fail(`${body.kind}: ${(error as Error).message}`);
      }
    }
  };
  const workers = Array.from({ length: options.connections }, (_, i) => worker(i));
  return {
    take() {
      const window: Window = {
        requests: latencies.length,
        failures,
        p99Ms: percentile(sorted(latencies), 99),
        byKind,
        reasons,
      };
      latencies = [];
      failures = 0;
      reasons = [];
      byKind = emptyCounts();
      return window;
    },
    async stop() {
      stopping = true;
      await Promise.all(workers);
      agent.destroy();
    },
  };
}

function bodiesOf(set: ReviewSet): Body[] {
  const all = [...set.reviews, ...set.more];
  return MIX.map((kind) => {
    const review = all.find((candidate) => candidate.kind === kind);
    if (!review) throw new Error(`no review of kind ${kind}`);
    const uid = String((review.body.request as { uid: unknown }).uid);
    return { kind, text: review.text, uid };
  });
}

function emptyCounts(): Record<SoakKind, number> {
  return { "no-op": 0, "audit-drift": 0, denied: 0, delete: 0, scale: 0 };
}

function judge(body: Body, reply: { status: number; text: string }): string | undefined {
  if (reply.status !== 200) return `HTTP ${reply.status}`;
  let response: AdmissionReviewResponse["response"];
  try {
    response = (JSON.parse(reply.text) as AdmissionReviewResponse).response;
  } catch {
    return "an answer that is not JSON";
  }
  if (response?.uid !== body.uid) return "an answer for another uid";
  return body.kind === "delete" || body.kind === "scale"
    ? checkMoreAnswer(body.kind, response)
    : checkAnswer(body.kind, response);
}

function post(agent: Agent, url: string, text: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(text) },
        timeout: TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    req.on("error", reject);
    req.end(text);
  });
}
