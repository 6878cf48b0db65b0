// Logs what changed between two revisions: each file error and notice once, when it appears,
// not on every poll. Capped, so that a repository-wide breakage is a few lines, not thousands.
import type { Logger } from "pino";
import { redactText } from "./redact.js";
import type { Notice, ParseError, SourceRevision } from "./types.js";

const MAX_LINES = 20;

export function logRevisionChanges(
  logger: Logger,
  previous: SourceRevision | undefined,
  next: SourceRevision,
): void {
  const oldErrors = new Set(errorsOf(previous).map(errorKey));
  const newErrors = errorsOf(next).filter((error) => !oldErrors.has(errorKey(error)));
  for (const error of newErrors.slice(0, MAX_LINES)) {
    const { file, line, message } = error;
    // What still serves for the file: its last good commit, or nothing when it never parsed.
    const state = next.files.get(file);
    const servingFrom = state?.goodCommit || "nothing";
    const reason = redactText(message);
    if (state?.app !== undefined) {
      const tool = state.app.type;
      logger.warn({ app: file, tool, reason, commit: next.commit, servingFrom }, "app does not render");
      continue;
    }
    logger.warn({ file, line, reason, commit: next.commit, servingFrom }, "file does not parse");
  }
  logOverflow(logger, newErrors.length, "file errors");
  const oldNotices = new Set((previous?.notices ?? []).map(noticeKey));
  const newNotices = next.notices.filter((notice) => !oldNotices.has(noticeKey(notice)));
  for (const { file, message } of newNotices.slice(0, MAX_LINES)) {
    logger.info({ file, notice: redactText(message) }, "manifest notice");
  }
  logOverflow(logger, newNotices.length, "notices");
}

export function errorsOf(revision: SourceRevision | undefined): ParseError[] {
  const errors: ParseError[] = [];
  for (const state of revision?.files.values() ?? []) if (state.error !== undefined) errors.push(state.error);
  return errors;
}

function logOverflow(logger: Logger, count: number, what: string): void {
  if (count > MAX_LINES) logger.warn({ more: count - MAX_LINES }, `more new ${what} not logged one by one`);
}

function errorKey(error: ParseError): string {
  return `${error.file}\n${error.line ?? ""}\n${error.message}`;
}

function noticeKey(notice: Notice): string {
  return `${notice.file}\n${notice.message}`;
}
