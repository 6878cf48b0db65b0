// The report of `driftguard replay`: what enforce mode would have denied in an audit log, per user,
// namespace and field group, with counts, first and last times and a few examples. Versioned JSON
// (apiVersion driftguard.io/v1alpha1, kind ReplayReport; docs/contract.md §7) and its text, both built
// here from one tally. Pure. Examples name paths only, never values: no secret can reach the report.
import type { EventFacts } from "./audit-replay.js";
import type { ReportGroup } from "./live-drift.js";

export const REPLAY_REPORT_API_VERSION = "driftguard.io/v1alpha1";
export const REPLAY_REPORT_KIND = "ReplayReport";

/** Examples kept per group and bad lines kept in all: a huge log gives a report of bounded size. */
export const MAX_EXAMPLES = 3;
export const MAX_BAD_LINES = 20;

export interface ReplayExample {
  object: string;
  verb: string;
  subresource?: string;
  time: string;
  auditID: string;
  fields: string[];
}

export interface ReplayGroup {
  user: string;
  namespace: string;
  group: ReportGroup;
  /** Requests with a field of this group (a request with two groups counts in both). */
  count: number;
  firstTime: string;
  lastTime: string;
  examples: ReplayExample[];
}

export interface NotJudged {
  reason: string;
  count: number;
  examples: ReplayExample[];
}

export interface ReplayReport {
  apiVersion: typeof REPLAY_REPORT_API_VERSION;
  kind: typeof REPLAY_REPORT_KIND;
  generatedAt: string;
  /** What the replay assumed, since an audit log does not record it. */
  assumptions: { desiredState: string; rbac: string };
  input: {
    file: string;
    lines: number;
    /** Writes of Deployments (and deployments/scale) read from the log. */
    writes: number;
    skipped: Record<string, number>;
    badLines: number;
    /** The first MAX_BAD_LINES bad lines: 1-based number and why. */
    bad: { line: number; message: string }[];
  };
  summary: {
    /** Requests that went through and that enforce mode would have denied. */
    wouldDeny: number;
    /** Requests that went through and enforce mode would have let through too. */
    wouldAllow: number;
    notJudged: number;
    /** Requests the API server refused at the time; `byDriftguard` of them by driftguard's webhook. */
    deniedAtTime: number;
    deniedByDriftguard: number;
  };
  wouldDeny: ReplayGroup[];
  /** Denied by driftguard at the time, grouped alike (groups from its `violations` audit annotation). */
  deniedAtTime: ReplayGroup[];
  /** Denied at the time by something else (another webhook, RBAC, validation): counts per code. */
  deniedByOthers: Record<string, number>;
  notJudged: NotJudged[];
}

export interface JudgedField {
  path: string;
  group: ReportGroup;
}

export class ReplayTally {
  private lines = 0;
  private writes = 0;
  private readonly skipped: Record<string, number> = {};
  private readonly bad: { line: number; message: string }[] = [];
  private badLines = 0;
  private wouldAllow = 0;
  private readonly wouldDeny = new GroupTable();
  private wouldDenyRequests = 0;
  private readonly deniedTable = new GroupTable();
  private deniedAtTime = 0;
  private deniedByDriftguard = 0;
  private readonly deniedByOthers: Record<string, number> = {};
  private readonly notJudged = new Map<string, NotJudged>();
  private notJudgedCount = 0;

  line(): void {
    this.lines++;
  }

  skip(reason: string): void {
    this.skipped[reason] = (this.skipped[reason] ?? 0) + 1;
  }

  badLine(line: number, message: string): void {
    this.badLines++;
    if (this.bad.length < MAX_BAD_LINES) this.bad.push({ line, message });
  }

  judged(event: EventFacts, denied: readonly JudgedField[] | undefined): void {
    this.writes++;
    if (denied === undefined) {
      this.wouldAllow++;
      return;
    }
    this.wouldDenyRequests++;
    this.wouldDeny.add(event, denied);
  }

  deniedThen(event: EventFacts, byDriftguard: boolean, code: number, fields: readonly JudgedField[]): void {
    this.writes++;
    this.deniedAtTime++;
    if (!byDriftguard) {
      this.deniedByOthers[String(code)] = (this.deniedByOthers[String(code)] ?? 0) + 1;
      return;
    }
    this.deniedByDriftguard++;
    this.deniedTable.add(event, fields.length > 0 ? fields : [{ path: "(not named)", group: "other" }]);
  }

  unjudged(event: EventFacts, reason: string): void {
    this.writes++;
    this.notJudgedCount++;
    const entry = this.notJudged.get(reason) ?? { reason, count: 0, examples: [] };
    this.notJudged.set(reason, entry);
    entry.count++;
    if (entry.examples.length < MAX_EXAMPLES) entry.examples.push(exampleOf(event, []));
  }

