// Edits of one YAML document as splices of its source text: the yaml library's document model finds
// the nodes (and their source ranges), and only the bytes of the changed nodes are rewritten. Comments,
// key order, quoting, anchors and indentation everywhere else stay byte for byte (re-stringifying a
// document would reformat it). Pure: text in, text out.
import {
  type Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Node,
  type Pair,
  Scalar,
  stringify,
  type YAMLMap,
  type YAMLSeq,
} from "yaml";
import { MERGE_KEYS } from "../core/fields.js";
import { ORDER_SEGMENT } from "../core/paths.js";
import type { Json, JsonObject, Path } from "../core/types.js";

/** One change of a document: set a value at a path (creating what is missing), or remove the node. */
export type NodeEdit =
  | { kind: "set"; segments: Path; value: Json }
  | { kind: "remove"; segments: Path }
  /** Add an item at the end of the list at the path (the list is created when missing). */
  | { kind: "append"; segments: Path; value: Json }
  /** Put the keyed list's elements in this order (segments like `[name=web]`). */
  | { kind: "order"; segments: Path; order: readonly string[] };

/** Why an edit cannot be made in the text: the caller turns it into DG_PROPOSE_UNMAPPABLE. */
export class UnmappableEdit extends Error {}

interface Splice {
  start: number;
  end: number;
  text: string;
}

/** The text with the edits applied to the document `doc` (parsed from `text`). */
export function spliceEdits(text: string, doc: Document, edits: readonly NodeEdit[]): string {
  const seqIndent = seqStyle(text, doc);
  const splices: Splice[] = [];
  const creates = new Map<string, { parent: YAMLMap; key: string; value: Json; order: number }>();
  edits.forEach((given, order) => {
    let edit = given;
    if (edit.kind === "order") {
      const field = edit.segments[edit.segments.length - 1] ?? "";
      splices.push(reorder(text, find(doc, edit.segments).node, field, edit.order));
      return;
    }
    if (edit.kind === "append") {
      const list = find(doc, edit.segments);
      if (isSeq(list.node)) {
        splices.push(appendItem(text, list.node, edit.value, seqIndent));
        return;
      }
      if (list.node !== undefined)
        throw new UnmappableEdit(`${edit.segments.join(".")} is not a list in the file`);
      edit = { kind: "set", segments: edit.segments, value: [edit.value] };
    }
    const found = find(doc, edit.segments);
    if (edit.kind === "remove") {
      if (found.node === undefined) return; // Git's value came from a default: nothing in the file to drop
      splices.push(removal(text, found));
      return;
    }
    if (found.node !== undefined) {
      splices.push(replacement(text, found.node, edit.value, seqIndent));
      return;
    }
    // Missing from here on: one new entry in the deepest node that exists, built from the rest.
    const rest = edit.segments.slice(found.depth);
    const { parent } = found;
    if (isSeq(parent)) {
      splices.push(
        appendItem(text, parent, elementFor(edit.segments, found.depth, rest, edit.value), seqIndent),
      );
      return;
    }
    if (!isMap(parent))
      throw new UnmappableEdit(`${describe(edit.segments, found.depth)} is not a map in the file`);
    const key = rest[0] as string;
    const value = nest(edit.segments, found.depth + 1, rest.slice(1), edit.value);
    const id = `${parent.range?.[0]}\u0000${key}`;
    const pending = creates.get(id);
    if (pending) pending.value = merge(pending.value, value);
    else creates.set(id, { parent, key, value, order });
  });
  for (const { parent, key, value } of [...creates.values()].sort((a, b) => a.order - b.order))
    splices.push(addPair(text, parent, key, value, seqIndent));
  return applySplices(text, splices);
}

interface Found {
  /** The node at the path, when the file has it. */
  node: Node | undefined;
  /** The pair holding it, when its parent is a map. */
  pair: Pair | undefined;
  /** The deepest node that exists on the way, and how many segments it took to reach it. */
  parent: Node | undefined;
  depth: number;
  /** The list holding it, when it is a list element. */
  seq: YAMLSeq | undefined;
}

