// The schema check of docs/contract.md §2: a Deployment from Git that the API server would refuse to
// decode or to admit (unknown fields under kubectl's default strict field validation, wrong types, values
// that do not parse, missing required fields) is found here, with the field path, before it is served.
// The schema is generated from the pinned Kubernetes version's OpenAPI (scripts/deployment-schema.ts).
// No I/O: the schema is bundled as a JSON module and compiled once, on first use.
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import { fullFormats } from "ajv-formats/dist/formats.js";
import { elementSegment, formatPath } from "../core/paths.js";
import type { Json, JsonObject } from "../core/types.js";
import schema from "./schema/apps-v1-deployment.json" with { type: "json" };

export interface SchemaProblem {
  /** Where, in driftguard's path notation: `spec.template.spec.containers[name=web].image`. */
  path: string;
  /** What is wrong, short: `must be integer (got string "3")`. */
  message: string;
  /** The same place as keys and indexes into the object, for finding its line in the file. */
  segments: readonly (string | number)[];
}

const HEADER = "x-driftguard-generated-from";

/** The Kubernetes version whose API server the schema was read from, e.g. `v1.36.3`. */
export const SCHEMA_KUBERNETES_VERSION: string = schema[HEADER].kubernetesVersion;

let validator: ValidateFunction | undefined;

function compile(): ValidateFunction {
  // verbose: errors carry the failing schema, read for the allowed values and a near-miss field name.
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
  ajv.addKeyword({ keyword: HEADER, schemaType: "object" });
  for (const name of ["int32", "double", "byte"] as const) ajv.addFormat(name, fullFormats[name]);
  // ajv-formats' int64 takes any integer; Go's decoder refuses what does not fit in 64 bits.
  ajv.addFormat("int64", { type: "number", validate: isInt64 });
  ajv.addFormat("date-time", isGoRfc3339);
  return ajv.compile(schema);
}

/** Compiles the schema now rather than at the first check (a few hundred milliseconds, once). */
export function prepareSchemaCheck(): void {
  validator ??= compile();
}

/** Every problem that makes the API server refuse this apps/v1 Deployment; none when it would take it. */
export function checkDeploymentSchema(object: JsonObject): SchemaProblem[] {
  validator ??= compile();
  if (validator(object)) return [];
  return problemsOf(validator.errors ?? [], object);
}

function problemsOf(errors: readonly ErrorObject[], object: JsonObject): SchemaProblem[] {
  const byPlace = new Map<string, { problem: SchemaProblem; keyword: string }>();
  for (const error of errors) {
    const problem = describe(error, object);
    if (problem === undefined) continue;
    const key = problem.segments.join("\u0000");
    // One problem per place: a wrong type also fails that field's enum or pattern; the type says it best.
    const known = byPlace.get(key);
    if (known === undefined || (error.keyword === "type" && known.keyword !== "type"))
      byPlace.set(key, { problem, keyword: error.keyword });
  }
  return [...byPlace.values()].map((entry) => entry.problem).sort((a, b) => a.path.localeCompare(b.path));
}

function describe(error: ErrorObject, object: JsonObject): SchemaProblem | undefined {
  const segments = pointerSegments(error.instancePath);
  const at = (extra: string | undefined, message: string): SchemaProblem => {
    const where = extra === undefined ? segments : [...segments, extra];
    return { path: readablePath(object, where), message, segments: where };
  };
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "if": // the null-or-else wrapper: the `else` branch's own error says what is wrong
      return undefined;
    case "additionalProperties":
      return at(String(params.additionalProperty), unknownField(String(params.additionalProperty), error));
    case "required":
      return at(String(params.missingProperty), "is required");
    case "minLength":
      return at(undefined, "must not be empty");
    case "minItems":
      return at(undefined, `must have at least ${String(params.limit)} item(s)`);
    case "type":
      return at(undefined, `must be ${typeNames(params.type)} (got ${describeValue(error.data)})`);
    case "enum":
      return at(
        undefined,
        `must be one of ${allowedValues(error.schema)} (got ${describeValue(error.data)})`,
      );
    case "format":
      return at(undefined, `${formatRule(String(params.format))} (got ${describeValue(error.data)})`);
    case "pattern":
      return at(undefined, `${patternRule(error.schemaPath)} (got ${describeValue(error.data)})`);
    default:
      return at(undefined, `${error.message ?? "is invalid"} (got ${describeValue(error.data)})`);
  }
}

