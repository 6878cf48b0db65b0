// Turns the API server's OpenAPI v3 document of a group version into one self-contained JSON Schema
// (draft 2020-12) for one kind, as the API server really decodes and validates it. Pure: no I/O, so that
// the translation is tested without a server (test/scripts/openapi-schema.test.ts).
//
// Kubernetes' OpenAPI describes Go types; what the API server refuses is decided by Go's JSON decoder
// (strict field validation: unknown fields, wrong types) and by the validation code. So the translation is
// not literal: each rule below says what the server does, and each exception was checked against the test
// bed's kube-apiserver (dry-run create with fieldValidation=Strict). An OpenAPI keyword that is not listed
// here stops the script, so that a new Kubernetes version cannot slip in a rule nobody decided on.

/** One OpenAPI schema object (or a JSON Schema node being built): loosely typed on purpose. */
export type SchemaNode = { [key: string]: unknown };

export interface TranslateInput {
  /** The parsed `/openapi/v3/apis/<group>/<version>` document. */
  openapi: { components?: { schemas?: Record<string, SchemaNode> } };
  /** The definition to start from, e.g. `io.k8s.api.apps.v1.Deployment`. */
  root: string;
  /** What the header names: the server's gitVersion and the document's path. */
  kubernetesVersion: string;
  openapiPath: string;
}

/** The header keyword: which server the schema came from (read by src/sources/schema-check.ts). */
export const HEADER_KEYWORD = "x-driftguard-generated-from";

const QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity";
const INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
const FIELDS_V1 = "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1";
const CONTAINER = "io.k8s.api.core.v1.Container";
const POD_SPEC = "io.k8s.api.core.v1.PodSpec";

/**
 * apimachinery's ParseQuantity on the string after strings.TrimSpace: a sign, digits with an optional
 * fraction (both parts may be empty: `.` and `e3` are zero), then a binary suffix, a decimal suffix or an
 * exponent. The server refuses `1K`, `100mi`, `1 Gi`, `""` and `" "`; it accepts `1Gi ` and ` 2 `. Only the
 * spaces a JSON string carries unescaped are trimmed (a tab arrives as `\t` and is refused).
 */
const SPACES = " \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u202f\\u205f\\u3000";
const NUMBER = "[+-]?[0-9]*(?:\\.[0-9]*)?";
const SUFFIX = "(?:[KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?";
// The lookahead pins the leading spaces (something not a space must follow them), which both refuses an
// all-space string and keeps the match linear: a 4 MiB run of spaces must not cost quadratic time.
export const QUANTITY_PATTERN = `^[${SPACES}]*(?=[^${SPACES}])${NUMBER}${SUFFIX}[${SPACES}]*$`;

/**
 * Definitions whose Go type decodes itself, so that the OpenAPI shape is not what the server accepts.
 * `$comment` says why; the whole definition is replaced.
 */
const DECODED_BY_GO: Record<string, SchemaNode> = {
  [QUANTITY]: {
    $comment: "resource.Quantity: a JSON number, or a string in ParseQuantity's grammar (refused otherwise)",
    type: ["string", "number"],
    pattern: QUANTITY_PATTERN,
  },
  [INT_OR_STRING]: {
    $comment: "intstr.IntOrString: a JSON string, or a number that decodes into an int32",
    type: ["integer", "string"],
    format: "int32",
  },
  [FIELDS_V1]: {
    $comment: "metav1.FieldsV1 keeps its raw JSON: the server accepts any value there",
  },
};

/**
 * `required` fields whose absence the server accepts (their Go zero value is valid, the status is reset on
 * create, or a disabled feature gate drops the field). Checked against kube-apiserver v1.36.3.
 */
const NOT_ENFORCED_REQUIRED: Record<string, readonly string[]> = {
  // A header with an empty value is a header.
  "io.k8s.api.core.v1.HTTPHeader": ["value"],
  // An empty sysctl value is accepted.
  "io.k8s.api.core.v1.Sysctl": ["value"],
  // `sleep: {}` sleeps 0 seconds.
  "io.k8s.api.core.v1.SleepAction": ["seconds"],
  // LUN 0 is a LUN.
  "io.k8s.api.core.v1.ISCSIVolumeSource": ["lun"],
  // Not checked by the (non-functional, deprecated) ScaleIO validation.
  "io.k8s.api.core.v1.ScaleIOVolumeSource": ["secretRef"],
  // A preferred term without a preference matches everything.
  "io.k8s.api.core.v1.PreferredSchedulingTerm": ["preference"],
  // Projected sources behind feature gates that are off by default: the server drops them unread.
  "io.k8s.api.core.v1.ClusterTrustBundleProjection": ["path"],
  "io.k8s.api.core.v1.PodCertificateProjection": ["keyType", "signerName"],
  // Status is reset on create and ignored on update: nothing in it is required.
  "io.k8s.api.apps.v1.DeploymentCondition": ["status", "type"],
};