function find(doc: Document, segments: Path): Found {
  let node = doc.contents as Node | null;
  let found: Found = {
    node: node ?? undefined,
    pair: undefined,
    parent: undefined,
    depth: 0,
    seq: undefined,
  };
  for (let depth = 0; depth < segments.length; depth++) {
    const segment = segments[depth] as string;
    if (node === null || node === undefined) break;
    if (segment === ORDER_SEGMENT) throw new UnmappableEdit("a list order is not a node");
    if (segment.startsWith("[")) {
      if (!isSeq(node)) throw new UnmappableEdit(`${describe(segments, depth)} is not a list in the file`);
      const field = segments[depth - 1] ?? "";
      const item = node.items.find((candidate) => segmentOf(field, candidate) === segment) as
        | Node
        | undefined;
      found = { node: item, pair: undefined, parent: node, depth, seq: node };
      node = item ?? null;
      continue;
    }
    if (!isMap(node)) throw new UnmappableEdit(`${describe(segments, depth)} is not a map in the file`);
    const pair = node.items.find((candidate) => keyOf(candidate) === segment);
    // A key that only a merge (`<<: *anchor`) brings is missing here: a set then adds it to this map,
    // which overrides the merged value and leaves the anchor as it is for its other users.
    const value = (pair?.value ?? null) as Node | null;
    found = { node: pair ? (value ?? undefined) : undefined, pair, parent: node, depth, seq: undefined };
    if (pair && value === null)
      throw new UnmappableEdit(`${describe(segments, depth + 1)} is empty in the file`);
    node = pair ? value : null;
  }
  // Missing: `parent` is the deepest node that exists and `depth` the first segment it lacks.
  if (found.node === undefined) return found;
  return { ...found, depth: segments.length };
}

function describe(segments: Path, depth: number): string {
  return segments.slice(0, depth).join(".") || "the document";
}

function keyOf(pair: Pair): string | undefined {
  const key = pair.key;
  if (isScalar(key)) return String(key.value);
  return typeof key === "string" ? key : undefined;
}

/** The element's segment as normalize writes it (`protocol` defaults to TCP before keys are read). */
function segmentOf(field: string, item: unknown): string | undefined {
  const keys = MERGE_KEYS[field];
  if (!keys || !isMap(item)) return undefined;
  const parts: string[] = [];
  for (const key of keys) {
    const pair = item.items.find((candidate) => keyOf(candidate) === key);
    const value = isScalar(pair?.value) ? pair.value.value : key === "protocol" ? "TCP" : undefined;
    if (value === undefined || value === null || typeof value === "object") return undefined;
    parts.push(`${key}=${String(value)}`);
  }
  return `[${parts.join(",")}]`;
}

/** The value of a list element to add: its merge keys (from the segment) with the nested rest. */
function elementFor(segments: Path, depth: number, rest: Path, value: Json): Json {
  const inner = nest(segments, depth + 1, rest.slice(1), value);
  const element = keysOf(rest[0] as string);
  if (rest.length === 1) return value;
  return merge(element, inner);
}

function keysOf(segment: string): JsonObject {
  const out: JsonObject = {};
  for (const part of segment.slice(1, -1).split(",")) {
    const at = part.indexOf("=");
    const raw = part.slice(at + 1);
    out[part.slice(0, at)] = /^\d+$/.test(raw) ? Number(raw) : raw;
  }
  return out;
}

/** `value` placed under the segments `rest` (objects for fields, one-element lists for elements). */
function nest(all: Path, depth: number, rest: Path, value: Json): Json {
  if (rest.length === 0) return value;
  const segment = rest[0] as string;
  if (segment.startsWith("[")) {
    if (rest.length === 1) return [value];
    return [merge(keysOf(segment), nest(all, depth + 1, rest.slice(1), value))];
  }
  return { [segment]: nest(all, depth + 1, rest.slice(1), value) };
}

function merge(left: Json, right: Json): Json {
  if (isPlainObject(left) && isPlainObject(right)) {
    const out: JsonObject = { ...left };
    for (const [key, value] of Object.entries(right))
      out[key] = key in out ? merge(out[key] as Json, value) : value;
    return out;
  }
  return right;
}

function isPlainObject(value: Json): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

// --- the splices ---------------------------------------------------------------------------------

function replacement(text: string, node: Node, value: Json, indentSeq: boolean): Splice {
  const [start, end] = rangeOf(node);
  if (isScalar(node) && !isBlockScalar(node) && (value === null || typeof value !== "object"))
    return { start, end, text: scalarText(value, node) };
  if (isFlow(node) || isScalar(node)) return { start, end, text: flowText(value) };
  // A block collection: the new one in block style, at the same column.
  const column = columnOf(text, start);
  const block = blockText(value, indentSeq).split("\n");
  return { start, end: trimEnd(text, start, end), text: block.join(`\n${" ".repeat(column)}`) };
}

