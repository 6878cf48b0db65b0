// A Helm app's proposal is a values change only when exactly one value maps to the field. The pure half:
// the values keys that could (their current value is Git's rendered value there), and a values file with
// one of them set. Which one really maps is told by rendering (propose.ts).
import { isMap, isScalar, type Node, parseAllDocuments } from "yaml";
import type { Json } from "../core/types.js";
import { spliceEdits } from "./yaml-splice.js";

/** At most this many keys are tried per field: each one costs a render. */
export const MAX_CANDIDATES = 16;

/** Paths of map keys (no list indexes) whose scalar value equals `gitValue`, in file order. */
export function valueCandidates(text: string, gitValue: Json | undefined): string[][] {
  if (gitValue === undefined || gitValue === null || typeof gitValue === "object") return [];
  const doc = parseAllDocuments(text, { version: "1.1" })[0];
  const out: string[][] = [];
  const visit = (node: unknown, path: string[]) => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key !== undefined) visit(pair.value, [...path, key]);
      }
    } else if (isScalar(node) && sameValue(node.value, gitValue)) out.push(path);
  };
  visit(doc?.contents as Node | undefined, []);
  return out;
}

/** A values value and Git's normalized one: `0.5` in values may render as `500m`; `"3"` as 3. */
function sameValue(value: unknown, gitValue: Json): boolean {
  return (
    value === gitValue || (value !== null && typeof value !== "object" && String(value) === String(gitValue))
  );
}

/** The values text with the key at `path` set to `value` (only that scalar's bytes change). */
export function setValue(text: string, path: readonly string[], value: Json): string {
  const doc = parseAllDocuments(text, { version: "1.1" })[0];
  if (doc === undefined) return text;
  return spliceEdits(text, doc, [{ kind: "set", segments: path, value }]);
}
