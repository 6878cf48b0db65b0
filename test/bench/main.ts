// `npm run bench`: the benchmarks of driftguard and one final table of figures and targets.
//   --only load|decision|git|rbac|render|scan   run one part (repeatable, or comma-separated)
//   scan: BENCH_SCAN_DEPLOYMENTS=N (default 5000), BENCH_SCAN_SECONDS=S (load per run, default 10)
//   BENCH_QUICK=1              load runs of 3 s × 1 instead of 15 s × 3 (smoke check)
// A missed target is printed as MISS and never fails the process: exit 1 only when something broke.

import { installCleanupHandlers, runCleanup } from "./cleanup.js";
import { runDecision } from "./decision.js";
import { run } from "./exec.js";
import { runGitScale } from "./git-scale.js";
import { runLoad } from "./load.js";
import { REPO_ROOT } from "./paths.js";
import { runRbac } from "./rbac.js";
import { runRender } from "./render.js";
import { info, loadAverage, printRows, type Row } from "./report.js";
import { runScan } from "./scan.js";

const PARTS = ["load", "decision", "git", "rbac", "render", "scan"] as const;
/** Parts that run the built CLI, as deployed: dist/ is built from the current sources first, once. */
const NEEDS_DIST: readonly Part[] = ["load", "git", "render", "scan"];
type Part = (typeof PARTS)[number];

function selectedParts(argv: readonly string[]): Part[] {
  const chosen: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--only") chosen.push(...(argv[++i] ?? "").split(","));
    else if (arg.startsWith("--only=")) chosen.push(...arg.slice("--only=".length).split(","));
    else throw new Error(`unknown argument "${arg}" (use --only ${PARTS.join("|")})`);
  }
  for (const part of chosen) {
    if (!(PARTS as readonly string[]).includes(part))
      throw new Error(`--only: unknown part "${part}" (${PARTS.join("|")})`);
  }
  return chosen.length === 0 ? [...PARTS] : PARTS.filter((part) => chosen.includes(part));
}

const log = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  installCleanupHandlers();
  const parts = selectedParts(process.argv.slice(2));
  const quick = process.env.BENCH_QUICK === "1";
  log(`driftguard bench: ${parts.join(", ")}${quick ? " (BENCH_QUICK=1: smoke check)" : ""}`);
  const rows: Row[] = [];
  let failed = false;
  let built = false;
  for (const part of parts) {
    log(`\n== ${part} ==`);
    const started = Date.now();
    const loadAtStart = loadAverage();
    log(`${part}: load average at start ${loadAtStart}`);
    rows.push(info(part, "load average at start", loadAtStart));
    try {
      if (NEEDS_DIST.includes(part) && !built) {
        log(`${part}: building dist (npm run build)`);
        await run("npm", ["run", "--silent", "build"], { cwd: REPO_ROOT, timeoutMs: 300_000 });
        built = true;
      }
      if (part === "load") rows.push(...(await runLoad(log)));
      else if (part === "decision") rows.push(...(await runDecision()));
      else if (part === "rbac") rows.push(...(await runRbac()));
      else if (part === "render") rows.push(...(await runRender(log)));
      else if (part === "scan") rows.push(...(await runScan(log)));
      else rows.push(...(await runGitScale(log)));
    } catch (error) {
      failed = true;
      log(`${part}: ERROR ${error instanceof Error ? error.message : String(error)}`);
      rows.push({ part, metric: "error", value: "see above", target: "", status: "ERROR" });
    }
    const loadAtEnd = loadAverage();
    log(`${part}: load average at end ${loadAtEnd}`);
    rows.push(info(part, "load average at end", loadAtEnd));
    log(`${part}: done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  printRows("== driftguard bench: results ==", rows);
  const missed = rows.filter((row) => row.status === "MISS").length;
  const verdict =
    missed === 0 ? "all targets met" : `${missed} figure(s) missed their target (reported, not failing)`;
  // A part that broke measured nothing: never report "all targets met" for it.
  log(`\n${failed ? `a part failed (see ERROR above); ${verdict} among the rest` : verdict}`);
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    runCleanup();
    process.exitCode = code;
  },
  (error: unknown) => {
    runCleanup();
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
