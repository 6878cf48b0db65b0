// The wire check for an AdmissionReview v1 as the API server sends it (docs/kubernetes-facts.md §5.1). Nothing reads a
// request body before this schema has accepted it. Unknown properties are allowed everywhere: newer API
// servers add fields, and rejecting them would turn an upgrade into an outage.
import { Ajv, type ErrorObject } from "ajv";
import type { AdmissionReview } from "../core/admission.js";
import { comparedBeyondBounds } from "./review-depth.js";

const groupVersionKind = {
  type: "object",
  required: ["group", "version", "kind"],
  properties: { group: { type: "string" }, version: { type: "string" }, kind: { type: "string" } },
} as const;

const groupVersionResource = {
  type: "object",
  required: ["group", "version", "resource"],
  properties: { group: { type: "string" }, version: { type: "string" }, resource: { type: "string" } },
} as const;

const stringArray = { type: "array", items: { type: "string" } } as const;
const objectOrNull = { type: ["object", "null"] } as const;

// uid, groups and extra are omitempty on the wire; username too, in theory (authentication/v1).
const userInfo = {
  type: "object",
  properties: {
    username: { type: "string" },
    uid: { type: "string" },
    groups: stringArray,
    extra: { type: "object", additionalProperties: stringArray },
  },
} as const;

const admissionRequest = {
  type: "object",
  required: ["uid", "kind", "resource", "operation", "userInfo"],
  properties: {
    uid: { type: "string", minLength: 1 },
    kind: groupVersionKind,
    resource: groupVersionResource,
    subResource: { type: "string" },
    requestKind: groupVersionKind,
    requestResource: groupVersionResource,
    requestSubResource: { type: "string" },
    name: { type: "string" },
    namespace: { type: "string" },
    operation: { enum: ["CREATE", "UPDATE", "DELETE", "CONNECT"] },
    userInfo,
    object: objectOrNull,
    oldObject: objectOrNull,
    dryRun: { type: "boolean" },
    options: objectOrNull,
  },
  // What is judged must be there: the new object for CREATE and UPDATE, the stored one for DELETE. A
  // review without it is malformed and gets a 400, never a silent allow.
  allOf: [
    {
      if: { properties: { operation: { enum: ["CREATE", "UPDATE"] } } },
      // biome-ignore lint/suspicious/noThenProperty: JSON schema's if/then, not a thenable
      then: { required: ["object"], properties: { object: { type: "object" } } },
    },
    {
      if: { properties: { operation: { const: "DELETE" } } },
      // biome-ignore lint/suspicious/noThenProperty: JSON schema's if/then, not a thenable
      then: { required: ["oldObject"], properties: { oldObject: { type: "object" } } },
    },
  ],
} as const;

export const admissionReviewSchema = {
  type: "object",
  required: ["apiVersion", "kind", "request"],
  properties: {
    apiVersion: { const: "admission.k8s.io/v1" },
    kind: { const: "AdmissionReview" },
    request: admissionRequest,
  },
} as const;

// Compiled once at load: the request path only runs the generated function. allErrors stays off so a
// hostile body cannot make us collect thousands of errors; the first one is what the caller needs.
const validate = new Ajv({ strict: true, allErrors: false, allowUnionTypes: true }).compile<AdmissionReview>(
  admissionReviewSchema,
);

export type ParseReviewResult = { ok: true; review: AdmissionReview } | { ok: false; error: string };

/** Checks an already JSON-parsed body. The error names the path and the reason: `request.uid: must be string`. */
export function parseReview(body: unknown): ParseReviewResult {
  if (validate(body)) {
    const beyond = comparedBeyondBounds(body.request);
    if (beyond !== undefined) return { ok: false, error: beyond };
    return { ok: true, review: body };
  }
  const first = validate.errors?.[0];
  return { ok: false, error: first ? describeError(first) : "body is not an AdmissionReview" };
}

function describeError(error: ErrorObject): string {
  const segments = pointerSegments(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return `${formatPath([...segments, String(params.missingProperty)])}: is required`;
    case "const":
      return `${formatPath(segments)}: must be ${JSON.stringify(params.allowedValue)}`;
    case "enum":
      return `${formatPath(segments)}: must be one of ${(params.allowedValues as unknown[]).join(", ")}`;
    case "type":
      return `${formatPath(segments)}: must be ${String(params.type).split(",").join(" or ")}`;
    case "minLength":
      return `${formatPath(segments)}: must not be empty`;
    default:
      return `${formatPath(segments)}: ${error.message ?? "is invalid"}`;
  }
}

/** Decodes a JSON pointer (`/request/userInfo/extra/a~1b/0`) into its segments. */
function pointerSegments(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((segment) => segment.replaceAll("~1", "/").replaceAll("~0", "~"));
}

/** `request.userInfo.groups[0]`, `request.userInfo.extra["a/b"]`; the whole body is `body`. */
function formatPath(segments: readonly string[]): string {
  let out = "";
  for (const segment of segments) {
    if (/^\d+$/.test(segment)) out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === "" ? "body" : out;
}
