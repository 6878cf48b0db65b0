#!/usr/bin/env node
// driftguard's command line: `serve`, `check`, `diff`, `plan`, `apply`, `replay`, `lint`, `render`,
// `history`, `propose`, `certs`. Errors go to stderr (what, where, what to do) and exit with the status
// report-error.ts maps their code to (2);
// `check`, `diff`, `replay` and `lint` exit 1 for a denial, drift, a would-be denial or problems, which
// is an answer, not an error.
import { runApply } from "./apply.js";
import { runCerts } from "./certs.js";
import { runCheck } from "./check.js";
import { runDiff } from "./diff.js";
import { CliError } from "./errors.js";
import { runHistory } from "./history.js";
import { runLint } from "./lint.js";
import { runPlan } from "./plan.js";
import { runPropose } from "./propose.js";
import { runRender } from "./render.js";
import { runReplay } from "./replay.js";
import { exitStatusFor, formatError } from "./report-error.js";
import { runServe } from "./serve.js";

const USAGE = `driftguard — stop Deployment drift from Git before it lands

Usage:
  driftguard serve [--config FILE]                   run the HTTPS admission webhook (no config: built-in demo)
  driftguard check --config FILE [--rbac DIR] [REVIEW.json | -]   decide one AdmissionReview offline; exit 0 allowed, 1 denied, 2 error
  driftguard diff  --config FILE [LIVE.yaml | -]     drift of live Deployments from Git; exit 0 none, 1 drift, 2 error
  driftguard diff  --config FILE --cluster [--namespace NS] [-o text|json]   the same, read from the cluster, as a plan
  driftguard plan  --config FILE [--namespace NS] [--name N] [-o text|json]   what apply would put back (json: a RevertPlan)
  driftguard apply --config FILE [--plan FILE] [--yes] [--dry-run]   put Git's state back (dry-run first, refused if changed since the plan); exit 0 all reverted, 1 some refused or failed, 2 error
  driftguard replay --config FILE --audit-log FILE [--rbac DIR] [-o text|json]   what enforce would have denied in an audit log
  driftguard lint  --config FILE [-o json]           every source's file errors (parse, schema), conflicts and notices; exit 0 clean, 1 problems, 2 error
  driftguard render --config FILE [--app PATH] [-o yaml|json]   what driftguard compares against for each Kustomize/Helm app
  driftguard history [--namespace NS] [--name N] [--user U] [--since 24h] [-o text|json] [--state-dir DIR]   who tried what: the recorded decisions of every replica
  driftguard propose --config FILE [REVIEW.json | -] [--branch] [-o diff|json]   the Git change that makes Git say what a review asked; exit 0 proposed, 1 none possible, 2 error
  driftguard certs --out DIR --dns NAME [--dns NAME...] [--ip IP...]   make a CA and a serving certificate

Run \`driftguard COMMAND --help\` for a command's options.`;

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  serve: runServe,
  check: runCheck,
  diff: runDiff,
  plan: runPlan,
  apply: runApply,
  lint: runLint,
  render: runRender,
  propose: runPropose,
  replay: runReplay,
  history: (args) => runHistory(args),
  certs: runCerts,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  const run = COMMANDS[command];
  if (!run)
    throw new CliError(`unknown command "${command}"`, "run `driftguard --help` for the list of commands");
  return run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(formatError(error));
    process.exitCode = exitStatusFor(error);
  },
);
