// Part 2: the decision alone, in-process, without HTTP. Times exactly what POST /validate does after
// JSON.parse: the schema check (parseReview), the desired-state lookup, decide (normalizes old and new
// object, diffs, judges) and respond (messages, warnings, audit annotations).
import pino from "pino";
import type { DesiredState } from "../../src/admission/desired-state.js";
import { loadConfig } from "../../src/config/load-config.js";
import { decide } from "../../src/core/decide.js";
import type { Policy } from "../../src/core/policy.js";
import { respond } from "../../src/core/respond.js";
import type { JsonObject } from "../../src/core/types.js";
import { parseReview } from "../../src/http/review-schema.js";
import { createRuntime } from "../../src/runtime.js";
import { createFixture } from "./fixture.js";
import { below, info, type Row } from "./report.js";
import { checkAnswer, type ReviewKind } from "./reviews.js";
import { mean, percentile, sorted } from "./stats.js";

const WARMUP_PER_KIND = 2_000;
const ITERATIONS_PER_KIND = 20_000;
/** Bound on the measured loop, should driftguard become very slow. */
const TIME_LIMIT_MS = 120_000;
const TARGET_MEDIAN_US = 100;

export async function runDecision(): Promise<Row[]> {
  const fixture = await createFixture({ certs: false });
  const config = loadConfig(fixture.configFile);
  const runtime = createRuntime(config, pino({ level: "silent" }));
  try {
    await runtime.started;
    const expected = Object.keys(fixture.set.manifests).length;
    if (runtime.state.size !== expected) {
      throw new Error(`decision: expected ${expected} objects from Git, got ${runtime.state.size}`);
    }
    const once = (body: JsonObject) => decideOnce(body, runtime.state, config.policy);
    const kinds = fixture.set.reviews.map((review) => ({ kind: review.kind, body: review.body }));
    for (const { kind, body } of kinds) {
      const problem = checkAnswer(kind, once(body));
      if (problem) throw new Error(`decision: review "${kind}": ${problem}`);
    }
    // Kinds are interleaved, warm-up included, as a webhook sees them: a loop over one kind alone
    // would let the JIT specialize on one shape of object and flatter the figures.
    for (let i = 0; i < WARMUP_PER_KIND * kinds.length; i++) once((kinds[i % kinds.length] as Kind).body);
    const samples = kinds.map(() => new Float64Array(ITERATIONS_PER_KIND));
    const deadline = Date.now() + TIME_LIMIT_MS;
    let done = 0;
    for (; done < ITERATIONS_PER_KIND && Date.now() < deadline; done++) {
      // Yield now and then, outside any timed region, so that Ctrl-C and SIGTERM are handled promptly.
      if (done % 1_000 === 0) await new Promise((resolve) => setImmediate(resolve));
      for (let k = 0; k < kinds.length; k++) {
        const body = (kinds[k] as Kind).body;
        const start = process.hrtime.bigint();
        once(body);
        (samples[k] as Float64Array)[done] = Number(process.hrtime.bigint() - start) / 1_000;
      }
    }
    return report(kinds, samples, done);
  } finally {
    await runtime.stop();
  }
}

interface Kind {
  kind: ReviewKind;
  body: JsonObject;
}

/** The request path of POST /validate after JSON.parse (validate-route.ts + state/admit.ts). */
function decideOnce(body: JsonObject, state: DesiredState, policy: Policy) {
  const parsed = parseReview(body);
  if (!parsed.ok) throw new Error(`decision: body rejected: ${parsed.error}`);
  const request = parsed.review.request;
  const lookup = state.lookup({ namespace: request.namespace ?? "", name: request.name ?? "" });
  return respond(request.uid, decide({ request, lookup, policy, namespaceTerminating: false }));
}

function report(kinds: readonly Kind[], samples: readonly Float64Array[], done: number): Row[] {
  const rows: Row[] = [];
  const lines: string[] = [];
  kinds.forEach(({ kind }, k) => {
    const values = sorted((samples[k] as Float64Array).subarray(0, done));
    const p50 = percentile(values, 50);
    const p99 = percentile(values, 99);
    const avg = mean(values);
    lines.push(
      `  ${kind.padEnd(12)} median ${p50.toFixed(1)} µs  p99 ${p99.toFixed(1)} µs  mean ${avg.toFixed(1)} µs`,
    );
    rows.push(below("decision", `${kind}: median`, p50, TARGET_MEDIAN_US, " µs"));
    rows.push(info("decision", `${kind}: p99`, `${p99.toFixed(1)} µs`));
    rows.push(info("decision", `${kind}: mean`, `${avg.toFixed(1)} µs`));
  });
  process.stdout.write(
    `decision: ${done} measured iterations per kind (after ${WARMUP_PER_KIND} warm-up each), kinds interleaved\n${lines.join("\n")}\n`,
  );
  if (done < ITERATIONS_PER_KIND)
    rows.push(info("decision", "stopped early (time limit)", `${done} iterations`));
  return rows;
}
