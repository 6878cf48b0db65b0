// `driftguard replay`: a preview of enforce mode. Reads a kube-apiserver audit log line by line, turns
// each write of a Deployment into the admission request the webhook would have had (src/core/audit-replay.ts),
// decides it with the config's policy on Git synced once, and reports what enforce would have denied.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { ClusterParts } from "../admission/contract.js";
import { isGitOpsMiss } from "../admission/history-hook.js";
import type { AdmissionRequest } from "../core/admission.js";
import { type AuditItem, AuditReader, groupOfPrintedPath } from "../core/audit-replay.js";
import { decide, ignoredDecision } from "../core/decide.js";
import type { Decision } from "../core/decision.js";
import { reportGroupOf } from "../core/live-drift.js";
import type { Policy } from "../core/policy.js";
import { type JudgedField, ReplayTally, replayText } from "../core/replay-report.js";
import { subjectOf } from "../core/subject.js";
import { DriftguardError, describeFileError } from "../errors.js";
import type { Runtime } from "../runtime.js";
import { parse } from "./args.js";
import { rbacFrom } from "./check.js";
import { CliError } from "./errors.js";
import { withSyncedRuntime } from "./synced-runtime.js";

const HELP = `driftguard replay --config FILE --audit-log FILE [--rbac DIR] [-o text|json]

A preview of enforce mode: reads a kube-apiserver audit log (JSON lines, audit.k8s.io/v1) and reports
which writes of Deployments (create, update, patch, delete; deployments/scale too) enforce mode would
have denied, per user, namespace and field group: counts, first and last time, up to 3 examples.
Namespaces in mode off are left out; audit-mode namespaces are judged as enforce would judge them.

What the log must hold: deployments and deployments/scale at level RequestResponse (the object as
stored after each write). Requests logged at Request level are judged when they carry a full object
(create, update); a patch without its result is reported as not judged, never guessed. The state before
a write is the one stored by an earlier write in the log; dry-run requests are skipped. Requests the
API server refused at the time are listed apart ("denied at the time", by driftguard or not).

Assumed, since a log does not record them: Git's desired state is the sources' current commit (not
the one of each event's time); RBAC grants of verb override come from --rbac DIR (as in check), else
none. The report's header says both.

--audit-log FILE  the audit log (--audit-log-path of kube-apiserver); read line by line, a bad line is
                  counted with its number, never fatal.
--rbac DIR        RBAC objects as for \`driftguard check --rbac\`.
-o, --output      text (default) or json: a versioned ReplayReport (apiVersion driftguard.io/v1alpha1,
                  kind ReplayReport; docs/contract.md §7).
Exit status: 0 nothing would be denied, 1 something would, 2 error.`;

const OPTIONS = {
  config: { type: "string", short: "c" },
  "audit-log": { type: "string" },
  rbac: { type: "string" },
  output: { type: "string", short: "o" },
} as const;

export async function runReplay(args: string[]): Promise<number> {
  const parsed = parse(args, OPTIONS, HELP);
  if (!parsed) return 0;
  const { values } = parsed;
  const output = values.output ?? "text";
  if (output !== "text" && output !== "json")
    throw new CliError(`-o ${output}: not an output format`, "give -o text or -o json");
  const file = values["audit-log"];
  if (file === undefined)
    throw new CliError("--audit-log FILE is required", "give the API server's audit log");
  await checkReadable(file);
  const cluster = values.rbac === undefined ? undefined : await rbacFrom(values.rbac);
  return withSyncedRuntime(
    values.config,
    async (runtime, config) => {
      const tally = new ReplayTally();
      await replayFile(file, { runtime, policy: config.policy, cluster }, tally);
      const report = tally.report(file, assumptionsOf(runtime, values.rbac), new Date());
      process.stdout.write(output === "json" ? `${JSON.stringify(report, null, 2)}\n` : replayText(report));
      return report.summary.wouldDeny > 0 ? 1 : 0;
    },
    cluster,
  );
}

async function checkReadable(file: string): Promise<void> {
  let isFile: boolean;
  try {
    isFile = (await stat(file)).isFile();
  } catch (error) {
    throw unreadable(file, `cannot read the audit log: ${describeFileError(error)}`, error);
  }
  if (!isFile) throw unreadable(file, "cannot read the audit log: not a regular file");
}

