// Finds the line of a field inside a YAML file, for errors found after parsing (the schema check), which
// know the field by its keys and indexes but not where it is written. Only called when a file has an
// error: the text is parsed a second time, with its positions kept. Pure: no I/O.
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
} from "yaml";

/**
 * The 1-based line of the deepest node of `segments` written in the file, inside the document `docIndex`
 * (`3`, or `3.1` for the second item of a List in document 3); undefined when the document is not found.
 * A field that is missing (a required one) or comes from a merge key gives the line of its nearest parent.
 */
export function lineOf(
  text: string,
  docIndex: string,
  segments: readonly (string | number)[],
): number | undefined {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text.startsWith("\uFEFF") ? text.slice(1) : text, {
    version: "1.1",
    merge: true,
    lineCounter: lines,
  });
  if (!Array.isArray(docs)) return undefined;
  const [top, item] = docIndex.split(".").map(Number);
  const doc = top === undefined ? undefined : docs[top];
  if (doc === undefined) return undefined;
  const path = item === undefined || Number.isNaN(item) ? segments : ["items", item, ...segments];
  const offset = deepestOffset(doc, path);
  return offset === undefined ? undefined : lines.linePos(offset).line;
}

function deepestOffset(doc: Document.Parsed, path: readonly (string | number)[]): number | undefined {
  let node: unknown = doc.contents;
  let offset = startOf(node);
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
    const next = child(node, segment);
    if (next === undefined) break;
    offset = next.keyOffset ?? startOf(next.value) ?? offset;
    node = next.value;
  }
  return offset;
}

function child(node: unknown, segment: string | number): { value: unknown; keyOffset?: number } | undefined {
  if (isSeq(node) && typeof segment === "number") {
    const value = node.items[segment];
    return value === undefined ? undefined : { value };
  }
  if (!isMap(node)) return undefined;
  for (const pair of node.items) {
    if (!isPair(pair)) continue;
    const key = isScalar(pair.key) ? pair.key.value : pair.key;
    if (String(key) !== String(segment)) continue;
    const keyOffset = startOf(pair.key);
    return keyOffset === undefined ? { value: pair.value } : { value: pair.value, keyOffset };
  }
  return undefined;
}

function startOf(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return Array.isArray(range) ? range[0] : undefined;
}