/** Enums the server does not enforce (the field is dropped while its feature gate is off). */
const NOT_ENFORCED_ENUMS: Record<string, readonly string[]> = {
  "io.k8s.api.core.v1.Lifecycle": ["stopSignal"],
};

/**
 * What the validation code requires beyond the OpenAPI `required` lists, for every Deployment: a container
 * image (in containers and initContainers alike) and at least one container.
 */
const SERVER_REQUIRED: Record<string, readonly string[]> = {
  [CONTAINER]: ["image"],
};
const SERVER_MIN_ITEMS: Record<string, Record<string, number>> = {
  [POD_SPEC]: { containers: 1 },
};

// Keywords read and translated below, and those dropped on purpose: documentation, merge and apply
// hints (`x-kubernetes-list-type` and `-map-keys`: the server accepts duplicate env names and ports with
// a warning, so uniqueness is not checked), union discriminators (the validation code checks unions).
const TRANSLATED = new Set([
  "type",
  "format",
  "properties",
  "additionalProperties",
  "items",
  "required",
  "enum",
  "default",
  "allOf",
  "$ref",
  "nullable",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-int-or-string",
]);
const DROPPED = new Set([
  "description",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-map-type",
  "x-kubernetes-patch-strategy",
  "x-kubernetes-patch-merge-key",
  "x-kubernetes-group-version-kind",
  "x-kubernetes-unions",
]);
const FORMATS = new Set(["int32", "int64", "double", "byte", "date-time"]);

const REF_PREFIX = "#/components/schemas/";

class Translator {
  readonly defs = new Map<string, SchemaNode>();

  constructor(private readonly schemas: Record<string, SchemaNode>) {}

  /** Translates `name` and, through it, every definition it reaches; returns the local reference. */
  reach(name: string): string {
    if (!this.defs.has(name)) {
      const source = this.schemas[name];
      if (source === undefined) throw new Error(`OpenAPI reference to a missing definition: ${name}`);
      this.defs.set(name, {}); // set before the walk: a recursive type ends here
      this.defs.set(name, DECODED_BY_GO[name] ?? this.node(source, name, name));
    }
    return `#/$defs/${name}`;
  }

  /** `owner` names the definition the node belongs to (for the tables above); `at` is for errors. */
  private node(source: SchemaNode, owner: string, at: string): SchemaNode {
    checkKeywords(source, at);
    const out: SchemaNode = {};
    const ref = refOf(source, at);
    if (ref !== undefined) out.$ref = this.reach(ref);
    if (source.default !== undefined) out.default = source.default;
    if (source["x-kubernetes-int-or-string"] === true) return { ...out, ...DECODED_BY_GO[INT_OR_STRING] };
    if (source.type !== undefined) out.type = source.type;
    if (typeof source.format === "string") Object.assign(out, translateFormat(source.format, at));
    if (Array.isArray(source.enum)) out.enum = [...source.enum];
    if (isNode(source.items)) out.items = this.element(source.items, owner, `${at}[]`);
    if (isNode(source.additionalProperties))
      out.additionalProperties = this.element(source.additionalProperties, owner, `${at}{}`);
    // An object without properties or additionalProperties (RawExtension and the like) stays open.
    if (isNode(source.properties)) this.object(source, owner, out, at);
    return source.nullable === true ? acceptNull(out) : out;
  }

  private object(source: SchemaNode, owner: string, out: SchemaNode, at: string): void {
    const required = requiredOf(source, owner);
    const properties: Record<string, SchemaNode> = {};
    for (const [key, value] of Object.entries(source.properties as Record<string, SchemaNode>)) {
      const property = this.node(value, owner, `${at}.${key}`);
      if (NOT_ENFORCED_ENUMS[owner]?.includes(key)) delete property.enum;
      const minItems = SERVER_MIN_ITEMS[owner]?.[key];
      if (minItems !== undefined) property.minItems = minItems;
      properties[key] = required.includes(key) ? requiredValue(property) : optionalValue(property);
    }
    out.properties = properties;
    if (required.length > 0) out.required = required;
    // Strict field validation refuses the unknown fields of every Go struct.
    if (source["x-kubernetes-preserve-unknown-fields"] !== true) out.additionalProperties = false;
  }

  /**
   * A list element or a map value: null decodes to the zero value, which the server accepts unless the
   * element has required fields (`containers: [null]` is a container without a name).
   */
  private element(source: SchemaNode, owner: string, at: string): SchemaNode {
    const element = this.node(source, owner, at);
    const ref = refName(element);
    if (ref === undefined || DECODED_BY_GO[ref] !== undefined) return optionalValue(element);
    const target = this.schemas[ref];
    return target !== undefined && requiredOf(target, ref).length > 0 ? element : optionalValue(element);
  }
}

