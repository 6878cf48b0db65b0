// Turns one file of a Git source into the apps/v1 Deployments it holds (docs/contract.md §2). Pure: no I/O.
// A file is all or nothing: one bad document makes the whole file an error, so that the caller keeps
// serving the file's last good content rather than half of a broken one (docs/contract.md §9). A
// Deployment the API server would refuse (the schema check) is such an error too.
import type { JsonObject } from "../core/types.js";
import { checkDeploymentSchema, type SchemaProblem } from "./schema-check.js";
import type { ManifestDoc, Notice, ParseError } from "./types.js";
import { lineOf } from "./yaml-locate.js";
import { readYamlDocuments } from "./yaml-reader.js";

/** Bump when the same file would parse to different docs: snapshots of older parsers are then dropped. */
// 2: Deployments are checked against the apps/v1 schema; a file that parsed before may be an error now.
export const PARSER_VERSION = 2;

/** A file error lists this many schema problems, then counts the rest. */
const PROBLEMS_IN_MESSAGE = 5;

/** Larger files are refused unread: no manifest is this big, and parsing costs memory and time. */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;

export interface ParsedFile {
  docs: ManifestDoc[];
  notices: Notice[];
  error?: ParseError;
}

export interface ParseOptions {
  /** Defaults to MAX_FILE_BYTES; a render's output may be larger than any one file. */
  maxBytes?: number;
  /** A render's output: each document's `# Source: <template>` comment becomes its renderedFrom. */
  sourceComments?: boolean;
}

interface Context {
  file: string;
  defaultNamespace: string;
  sourceComments: boolean;
  comment: string | undefined;
  docs: ManifestDoc[];
  notices: Notice[];
}

class FileProblem extends Error {
  constructor(
    message: string,
    readonly line: number,
    /** Where in the document, when the line of that field is worth looking up. */
    readonly at?: { docIndex: string; segments: readonly (string | number)[] },
  ) {
    super(message);
  }
}

export function fileTooLarge(file: string, bytes: number): ParseError {
  return { file, message: `file too large (${bytes} bytes; the limit is ${MAX_FILE_BYTES})` };
}

/** Parses a `.yaml`, `.yml` or `.json` file (JSON is read as YAML, as kubectl does). */
export function parseManifestFile(
  file: string,
  text: string,
  defaultNamespace: string,
  options: ParseOptions = {},
): ParsedFile {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > (options.maxBytes ?? MAX_FILE_BYTES))
    return { docs: [], notices: [], error: fileTooLarge(file, bytes) };
  const read = readYamlDocuments(text);
  if (!read.ok) return { docs: [], notices: [], error: { file, line: read.line, message: read.message } };
  const sourceComments = options.sourceComments === true;
  const context: Context = {
    file,
    defaultNamespace,
    sourceComments,
    comment: undefined,
    docs: [],
    notices: [],
  };
  try {
    for (const doc of read.docs) {
      context.comment = doc.comment;
      addDocument(context, doc.value, String(doc.index), doc.line, true);
    }
  } catch (error) {
    if (!(error instanceof FileProblem)) throw error;
    const line = error.at ? (lineOf(text, error.at.docIndex, error.at.segments) ?? error.line) : error.line;
    return { docs: [], notices: [], error: { file, line, message: error.message } };
  }
  return { docs: context.docs, notices: context.notices };
}

function addDocument(context: Context, value: unknown, docIndex: string, line: number, top: boolean): void {
  if (!isObject(value)) throw new FileProblem(`document ${docIndex} is not an object`, line);
  const { apiVersion, kind } = value;
  if (typeof apiVersion !== "string" || typeof kind !== "string" || apiVersion === "" || kind === "") {
    notice(context, docIndex, "has no apiVersion or kind; skipped");
    return;
  }
  // kubectl expands `kind: List` (and typed lists such as DeploymentList) one level deep.
  if (top && kind.endsWith("List") && Array.isArray(value.items)) {
    for (const [i, item] of value.items.entries())
      addDocument(context, item, `${docIndex}.${i}`, line, false);
    return;
  }
  if (kind !== "Deployment") return;
  if (apiVersion !== "apps/v1") {
    notice(context, docIndex, `is a Deployment of apiVersion ${apiVersion}, not apps/v1; skipped`);
    return;
  }
  addDeployment(context, value, docIndex, line);
}

