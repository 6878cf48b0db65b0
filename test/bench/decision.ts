// Part 2: the decision alone, in-process, without HTTP. Times exactly what POST /validate does after
// JSON.parse: the schema check (parseReview), then the admission service as serve runs it (lookup,
// decide, respond, metrics): the same function, with whatever it keeps between requests.

import pino from "pino";
import { loadConfig } from "../../src/config/load-config.js";
import type { AdmissionResponse } from "../../src/core/admission.js";
import type { JsonObject } from "../../src/core/types.js";
import { parseReview } from "../../src/http/review-schema.js";
import type { AdmissionHandler } from "../../src/http/types.js";
import { createRuntime } from "../../src/runtime.js";
import { createFixture } from "./fixture.js";
import { below, info, type Row, rowLine } from "./report.js";
import { checkAnswer, type ReviewKind } from "./reviews.js";
import { mean, percentile, sorted } from "./stats.js";

const WARMUP_PER_KIND = 2_000;
const ITERATIONS_PER_KIND = 10_000;
/** Bound on the measured loop, should driftguard become very slow. */
const TIME_LIMIT_MS = 120_000;
/** A quiet allow must cost next to nothing; an answer with messages may cost more. */
const TARGET_MEDIAN_US: Record<ReviewKind, number> = { "no-op": 50, "audit-drift": 100, denied: 100 };
const TARGET_P99_US = 200;

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
    const once = (body: JsonObject) => decideOnce(body, runtime.admit);
    const kinds = kindsOf(fixture.set.reviews);
    for (const { kind, text } of kinds) {
      const problem = checkAnswer(kind, await once(JSON.parse(text)));
      if (problem) throw new Error(`decision: review "${kind}": ${problem}`);
    }
    return await measure(kinds, once);
  } finally {
    await runtime.stop();
  }
}

interface Kind {
  kind: ReviewKind;
  /** The kind, and "new version" when every request brings a resourceVersion never seen before. */
  label: string;
  text: string;
  fresh: boolean;
}

/**
 * Each review twice: as sent again (a retry, a repeated no-op: the admission service may reuse what it
 * computed for the same stored object) and as a version never seen before (nothing to reuse: the cost
 * of the first sight of every object).
 */
function kindsOf(reviews: readonly { kind: ReviewKind; text: string }[]): Kind[] {
  return reviews.flatMap(({ kind, text }) => [
    { kind, label: kind, text, fresh: false },
    { kind, label: `${kind} (new version)`, text, fresh: true },
  ]);
}

let versions = 0;

/**
 * A body parsed afresh, as every request is; for a fresh kind, a version not seen yet: a new
 * resourceVersion and a new `deployment.kubernetes.io/revision` (what a rollout changes; ignored by the
 * comparison, so the answer stays the kind's) on both objects: nothing a cache could reuse.
 */
function bodyOf({ text, fresh }: Kind): JsonObject {
  const body = JSON.parse(text) as { request: Record<string, { metadata: JsonObject }> };
  if (fresh) {
    const version = `bench-${++versions}`;
    for (const role of ["object", "oldObject"]) {
      const metadata = body.request[role]!.metadata;
      metadata.resourceVersion = version;
      metadata.annotations = {
        ...(metadata.annotations as JsonObject),
        "deployment.kubernetes.io/revision": version,
      };
    }
  }
  return body as unknown as JsonObject;
}

async function measure(kinds: readonly Kind[], once: (body: JsonObject) => Promise<unknown>) {
  // Kinds are interleaved, warm-up included, as a webhook sees them: a loop over one kind alone
  // would let the JIT specialize on one shape of object and flatter the figures.
  for (let i = 0; i < WARMUP_PER_KIND * kinds.length; i++)
    await once(bodyOf(kinds[i % kinds.length] as Kind));
  const samples = kinds.map(() => new Float64Array(ITERATIONS_PER_KIND));
  const cpuUs = kinds.map(() => 0);
  const deadline = Date.now() + TIME_LIMIT_MS;
  let done = 0;
  for (; done < ITERATIONS_PER_KIND && Date.now() < deadline; done++) {
    // Yield now and then, outside any timed region, so that Ctrl-C and SIGTERM are handled promptly.
    if (done % 1_000 === 0) await new Promise((resolve) => setImmediate(resolve));
    for (const [k, kind] of kinds.entries()) {
      const body = bodyOf(kind);
      const cpu = process.cpuUsage();
      const start = process.hrtime.bigint();
      await once(body);
      (samples[k] as Float64Array)[done] = Number(process.hrtime.bigint() - start) / 1_000;
      const used = process.cpuUsage(cpu);
      cpuUs[k] = (cpuUs[k] as number) + used.user + used.system;
    }
  }
  return report(kinds, samples, done, cpuUs);
}

/** The request path of POST /validate after JSON.parse (validate-route.ts + state/admit.ts). */
function decideOnce(body: JsonObject, admit: AdmissionHandler): Promise<AdmissionResponse> {
  const parsed = parseReview(body);
  if (!parsed.ok) throw new Error(`decision: body rejected: ${parsed.error}`);
  return admit(parsed.review.request);
}

function report(kinds: readonly Kind[], samples: readonly Float64Array[], done: number, cpuUs: number[]) {
  const rows: Row[] = [];
  for (const [k, { kind, label }] of kinds.entries()) {
    const values = sorted((samples[k] as Float64Array).subarray(0, done));
    rows.push(below("decision", `${label}: median`, percentile(values, 50), TARGET_MEDIAN_US[kind], " µs"));
    rows.push(below("decision", `${label}: p99`, percentile(values, 99), TARGET_P99_US, " µs"));
    rows.push(info("decision", `${label}: mean`, `${mean(values).toFixed(1)} µs`));
  }
  // CPU time is what other tenants of a shared machine disturb least: the figure to compare across runs.
  for (const fresh of [false, true]) {
    const chosen = kinds.flatMap((kind, k) => (kind.fresh === fresh ? [cpuUs[k] as number] : []));
    const perDecision = chosen.reduce((sum, us) => sum + us, 0) / (chosen.length * done);
    const which = fresh ? "new versions" : "reviews sent again";
    rows.push(info("decision", `CPU per decision, ${which} (mean)`, `${perDecision.toFixed(1)} µs`));
  }
  process.stdout.write(
    `decision: ${done} measured iterations per kind (after ${WARMUP_PER_KIND} warm-up each), kinds interleaved\n` +
      `${rows.map((row) => `  ${rowLine(row)}`).join("\n")}\n`,
  );
  if (done < ITERATIONS_PER_KIND)
    rows.push(info("decision", "stopped early (time limit)", `${done} iterations`));
  return rows;
}