function translateFormat(format: string, at: string): SchemaNode {
  if (format === "int-or-string") return { ...DECODED_BY_GO[INT_OR_STRING] };
  if (!FORMATS.has(format)) throw new Error(`${at}: OpenAPI format "${format}" has no translation yet`);
  return { format };
}

function refName(node: SchemaNode): string | undefined {
  return typeof node.$ref === "string" ? node.$ref.slice("#/$defs/".length) : undefined;
}

/**
 * Go decodes `null` into a field as "not set", and the empty string is the zero value of an enum field,
 * which the server then defaults or checks itself: both are accepted wherever the field may be left out.
 */
function optionalValue(node: SchemaNode): SchemaNode {
  if (node.$ref !== undefined) return { if: { type: "null" }, else: node };
  const out = acceptNull(node);
  if (Array.isArray(out.enum)) out.enum = [...new Set([...out.enum, ""])];
  return out;
}

function acceptNull(node: SchemaNode): SchemaNode {
  const out = { ...node };
  if (typeof out.type === "string") out.type = [out.type, "null"];
  else if (Array.isArray(out.type) && !out.type.includes("null")) out.type = [...out.type, "null"];
  if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  return out;
}

/** A required field may not be null, and a required string may not be empty (Go cannot tell them apart). */
function requiredValue(node: SchemaNode): SchemaNode {
  return node.type === "string" && node.enum === undefined ? { ...node, minLength: 1 } : node;
}

function requiredOf(source: SchemaNode, owner: string): string[] {
  const listed = Array.isArray(source.required) ? (source.required as string[]) : [];
  const lenient = NOT_ENFORCED_REQUIRED[owner] ?? [];
  const extra = SERVER_REQUIRED[owner] ?? [];
  return [...new Set([...listed.filter((key) => !lenient.includes(key)), ...extra])].sort();
}

function checkKeywords(source: SchemaNode, at: string): void {
  for (const key of Object.keys(source)) {
    // The API server spells int-or-string out as a oneOf beside the format; the format decides.
    if (key === "oneOf" && source.format === "int-or-string") continue;
    if (!TRANSLATED.has(key) && !DROPPED.has(key))
      throw new Error(`${at}: OpenAPI keyword "${key}" has no translation yet: decide what the server does`);
  }
}

/** `$ref`, or `allOf: [{$ref}]` (how the API server adds a default or description beside a reference). */
function refOf(source: SchemaNode, at: string): string | undefined {
  let ref: unknown = source.$ref;
  if (Array.isArray(source.allOf)) {
    const [only, ...rest] = source.allOf as SchemaNode[];
    if (
      only === undefined ||
      rest.length > 0 ||
      typeof only.$ref !== "string" ||
      Object.keys(only).length > 1
    )
      throw new Error(`${at}: allOf other than one $ref has no translation yet`);
    ref = only.$ref;
  }
  if (ref === undefined) return undefined;
  if (typeof ref !== "string" || !ref.startsWith(REF_PREFIX))
    throw new Error(`${at}: unexpected $ref ${ref}`);
  return ref.slice(REF_PREFIX.length);
}

function isNode(value: unknown): value is SchemaNode {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The whole schema for `root`: its own translation at the top, every definition it reaches under `$defs`.
 * The top level also requires `metadata.name`, as driftguard does (the server accepts `generateName`
 * instead, but a manifest without a name cannot be compared with anything).
 */
export function translateOpenApi(input: TranslateInput): SchemaNode {
  const schemas = input.openapi.components?.schemas;
  if (schemas === undefined) throw new Error("the OpenAPI document has no components.schemas");
  const translator = new Translator(schemas);
  translator.reach(input.root);
  const { [input.root]: root, ...defs } = Object.fromEntries(translator.defs);
  const properties = root?.properties as Record<string, SchemaNode> | undefined;
  const metadata = properties?.metadata?.else as SchemaNode | undefined;
  if (root === undefined || properties === undefined || metadata === undefined)
    throw new Error(`${input.root} is not an object with metadata`);
  const required = (root.required as string[] | undefined) ?? [];
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $comment:
      "Generated by scripts/deployment-schema.ts from the test bed's kube-apiserver: do not edit, re-run it.",
    [HEADER_KEYWORD]: {
      kubernetesVersion: input.kubernetesVersion,
      openapi: input.openapiPath,
      definition: input.root,
    },
    title: input.root,
    ...root,
    properties: {
      ...properties,
      metadata: {
        ...metadata,
        type: "object",
        required: ["name"],
        properties: { name: { type: "string", minLength: 1 } },
      },
    },
    required: [...new Set([...required, "metadata"])].sort(),
    $defs: defs,
  };
}

/** JSON with object keys sorted at every level, two-space indented, newline-terminated: re-runs diff clean. */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isNode(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys(value[key])]),
  );
}
