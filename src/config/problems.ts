// Turns ajv's errors into problems an admin can act on: the config path of the bad value, then what is
// wrong with it. Values are never quoted back (a source url may carry a token); keys and allowed values are.
import type { ErrorObject } from "ajv";
import { KUBE_VERSION, RELEASE_NAME } from "./schema.js";

export type ConfigPath = readonly (string | number)[];

export interface Problem {
  path: ConfigPath;
  message: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `sources[0].auth.tokenFile`, `namespaces["team.a"].mode`; the whole file is `(root)`. */
export function formatConfigPath(path: ConfigPath): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === "" ? "(root)" : out;
}

export function formatProblem(problem: Problem): string {
  return `${formatConfigPath(problem.path)}: ${problem.message}`;
}

const FORMAT_HINTS: Readonly<Record<string, string>> = {
  "dns-label": 'must be a DNS label (lowercase letters, digits and "-", at most 63 characters)',
  "service-account": 'must be "namespace/name" or "namespace/*"',
  duration: 'must be a duration like "60s", "5m" or "1h30m", or a whole number of seconds',
  "metadata-key":
    'must be a label or annotation key: a name of at most 63 letters, digits, "-", "_" or ".", optionally after a DNS subdomain and "/"',
};

const PATTERN_HINTS: Readonly<Record<string, string>> = {
  [KUBE_VERSION]: 'must be a Kubernetes version like "1.36" or "1.36.0"',
  [RELEASE_NAME]: 'must be a Helm release name (lowercase letters, digits and "-", at most 53 characters)',
};

/** JSON pointer (`/sources/0/name`) to path segments; array indexes become numbers. */
function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"))
    .map((part) => (/^(?:0|[1-9]\d*)$/.test(part) ? Number(part) : part));
}

/** One problem per ajv error, or undefined for errors that repeat another one. */
export function problemFromAjv(error: ErrorObject): Problem | undefined {
  const path = pointerToPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "additionalProperties": {
      const key = String(params.additionalProperty);
      return { path: [...path, key], message: describeUnknownKey(key, allowedKeys(error)) };
    }
    case "required":
      return { path: [...path, String(params.missingProperty)], message: "is required" };
    case "enum":
      return { path, message: `must be one of ${(params.allowedValues as unknown[]).join(", ")}` };
    case "type":
      // The `else` of a `paths` entry: neither a string nor an object.
      if (error.schemaPath.endsWith("/paths/items/else/type"))
        return { path, message: "must be a folder or glob (a string) or an app (an object with path)" };
      return { path, message: `must be ${String(params.type).split(",").join(" or ")}` };
    case "pattern":
      return { path, message: PATTERN_HINTS[String(params.pattern)] ?? error.message ?? "is not valid" };
    case "if":
      return undefined; // the failing branch was reported on its own
    case "format":
      return describeFormat(error, path, String(params.format));
    case "propertyNames":
      return undefined; // the failing inner keyword was reported with the key itself
    default:
      return { path, message: error.message ?? "is not valid" };
  }
}

function describeFormat(error: ErrorObject, path: ConfigPath, format: string): Problem {
  const hint = FORMAT_HINTS[format] ?? `must match format ${format}`;
  // Inside propertyNames, ajv reports the map and names the key separately.
  const key = (error as ErrorObject & { propertyName?: string }).propertyName;
  return key === undefined ? { path, message: hint } : { path: [...path, key], message: `key ${hint}` };
}

function allowedKeys(error: ErrorObject): string[] {
  const properties = (error.parentSchema as { properties?: object } | undefined)?.properties;
  return properties ? Object.keys(properties) : [];
}

function describeUnknownKey(key: string, allowed: readonly string[]): string {
  // Short keys tolerate one slip, longer ones two: enough for typos without naming unrelated keys.
  const near = allowed.find(
    (candidate) => editDistance(key.toLowerCase(), candidate.toLowerCase()) <= (candidate.length < 5 ? 1 : 2),
  );
  if (near !== undefined) return `unknown key (did you mean "${near}"?)`;
  return allowed.length === 0 ? "unknown key" : `unknown key (allowed: ${allowed.join(", ")})`;
}

/** Levenshtein distance: small enough that a typo (`onUnsyncd`) is named, not just refused. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
