// Reads a YAML (or JSON) stream the way kubectl does: sigs.k8s.io/yaml on go-yaml v2, i.e. YAML 1.1
// scalars (`0400` is 256, `yes`/`on`/`y` are true), merge keys, then conversion to JSON.
// Pure: no I/O. Only plain JSON comes out; anything else is an error with a 1-based line.
import { type Document, LineCounter, parseAllDocuments, type ScalarTag, type YAMLError } from "yaml";

/** One non-empty document of a stream. */
export interface YamlDoc {
  /** 0-based position in the stream, empty documents included. */
  index: number;
  /** 1-based line where the document's content starts. */
  line: number;
  value: unknown;
  /** The comment lines just after the document's `---`, joined (Helm's `# Source: …`). */
  comment?: string | undefined;
}

export type YamlReadResult =
  | { ok: true; docs: YamlDoc[] }
  | { ok: false; line?: number | undefined; message: string };

// An alias bomb expands a few lines into gigabytes; real manifests use a handful of anchors.
const MAX_ALIAS_COUNT = 100;

// go-yaml v2 parses ints with Go's strconv.ParseInt(s, 0, 64), so `0o17` is 15 there too.
// Only read, never used to write YAML: `identify` claims no value.
const goOctal: ScalarTag = {
  identify: () => false,
  default: true,
  tag: "tag:yaml.org,2002:int",
  format: "OCT",
  test: /^[-+]?0o[0-7_]+$/,
  resolve: (source: string) => {
    const negative = source.startsWith("-");
    const digits = source.replace(/^[-+]?0o/, "").replaceAll("_", "");
    const value = Number.parseInt(digits, 8);
    return negative ? -value : value;
  },
};

// go-yaml v2 leaves timestamps and sexagesimal numbers (`12:30`) as strings when decoding into
// interface{}, which is what kubectl sends: drop the YAML 1.1 tags that would turn them into
// Dates and numbers.
function kubectlTags<T extends string | { tag: string; format?: string | undefined }>(
  tags: T[],
): (T | ScalarTag)[] {
  const kept = tags.filter(
    (tag) => typeof tag === "string" || (tag.tag !== "tag:yaml.org,2002:timestamp" && tag.format !== "TIME"),
  );
  return [goOctal, ...kept];
}

/** Parses every document of a stream; the first problem makes the whole stream an error. */
export function readYamlDocuments(text: string): YamlReadResult {
  const lineCounter = new LineCounter();
  const source = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const stream = parseAllDocuments(source, {
    version: "1.1",
    merge: true,
    uniqueKeys: true,
    customTags: kubectlTags,
    lineCounter,
  });
  const docs: YamlDoc[] = [];
  for (const [index, doc] of stream.entries()) {
    const result = convertDocument(doc, index, { lines: lineCounter, source });
    if (!result.ok) return result;
    if (result.doc !== undefined) docs.push(result.doc);
  }
  return { ok: true, docs };
}

interface Lines {
  lines: LineCounter;
  source: string;
}

type Converted = { ok: true; doc: YamlDoc | undefined } | { ok: false; line?: number; message: string };

function convertDocument(doc: Document.Parsed, index: number, { lines, source }: Lines): Converted {
  const problem = doc.errors[0];
  if (problem !== undefined) return { ok: false, ...describeYamlError(problem, source) };
  // A document of only comments (or `---` alone) has no contents: kubectl skips it silently.
  if (doc.contents === null) return { ok: true, doc: undefined };
  const line = lines.linePos(doc.contents.range[0]).line;
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, line, message: firstLine(message) };
  }
  if (value === null || value === undefined) return { ok: true, doc: undefined };
  const bad = findNonJson(value, "");
  if (bad !== undefined) return { ok: false, line, message: `${bad} is not a JSON value` };
  // The yaml library keeps a comment right after `---` on the document, or on its first node.
  const comment = doc.commentBefore ?? doc.contents.commentBefore ?? undefined;
  return { ok: true, doc: comment === undefined ? { index, line, value } : { index, line, value, comment } };
}

function describeYamlError(error: YAMLError, source: string): { line?: number; message: string } {
  const message = firstLine(error.message).replace(/ at line \d+, column \d+:?$/, "");
  const line = error.linePos?.[0].line;
  if (line === undefined) return { message };
  // Unclosed brackets and quotes are found at the end of the text, past its last newline; the last
  // line that has text is where a reader looks.
  return { line: Math.min(line, lastLineOf(source)), message };
}

/** 1-based number of the last line that has text. */
function lastLineOf(text: string): number {
  let count = 1;
  for (let i = text.indexOf("\n"); i >= 0 && i < text.length - 1; i = text.indexOf("\n", i + 1)) count += 1;
  return count;
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0] ?? text;
}

/** Path of the first value JSON cannot carry (NaN, .inf, !!binary, !!set, Dates...), if any. */
function findNonJson(value: unknown, path: string): string | undefined {
  if (value === null || typeof value === "string" || typeof value === "boolean") return undefined;
  if (typeof value === "number") return Number.isFinite(value) ? undefined : describePath(path);
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const bad = findNonJson(item, `${path}[${i}]`);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  if (typeof value !== "object" || Object.getPrototypeOf(value) !== Object.prototype) {
    return describePath(path);
  }
  for (const [key, item] of Object.entries(value)) {
    const bad = findNonJson(item, path === "" ? key : `${path}.${key}`);
    if (bad !== undefined) return bad;
  }
  return undefined;
}

function describePath(path: string): string {
  return path === "" ? "the document" : `the value at ${path}`;
}