function removal(text: string, found: Found): Splice {
  if (found.seq !== undefined) {
    const item = found.node as Node;
    if (isFlow(found.seq)) return flowRemoval(text, rangeOf(item));
    const dash = dashBefore(text, rangeOf(item)[0]);
    return { start: lineStart(text, dash), end: lineEnd(text, trimEnd(text, ...rangeOf(item))), text: "" };
  }
  const pair = found.pair as Pair;
  const keyStart = rangeOf(pair.key as Node)[0];
  const valueEnd = trimEnd(text, ...rangeOf(pair.value as Node));
  if (isFlow(found.parent as Node)) return flowRemoval(text, [keyStart, valueEnd]);
  const before = text.slice(lineStart(text, keyStart), keyStart);
  if (/^\s*$/.test(before))
    return { start: lineStart(text, keyStart), end: lineEnd(text, valueEnd), text: "" };
  // The first key of a list item (`- key: value`): the next key moves up behind the dash.
  const map = found.parent as YAMLMap;
  if (map.items.length === 1) return { start: keyStart, end: valueEnd, text: "{}" };
  const next = rangeOf(map.items[1]?.key as Node)[0];
  return { start: keyStart, end: next, text: "" };
}

function flowRemoval(text: string, [start, end]: readonly number[]): Splice {
  const after = /^\s*,\s*/.exec(text.slice(end));
  if (after) return { start: start as number, end: (end as number) + after[0].length, text: "" };
  const before = /,\s*$/.exec(text.slice(0, start));
  return {
    start: before ? (start as number) - before[0].length : (start as number),
    end: end as number,
    text: "",
  };
}

function addPair(text: string, map: YAMLMap, key: string, value: Json, indentSeq: boolean): Splice {
  if (isFlow(map)) {
    const close = text.lastIndexOf("}", rangeOf(map)[1]);
    const inner = text.slice(rangeOf(map)[0] + 1, close).trim();
    const entry = `${stringify(key).trimEnd()}: ${flowText(value)}`;
    return { start: close, end: close, text: inner === "" ? entry : `, ${entry}` };
  }
  const last = map.items[map.items.length - 1];
  if (!last) throw new UnmappableEdit("an empty block map");
  const column = columnOf(text, rangeOf(last.key as Node)[0]);
  const at = lineEnd(text, trimEnd(text, ...rangeOf((last.value ?? last.key) as Node)));
  const lines = blockText({ [key]: value }, indentSeq).split("\n");
  const body = lines.map((line) => (line === "" ? line : " ".repeat(column) + line)).join("\n");
  return insertLines(text, at, body);
}

function appendItem(text: string, seq: YAMLSeq, value: Json, indentSeq: boolean): Splice {
  if (isFlow(seq)) {
    const close = text.lastIndexOf("]", rangeOf(seq)[1]);
    const empty = seq.items.length === 0;
    return { start: close, end: close, text: `${empty ? "" : ", "}${flowText(value)}` };
  }
  const last = seq.items[seq.items.length - 1] as Node | undefined;
  if (!last) throw new UnmappableEdit("an empty block list");
  const dash = dashBefore(text, rangeOf(last)[0]);
  const column = columnOf(text, dash);
  const at = lineEnd(text, trimEnd(text, ...rangeOf(last)));
  const lines = blockText([value], indentSeq).split("\n");
  const body = lines.map((line) => (line === "" ? line : " ".repeat(column) + line)).join("\n");
  return insertLines(text, at, body);
}

/** New lines after the line ending at `at` (the index of its newline, or the end of the text). */
function insertLines(text: string, at: number, body: string): Splice {
  if (at < text.length) return { start: at + 1, end: at + 1, text: `${body}\n` };
  return { start: at, end: at, text: `\n${body}` };
}

/**
 * The list's elements put in `order` (segments): each element moves with its lines (comments above an
 * element go with it); elements the order does not name keep their places. Block lists only.
 */
