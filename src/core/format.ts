// Text helpers for answers: values cut short, secrets never echoed, warnings the API server accepts.
import { DELETED_PATH } from "./field-groups.js";
import type { Drift, Json, Origin } from "./types.js";

const VALUE_LIMIT = 80;
/** The API server drops warnings with control characters and cuts them to 256 runes past 4096 in all. */
const WARNING_LIMIT = 255;
const WARNINGS_TOTAL = 4000;

export function formatValue(value: Json | undefined, sensitive: boolean): string {
  if (value === undefined) return "(absent)";
  if (sensitive) return "<changed>";
  return cut(JSON.stringify(value), VALUE_LIMIT);
}

export function cut(text: string, limit: number): string {
  const chars = Array.from(text);
  return chars.length <= limit ? text : `${chars.slice(0, limit - 1).join("")}…`;
}

/** `path: Git "a", request "b"`. */
export function describeDrift(drift: Drift, actualLabel = "request"): string {
  if (drift.path === DELETED_PATH) return "deleted: Git still holds this Deployment";
  // Neither side is echoed: even Git's value of an env var can be a credential.
  if (drift.sensitive) return `${drift.path}: <changed> (values not shown)`;
  const desired = formatValue(drift.desired, drift.sensitive);
  const actual = formatValue(drift.actual, drift.sensitive);
  return `${drift.path}: Git ${desired}, ${actualLabel} ${actual}`;
}

export function describeOrigin(origin: Origin): string {
  const head = `source "${origin.source}", commit ${origin.commit.slice(0, 7)}`;
  const { app } = origin;
  if (app === undefined) return `${head}, file ${origin.file}`;
  const from = app.renderedFrom === undefined ? "" : ` (from ${app.renderedFrom})`;
  const failed =
    app.failedAt === undefined
      ? ""
      : `; its render failed at commit ${app.failedAt.commit.slice(0, 7)}, so the last good render is used`;
  return `${head}, ${app.type} app ${origin.file}${from}${failed}`;
}

/** What a user edits in Git to change the object: the manifest, or the app's sources. */
export function describeWhereToChange(origin: Origin): string {
  if (origin.app === undefined) return origin.file;
  const from = origin.app.renderedFrom;
  return from === undefined
    ? `the ${origin.app.type} app ${origin.file}`
    : `${from} (${origin.app.type} app ${origin.file})`;
}

// Control characters are exactly what the API server rejects in a warning, so this regex wants them.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** Makes a list of warnings that the API server will pass on whole: clean, short, bounded in total. */
export function boundWarnings(lines: readonly string[]): string[] {
  const out: string[] = [];
  let total = 0;
  for (const [index, line] of lines.entries()) {
    const clean = cut(line.replace(CONTROL, " "), WARNING_LIMIT);
    const left = lines.length - index;
    if (total + clean.length > WARNINGS_TOTAL - 40 && left > 1) {
      out.push(`driftguard: and ${left} more warnings`);
      break;
    }
    out.push(clean);
    total += clean.length;
  }
  return out;
}

/** At most `limit` lines, then `and N more`. */
export function listWithMore(lines: readonly string[], limit: number): string[] {
  if (lines.length <= limit) return [...lines];
  return [...lines.slice(0, limit), `and ${lines.length - limit} more`];
}