/** `unknown field`, and the field meant when only the case differs (decoding is case-sensitive). */
function unknownField(name: string, error: ErrorObject): string {
  const properties = (error.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  const meant = Object.keys(properties ?? {}).find((key) => key.toLowerCase() === name.toLowerCase());
  return meant === undefined ? "unknown field" : `unknown field (did you mean ${meant}?)`;
}

function typeNames(type: unknown): string {
  const names = (Array.isArray(type) ? type : String(type).split(",")).filter((name) => name !== "null");
  return names.join(" or ");
}

function allowedValues(values: unknown): string {
  const listed = Array.isArray(values) ? values.filter((value) => value !== "" && value !== null) : [];
  return listed.map((value) => JSON.stringify(value)).join(", ");
}

function formatRule(format: string): string {
  switch (format) {
    case "int32":
      return "must be a 32-bit integer";
    case "int64":
      return "must be a 64-bit integer";
    case "date-time":
      return "must be an RFC 3339 time such as 2024-01-02T03:04:05Z";
    case "byte":
      return "must be base64";
    default:
      return `must be a ${format}`;
  }
}

function patternRule(schemaPath: string): string {
  return schemaPath.includes("resource.Quantity")
    ? "must be a quantity such as 250m, 1.5, 512Mi or 2Gi"
    : "has the wrong form";
}

const MAX_SHOWN = 40;

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") {
    const shown = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}...` : value;
    return `string ${JSON.stringify(shown)}`;
  }
  return `${typeof value} ${String(value)}`;
}

/** JSON pointer (`/spec/template/spec/containers/0`) to keys and indexes. */
function pointerSegments(pointer: string): (string | number)[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((raw) => {
      const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
      return /^(0|[1-9][0-9]*)$/.test(key) ? Number(key) : key;
    });
}

/** Keyed list elements by their key where they have one (`containers[name=web]`), else by index. */
function readablePath(object: JsonObject, segments: readonly (string | number)[]): string {
  const path: string[] = [];
  let value: Json | undefined = object;
  let field = "";
  for (const segment of segments) {
    if (typeof segment === "number" && Array.isArray(value)) {
      const element: Json | undefined = value[segment];
      path.push(keyedSegment(field, element) ?? `[${segment}]`);
      value = element;
      continue;
    }
    const key = String(segment);
    path.push(key);
    field = key;
    value = isObject(value) ? value[key] : undefined;
  }
  return formatPath(path);
}

/** `[name=web]`, unless a key is empty (the problem may well be that empty name): then the index. */
function keyedSegment(field: string, element: Json | undefined): string | undefined {
  const segment = element === undefined ? undefined : elementSegment(field, element);
  return segment === undefined || /=(?:,|\])/.test(segment) ? undefined : segment;
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const INT64_LIMIT = 2 ** 63;

function isInt64(value: number): boolean {
  return Number.isInteger(value) && value >= -INT64_LIMIT && value < INT64_LIMIT;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-](\d{2}):(\d{2}))$/;

/**
 * What Go's time.Parse(time.RFC3339, …) accepts, as metav1.Time decodes: an upper-case `T` and `Z`, a
 * zone always, a fraction only after a dot, and every field in range (February 30 is refused).
 */
export function isGoRfc3339(text: string): boolean {
  const match = RFC3339.exec(text);
  if (match === null) return false;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, zoneHour = 0, zoneMinute = 0] = match
    .slice(1)
    .map((group) => (group === undefined ? 0 : Number(group)));
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return false;
  return hour < 24 && minute < 60 && second < 60 && zoneHour < 24 && zoneMinute < 60;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
