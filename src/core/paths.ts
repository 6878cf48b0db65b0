// Paths into normalized objects. A path is a list of segments: field names, map keys, and keyed list
// elements written `[name=web]`. They print as `spec.template.spec.containers[name=web].image`, with
// keys that are not plain identifiers quoted: `metadata.annotations["kubectl.kubernetes.io/restartedAt"]`.
import { MERGE_KEYS } from "./fields.js";
import type { Json, Path } from "./types.js";

export const ORDER_SEGMENT = "[order]";

/** The segment naming one element of a keyed list, e.g. `[name=web]` or `[containerPort=80,protocol=TCP]`. */
export function elementSegment(listField: string, element: Json): string | undefined {
  const keys = MERGE_KEYS[listField];
  if (!keys || element === null || typeof element !== "object" || Array.isArray(element)) return undefined;
  if (keys.length === 1) {
    // Nearly every keyed list is keyed by one field (name, mountPath…): no parts to join.
    const value = element[keys[0] as string];
    if (value === undefined || value === null || typeof value === "object") return undefined;
    return `[${keys[0]}=${String(value)}]`;
  }
  const parts: string[] = [];
  for (const key of keys) {
    const value = element[key];
    if (value === undefined || value === null || typeof value === "object") return undefined;
    parts.push(`${key}=${String(value)}`);
  }
  return `[${parts.join(",")}]`;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function formatPath(path: Path): string {
  let out = "";
  for (const segment of path) {
    if (segment.startsWith("[")) out += segment;
    else if (IDENTIFIER.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/**
 * Parses a path as users write it in config (`spec.template.spec.containers[name=*].image`,
 * `metadata.annotations["example.com/x"]`). `*` matches any one segment; `[*]` or `[name=*]` any element.
 * Returns an error message for malformed input.
 */
export function parsePathPattern(text: string): Path | string {
  const segments: string[] = [];
  let rest = text.trim();
  if (rest === "") return "empty path";
  while (rest !== "") {
    const quoted = /^\["((?:[^"\\]|\\.)*)"\]/.exec(rest);
    const element = /^\[[^\]"]*\]/.exec(rest);
    const field = /^\.?([A-Za-z_*][A-Za-z0-9_*-]*)/.exec(rest);
    const match = quoted ?? element ?? field;
    if (!match) return `cannot read "${rest}" in path "${text}"`;
    segments.push(
      quoted ? JSON.parse(`"${quoted[1]}"`) : element ? normalizeElement(match[0]) : (match[1] ?? ""),
    );
    rest = rest.slice(match[0].length);
  }
  return segments;
}

function normalizeElement(segment: string): string {
  return /^\[(?:\*|[A-Za-z]+=\*)\]$/.test(segment) ? "[*]" : segment;
}

function segmentMatches(pattern: string, segment: string): boolean {
  if (pattern === "*") return true;
  if (pattern === "[*]") return segment.startsWith("[") && segment !== ORDER_SEGMENT;
  return pattern === segment;
}

/** True when `path` is the pattern's path or lies below it. */
export function isUnder(path: Path, pattern: Path): boolean {
  if (path.length < pattern.length) return false;
  return pattern.every((p, i) => segmentMatches(p, path[i] ?? ""));
}

export function pathKey(path: Path): string {
  return path.join("\u0000");
}