function reorder(text: string, node: Node | undefined, field: string, order: readonly string[]): Splice {
  if (!isSeq(node) || node.flow || node.items.length === 0)
    throw new UnmappableEdit(`the order of ${field} can only be changed in a block list in the file`);
  const items = node.items as Node[];
  const starts = items.map((item) => lineStart(text, dashBefore(text, rangeOf(item)[0])));
  const lastEnd = lineEnd(text, trimEnd(text, ...rangeOf(items[items.length - 1] as Node)));
  const end = lastEnd < text.length ? lastEnd + 1 : lastEnd;
  const chunks = items.map((_, i) => {
    const chunk = text.slice(starts[i], i + 1 < items.length ? starts[i + 1] : end);
    return chunk.endsWith("\n") ? chunk : `${chunk}\n`;
  });
  const segments = items.map((item) => segmentOf(field, item));
  const named = segments.map((segment) => (segment === undefined ? -1 : order.indexOf(segment)));
  const moving = named.map((rank, i) => ({ rank, i })).filter(({ rank }) => rank >= 0);
  const sorted = [...moving].sort((a, b) => a.rank - b.rank);
  const result = [...chunks];
  moving.forEach(({ i }, k) => {
    result[i] = chunks[(sorted[k] as { i: number }).i] as string;
  });
  let joined = result.join("");
  if (end === text.length && !text.endsWith("\n")) joined = joined.slice(0, -1);
  return { start: starts[0] as number, end, text: joined };
}

function applySplices(text: string, splices: Splice[]): string {
  // From the end backwards, so that earlier offsets stay valid; equal starts keep their order.
  const sorted = splices.map((splice, index) => ({ splice, index }));
  sorted.sort((a, b) => b.splice.start - a.splice.start || b.index - a.index);
  let out = text;
  let limit = Number.POSITIVE_INFINITY;
  for (const { splice } of sorted) {
    if (splice.end > limit) throw new UnmappableEdit("two edits overlap in the file");
    out = out.slice(0, splice.start) + splice.text + out.slice(splice.end);
    limit = splice.start;
  }
  return out;
}

// --- text helpers ----------------------------------------------------------------------------------

function rangeOf(node: Node): [number, number] {
  const range = node.range;
  if (!range) throw new UnmappableEdit("a node without a place in the file");
  return [range[0], range[1]];
}

function isFlow(node: Node): boolean {
  return (isMap(node) || isSeq(node)) && node.flow === true;
}

function isBlockScalar(node: Scalar): boolean {
  return node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED;
}

/** Block collection ranges can end after trailing newlines and comments: end at the last value byte. */
function trimEnd(text: string, start: number, end: number): number {
  let at = end;
  while (at > start && /\s/.test(text[at - 1] ?? "")) at -= 1;
  return at;
}

function lineStart(text: string, at: number): number {
  return text.lastIndexOf("\n", at - 1) + 1;
}

/** The index of the newline ending the line of `at`, or the text's length. */
function lineEnd(text: string, at: number): number {
  const newline = text.indexOf("\n", at);
  return newline === -1 ? text.length : newline;
}

function columnOf(text: string, at: number): number {
  return at - lineStart(text, at);
}

function dashBefore(text: string, at: number): number {
  let dash = at - 1;
  while (dash >= 0 && text[dash] !== "-") dash -= 1;
  if (dash < 0) throw new UnmappableEdit("a list item without its dash");
  return dash;
}

const STRINGIFY = { version: "1.1", lineWidth: 0, minContentWidth: 0 } as const;

function scalarText(value: Json, old: Scalar): string {
  const scalar = new Scalar(value);
  const quoted = old.type === Scalar.QUOTE_DOUBLE || old.type === Scalar.QUOTE_SINGLE;
  if (typeof value === "string" && value.includes("\n")) scalar.type = Scalar.QUOTE_DOUBLE;
  else if (typeof value === "string" && quoted && old.type !== undefined) scalar.type = old.type;
  return stringify(scalar, STRINGIFY).trimEnd();
}

function flowText(value: Json): string {
  return stringify(value, { ...STRINGIFY, collectionStyle: "flow" }).trimEnd();
}

function blockText(value: Json, indentSeq: boolean): string {
  return stringify(value, { ...STRINGIFY, indentSeq }).trimEnd();
}

/** Whether the file indents block lists under their key (`key:\n  - a`) or not (`key:\n- a`). */
function seqStyle(text: string, doc: Document): boolean {
  let answer: boolean | undefined;
  const visit = (node: unknown) => {
    if (answer !== undefined) return;
    if (isMap(node))
      for (const pair of node.items) {
        const value = pair.value as Node | null;
        if (isSeq(value) && !value.flow && value.items.length > 0 && isPair(pair) && pair.key) {
          const dash = dashBefore(text, rangeOf(value.items[0] as Node)[0]);
          answer = columnOf(text, dash) > columnOf(text, rangeOf(pair.key as Node)[0]);
          return;
        }
        visit(value);
      }
    else if (isSeq(node)) for (const item of node.items) visit(item);
  };
  visit(doc.contents);
  return answer ?? true;
}
