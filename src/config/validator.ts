// The compiled config validator: ajv with the config's own formats and keywords, built once at import.
import { isIP } from "node:net";
import { Ajv, type SchemaValidateFunction } from "ajv";
import { parsePathPattern } from "../core/paths.js";
import { DURATION_PATTERN, formatDuration, parseDuration } from "./durations.js";
import { configSchema, DNS_LABEL, isMetadataKey, SERVICE_ACCOUNT } from "./schema.js";

interface DurationRange {
  minMs: number;
  maxMs?: number;
}

function outOfRange(ms: number, range: DurationRange): string | undefined {
  if (ms < range.minMs) return `must be at least ${formatDuration(range.minMs)}`;
  if (range.maxMs !== undefined && ms > range.maxMs) return `must be at most ${formatDuration(range.maxMs)}`;
  return undefined;
}

/** Bounds apply to the parsed value, so `"90s"` and `"1m30s"` are judged alike. */
const checkDurationRange: SchemaValidateFunction = (range: DurationRange, data: unknown) => {
  const ms = parseDuration(data);
  const message = ms === undefined ? undefined : outOfRange(ms, range); // bad spellings: `format` reports
  if (message === undefined) return true;
  checkDurationRange.errors = [{ keyword: "durationRange", message, params: range }];
  return false;
};

/** Ignore paths must parse exactly as the core will read them; the parser's own words say why not. */
const checkPathPattern: SchemaValidateFunction = (_enabled: true, data: unknown) => {
  const parsed = typeof data === "string" ? parsePathPattern(data) : [];
  if (typeof parsed !== "string") return true;
  checkPathPattern.errors = [{ keyword: "pathPattern", message: parsed, params: {} }];
  return false;
};

function createValidator() {
  // verbose: error objects carry their schema, which problems.ts reads to list the allowed keys.
  const ajv = new Ajv({
    allErrors: true,
    useDefaults: true,
    verbose: true,
    strict: true,
    allowUnionTypes: true,
  });
  ajv.addFormat("dns-label", DNS_LABEL);
  ajv.addFormat("service-account", SERVICE_ACCOUNT);
  ajv.addFormat("duration", DURATION_PATTERN);
  ajv.addFormat("metadata-key", isMetadataKey);
  // node:net's own reading of an address, the same one the certificate generator applies.
  ajv.addFormat("ip-address", (value: string) => isIP(value) !== 0);
  ajv.addKeyword({
    keyword: "durationRange",
    schemaType: "object",
    errors: true,
    validate: checkDurationRange,
  });
  ajv.addKeyword({ keyword: "pathPattern", schemaType: "boolean", errors: true, validate: checkPathPattern });
  return ajv.compile(configSchema);
}

/** Validates in place: fills in defaults, and leaves the problems in `validateConfig.errors`. */
export const validateConfig = createValidator();