function addDeployment(context: Context, object: JsonObject, docIndex: string, line: number): void {
  // Checked before the name: a patch is skipped even when it names nothing.
  const patch = patchReason(object);
  if (patch !== undefined) {
    notice(context, docIndex, `is a Deployment patch (${patch}), not a whole object; skipped`);
    return;
  }
  const { name, namespace } = readMetadata(object, docIndex, line);
  const problems = checkDeploymentSchema(object);
  if (problems.length > 0) throw schemaProblem(problems, name, docIndex, line);
  const resolved = namespace ?? context.defaultNamespace;
  const doc: ManifestDoc = { namespace: resolved, name, file: context.file, docIndex, object };
  const template = context.sourceComments ? templateOf(context.comment) : undefined;
  if (template !== undefined) doc.renderedFrom = template;
  context.docs.push(doc);
}

/** `Source: podinfo/templates/deployment.yaml` → `podinfo/templates/deployment.yaml`. */
function templateOf(comment: string | undefined): string | undefined {
  const match = /^\s*Source:\s*(\S.*?)\s*$/m.exec(comment ?? "");
  return match?.[1];
}

function readMetadata(
  object: JsonObject,
  docIndex: string,
  line: number,
): { name: string; namespace?: string } {
  const metadata = object.metadata;
  if (!isObject(metadata)) throw new FileProblem(`document ${docIndex}: Deployment has no metadata`, line);
  const { name, namespace } = metadata;
  if (typeof name !== "string" || name === "") {
    throw new FileProblem(`document ${docIndex}: Deployment has no metadata.name`, line);
  }
  if (namespace === undefined || namespace === null || namespace === "") return { name };
  if (typeof namespace !== "string") {
    throw new FileProblem(`document ${docIndex}: metadata.namespace of ${name} is not a string`, line);
  }
  return { name, namespace };
}

/** `document 0: Deployment web would be refused by the API server: spec.replicas: must be integer (…)` */
function schemaProblem(problems: SchemaProblem[], name: string, docIndex: string, line: number): FileProblem {
  const listed = problems.slice(0, PROBLEMS_IN_MESSAGE).map((p) => `${p.path}: ${p.message}`);
  const more = problems.length - listed.length;
  const text = more > 0 ? `${listed.join("; ")}; and ${more} more` : listed.join("; ");
  const segments = problems[0]?.segments ?? [];
  return new FileProblem(
    `document ${docIndex}: Deployment ${name} would be refused by the API server: ${text}`,
    line,
    {
      docIndex,
      segments,
    },
  );
}

// Strategic-merge-patch directives (`$patch`, `$setElementOrder/...`, `$retainKeys`,
// `$deleteFromPrimitiveList/...`). No field of a Deployment, label or annotation key may start with
// `$`, so one anywhere means the document is a patch for a renderer, not what gets applied.
function patchReason(object: JsonObject): string | undefined {
  const spec = object.spec;
  if (!isObject(spec) || !isObject(spec.template)) return "no spec.template";
  const directive = findDirective(object, 0);
  return directive === undefined ? undefined : `has a ${directive} key`;
}

function findDirective(value: unknown, depth: number): string | undefined {
  if (depth > 64 || value === null || typeof value !== "object") return undefined;
  const children = Array.isArray(value) ? value : Object.values(value);
  if (!Array.isArray(value)) {
    const key = Object.keys(value).find((k) => k.startsWith("$"));
    if (key !== undefined) return key;
  }
  for (const child of children) {
    const found = findDirective(child, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

function notice(context: Context, docIndex: string, message: string): void {
  context.notices.push({ file: context.file, message: `document ${docIndex} ${message}` });
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