  report(file: string, assumptions: ReplayReport["assumptions"], now: Date): ReplayReport {
    return {
      apiVersion: REPLAY_REPORT_API_VERSION,
      kind: REPLAY_REPORT_KIND,
      generatedAt: now.toISOString(),
      assumptions,
      input: {
        file,
        lines: this.lines,
        writes: this.writes,
        skipped: { ...this.skipped },
        badLines: this.badLines,
        bad: [...this.bad],
      },
      summary: {
        wouldDeny: this.wouldDenyRequests,
        wouldAllow: this.wouldAllow,
        notJudged: this.notJudgedCount,
        deniedAtTime: this.deniedAtTime,
        deniedByDriftguard: this.deniedByDriftguard,
      },
      wouldDeny: this.wouldDeny.groups(),
      deniedAtTime: this.deniedTable.groups(),
      deniedByOthers: { ...this.deniedByOthers },
      notJudged: [...this.notJudged.values()],
    };
  }
}

class GroupTable {
  private readonly table = new Map<string, ReplayGroup>();

  add(event: EventFacts, fields: readonly JudgedField[]): void {
    const byGroup = new Map<ReportGroup, string[]>();
    for (const field of fields) byGroup.set(field.group, [...(byGroup.get(field.group) ?? []), field.path]);
    for (const [group, paths] of byGroup) {
      const key = JSON.stringify([event.user, event.namespace, group]);
      let entry = this.table.get(key);
      if (entry === undefined) {
        entry = {
          user: event.user,
          namespace: event.namespace,
          group,
          count: 0,
          firstTime: event.time,
          lastTime: event.time,
          examples: [],
        };
        this.table.set(key, entry);
      }
      entry.count++;
      // Logs are in time order per API server; several servers' logs concatenated need not be.
      if (event.time < entry.firstTime) entry.firstTime = event.time;
      if (event.time > entry.lastTime) entry.lastTime = event.time;
      if (entry.examples.length < MAX_EXAMPLES) entry.examples.push(exampleOf(event, paths));
    }
  }

  groups(): ReplayGroup[] {
    return [...this.table.values()].sort(
      (a, b) =>
        compareText(a.user, b.user) || compareText(a.namespace, b.namespace) || compareText(a.group, b.group),
    );
  }
}

function exampleOf(event: EventFacts, fields: string[]): ReplayExample {
  const example: ReplayExample = {
    object: `${event.namespace}/${event.name}`,
    verb: event.verb,
    time: event.time,
    auditID: event.auditID,
    fields,
  };
  if (event.subresource !== undefined) example.subresource = event.subresource;
  return example;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The report as text, newline-terminated. */
export function replayText(report: ReplayReport): string {
  const { input, summary } = report;
  const skipped = Object.entries(input.skipped)
    .map(([reason, count]) => `${reason} ${count}`)
    .join(", ");
  const lines = [
    "driftguard replay: what enforce mode would have denied",
    `Audit log: ${input.file}: ${input.lines} line(s), ${input.writes} write(s) of Deployments` +
      (skipped === "" ? "" : `; skipped: ${skipped}`),
    `Desired state: ${report.assumptions.desiredState}`,
    `RBAC grants: ${report.assumptions.rbac}`,
    "",
    `Would be denied in enforce mode: ${summary.wouldDeny} request(s) (${summary.wouldAllow} would pass)`,
    ...groupLines(report.wouldDeny),
  ];
  lines.push(
    "",
    `Denied at the time: ${summary.deniedAtTime} request(s), ${summary.deniedByDriftguard} by driftguard`,
    ...groupLines(report.deniedAtTime),
  );
  for (const [code, count] of Object.entries(report.deniedByOthers))
    lines.push(`  by something else (HTTP ${code}): ${count}`);
  if (summary.notJudged > 0) {
    lines.push("", `Not judged: ${summary.notJudged} request(s)`);
    for (const entry of report.notJudged)
      lines.push(`  ${entry.count} × ${entry.reason}`, ...entry.examples.map((e) => `    ${exampleText(e)}`));
  }
  if (input.badLines > 0) {
    lines.push("", `Bad lines: ${input.badLines}`);
    for (const bad of input.bad) lines.push(`  line ${bad.line}: ${bad.message}`);
    if (input.badLines > input.bad.length) lines.push(`  and ${input.badLines - input.bad.length} more`);
  }
  return `${lines.join("\n")}\n`;
}

function groupLines(groups: readonly ReplayGroup[]): string[] {
  return groups.flatMap((group) => [
    `  ${group.user || "(no user)"} in ${group.namespace}, ${group.group}: ${group.count} request(s), ${group.firstTime} … ${group.lastTime}`,
    ...group.examples.map((example) => `    ${exampleText(example)}`),
  ]);
}

function exampleText(example: ReplayExample): string {
  const verb = example.subresource === undefined ? example.verb : `${example.verb} ${example.subresource}`;
  const fields = example.fields.length === 0 ? "" : `: ${example.fields.join(", ")}`;
  return `${example.time} ${verb} ${example.object}${fields}`;
}