function unreadable(file: string, message: string, cause?: unknown): DriftguardError {
  return new DriftguardError("DG_AUDIT_LOG_UNREADABLE", message, {
    where: file,
    hint: "give the file kube-apiserver writes with --audit-log-path (a log being rotated may have moved)",
    cause,
  });
}

/** What every replayed request is decided with. */
interface Judge {
  runtime: Runtime;
  policy: Policy;
  cluster: ClusterParts | undefined;
}

async function replayFile(file: string, judge: Judge, tally: ReplayTally): Promise<void> {
  const reader = new AuditReader();
  const stream = createReadStream(file, { encoding: "utf8" });
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let number = 0;
  try {
    for await (const line of lines) {
      number++;
      tally.line();
      await tallyItem(reader.read(line), number, judge, tally);
    }
  } catch (error) {
    // Only the file can fail here: reading lines and deciding them never throws (AuditReader, decide).
    if (error instanceof DriftguardError) throw error;
    throw unreadable(
      file,
      `reading the audit log failed after line ${number}: ${describeFileError(error)}`,
      error,
    );
  }
}

async function tallyItem(item: AuditItem, line: number, judge: Judge, tally: ReplayTally): Promise<void> {
  switch (item.kind) {
    case "skipped":
      if (item.reason !== "blank line") tally.skip(item.reason);
      return;
    case "bad":
      tally.badLine(line, item.message);
      return;
    case "not-judged":
      tally.unjudged(item.event, item.reason);
      return;
    case "denied-at-time": {
      const fields = item.paths.map((path) => ({ path, group: groupOfPrintedPath(path) }));
      tally.deniedThen(item.event, item.byDriftguard, item.code, fields);
      return;
    }
    case "request": {
      const decision = await decideReplayed(item.request, judge);
      tally.judged(item.event, deniedFields(decision));
      return;
    }
  }
}

/** As admit decides, without its on-demand fetch: Git stays at the commit the replay started on. */
async function decideReplayed(request: AdmissionRequest, judge: Judge): Promise<Decision> {
  const { runtime, cluster } = judge;
  const subject = subjectOf(request);
  // The reader makes requests for Deployments only; anything else is not judged, as admission says.
  if (typeof subject === "string") return ignoredDecision(subject);
  const decideNow = () =>
    decide({
      request,
      subject,
      lookup: runtime.state.lookup(subject.key),
      policy: judge.policy,
      // Whether a namespace was being deleted then is not in the log: its deletes are judged as any.
      namespaceTerminating: false,
      grant: cluster?.view.grantsFor(subject.requester, subject.key),
    });
  const decision = decideNow();
  // A GitOps identity applying an older commit (a rollback): read the object's history, as admit does.
  if (!isGitOpsMiss(decision)) return decision;
  await runtime.state.loadHistory(subject.key);
  return decideNow();
}

/**
 * The fields enforce mode would deny for, or undefined when it would let the request through.
 * wouldDenyInEnforce is the verdict's own answer for every mode but off, so the policy needs no change.
 */
function deniedFields(decision: Decision): JudgedField[] | undefined {
  const { verdict } = decision;
  if (!verdict.wouldDenyInEnforce || verdict.mode === undefined || verdict.mode === "off") return undefined;
  switch (decision.kind) {
    case "judged":
      return decision.violations.map((drift) => ({ path: drift.path, group: reportGroupOf(drift) }));
    case "unmanaged":
      return [{ path: "(not in Git: unmanaged: deny)", group: "other" }];
    case "unknown":
      return [{ path: `(desired state unknown: ${decision.reason})`, group: "other" }];
    default:
      return [{ path: `(${verdict.reason})`, group: "other" }];
  }
}

function assumptionsOf(runtime: Runtime, rbac: string | undefined) {
  const commits = runtime.sources
    .map((source) => {
      const commit = source.current()?.commit;
      return `source "${source.name}" at ${commit === undefined ? "(not synced)" : commit.slice(0, 7)}`;
    })
    .join(", ");
  return {
    desiredState: `Git as it is now, not as it was at each event's time: ${commits}`,
    rbac:
      rbac === undefined
        ? "none (no --rbac): every RBAC override grant of that time counts as missing"
        : `from ${rbac}, as they are now`,
  };
}
