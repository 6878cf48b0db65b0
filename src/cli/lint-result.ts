// What `driftguard lint` reports, built from the synced sources and printed as text or as one versioned
// JSON document. No I/O. Every FileState error counts the same, whatever made it (YAML that does not
// parse, a Deployment the schema check refuses, an app whose render failed): its file, line and message.
import type { Conflict } from "../admission/desired-state.js";
import type { Notice, ParseError, SourceRevision, SourceStatus } from "../sources/types.js";

export interface LintSource {
  name: string;
  /** Redacted. */
  url: string;
  commit: string;
  files: number;
  deployments: number;
  fileErrors: ParseError[];
  notices: Notice[];
}

export interface LintConflict {
  /** `namespace/name` */
  object: string;
  /** Where each claim comes from: `source "apps", commit 3f3f34e, file a.yaml`. */
  origins: string[];
}

export interface LintResult {
  apiVersion: "driftguard.io/v1alpha1";
  kind: "LintResult";
  /** The Kubernetes version whose Deployment schema the manifests were checked against. */
  schema: { kubernetesVersion: string };
  /** No file error and no conflict: notices alone leave it clean. */
  clean: boolean;
  sources: LintSource[];
  /** The same Deployment in two places with different content: its desired state is unknown. */
  conflicts: LintConflict[];
  summary: {
    sources: number;
    files: number;
    deployments: number;
    fileErrors: number;
    conflicts: number;
    notices: number;
  };
}

export interface LintInput {
  sources: readonly { status: SourceStatus; revision: SourceRevision | undefined }[];
  conflicts: readonly Conflict[];
  kubernetesVersion: string;
}

export function lintResult(input: LintInput): LintResult {
  const sources = input.sources.map(({ status, revision }) => lintSource(status, revision));
  const conflicts = input.conflicts.map((conflict) => ({
    object: conflict.key,
    origins: conflict.origins.map(
      (origin) => `source "${origin.source}", commit ${origin.commit.slice(0, 7)}, file ${origin.file}`,
    ),
  }));
  const sum = (pick: (source: LintSource) => number) =>
    sources.reduce((total, source) => total + pick(source), 0);
  const fileErrors = sum((source) => source.fileErrors.length);
  return {
    apiVersion: "driftguard.io/v1alpha1",
    kind: "LintResult",
    schema: { kubernetesVersion: input.kubernetesVersion },
    clean: fileErrors === 0 && conflicts.length === 0,
    sources,
    conflicts,
    summary: {
      sources: sources.length,
      files: sum((source) => source.files),
      deployments: sum((source) => source.deployments),
      fileErrors,
      conflicts: conflicts.length,
      notices: sum((source) => source.notices.length),
    },
  };
}

function lintSource(status: SourceStatus, revision: SourceRevision | undefined): LintSource {
  let deployments = 0;
  for (const state of revision?.files.values() ?? []) deployments += state.docs.length;
  const byPlace = (
    a: { file: string; line?: number | undefined },
    b: { file: string; line?: number | undefined },
  ) => a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0);
  return {
    name: status.name,
    url: status.url,
    commit: revision?.commit ?? "",
    files: revision?.files.size ?? 0,
    deployments,
    // An app that does not render counts like a file that does not parse: its folder is the place.
    fileErrors: [
      ...status.fileErrors.map(({ file, line, message }) => ({ file, line, message })),
      ...status.apps.flatMap((app) =>
        app.error === undefined ? [] : [{ file: app.path, line: undefined, message: app.error }],
      ),
    ].sort(byPlace),
    notices: status.notices.map(({ file, message }) => ({ file, message })).sort(byPlace),
  };
}

/**
 * One line per problem, compiler style (`file:line: error: message`), under a heading per source, then a
 * summary line.
 */
export function formatLintText(result: LintResult): string {
  const lines: string[] = [];
  for (const source of result.sources) {
    lines.push(
      `source "${source.name}" (${source.url}, commit ${source.commit.slice(0, 7)}): ` +
        `${source.files} file(s), ${source.deployments} Deployment(s)`,
    );
    for (const error of source.fileErrors) {
      const where = error.line === undefined ? error.file : `${error.file}:${error.line}`;
      lines.push(`  ${where}: error: ${error.message}`);
    }
    for (const notice of source.notices) lines.push(`  ${notice.file}: notice: ${notice.message}`);
  }
  for (const conflict of result.conflicts) {
    lines.push(`conflict: Deployment ${conflict.object} differs between ${conflict.origins.join(" and ")}`);
  }
  const { fileErrors, conflicts, notices } = result.summary;
  const verdict = result.clean ? "clean" : `${fileErrors} file error(s), ${conflicts} conflict(s)`;
  lines.push(
    `${verdict}; ${notices} notice(s). Deployments checked against the Kubernetes ${result.schema.kubernetesVersion} schema.`,
  );
  return `${lines.join("\n")}\n`;
}
