// `npm run fuzz -- [--count N] [--seed S] [--concurrency C] [--only OPERATOR] [--replay CASESEED]`: the full fuzz run
// against the real server, its table on stdout; exit status 1 when any answer failed the check.
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { checkAnswer } from "./check.js";
import { httpsClient } from "./client.js";
import { mutate } from "./mutate.js";
import { operatorNamed } from "./operators.js";
import { report } from "./report.js";
import { REQUEST_TIMEOUT_MS, runFuzz } from "./run.js";
import { loadSeeds } from "./seeds.js";
import { startTarget } from "./target.js";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "100000" },
    seed: { type: "string", default: "20261201" },
    concurrency: { type: "string", default: "4" },
    replay: { type: "string" },
    only: { type: "string" },
  },
});

const only = values.only === undefined ? undefined : [operatorNamed(values.only)];
const seeds = loadSeeds();
for (const line of seeds.skipped) console.warn(`skipped: ${line}`);
const target = await startTarget(seeds.gitFiles);
const client = httpsClient(target.url, target.ca, Number(values.concurrency));
let failed = false;
try {
  if (values.replay !== undefined) {
    // One case, its body and the answer in full: what a failure report needs.
    const fuzzCase = mutate(seeds.reviews, Number(values.replay), only);
    const sent = await client.post("/validate", fuzzCase.body, REQUEST_TIMEOUT_MS);
    const verdict = checkAnswer(sent, fuzzCase.uid);
    console.log(
      JSON.stringify({ ...fuzzCase, body: String(fuzzCase.body).slice(0, 4000), sent, verdict }, null, 2),
    );
    failed = !verdict.ok;
  } else {
    const load = loadavg()
      .map((n) => n.toFixed(2))
      .join(", ");
    const seed = Number(values.seed);
    const result = await runFuzz({
      seeds: seeds.reviews,
      client,
      count: Number(values.count),
      seed,
      concurrency: Number(values.concurrency),
      ...(only ? { only } : {}),
    });
    console.log(report(result, seed, seeds.reviews.length));
    console.log(
      `\nload average before: ${load}; after: ${loadavg()
        .map((n) => n.toFixed(2))
        .join(", ")}`,
    );
    failed = result.failures.length > 0 || result.stopped !== undefined;
  }
} finally {
  client.close();
  await target.stop();
}
process.exitCode = failed ? 1 : 0;
