// JSON text with parts no JavaScript object can hold: duplicate keys, an own `__proto__` member, numbers
// JSON.parse turns into Infinity, nesting too deep for a recursive stringify. A mutated tree carries them as
// Raw values and as extra members under a symbol; stringify() writes them verbatim.
export class Raw {
  constructor(readonly text: string) {}
}

/** Members written after an object's own ones, as [key, raw JSON text]: a repeated key stays repeated. */
export const EXTRA_MEMBERS: unique symbol = Symbol("extra members");

export type Tree = null | boolean | number | string | Raw | Tree[] | TreeObject;
export interface TreeObject {
  [key: string]: Tree;
  [EXTRA_MEMBERS]?: Array<[string, string]>;
}

export function isObject(value: unknown): value is TreeObject {
  return value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Raw);
}

export function addMember(target: TreeObject, key: string, rawText: string): void {
  (target[EXTRA_MEMBERS] ??= []).push([key, rawText]);
}

/** The tree as JSON text. The trees it gets are real reviews (about 25 levels), so recursion is safe. */
export function stringify(value: Tree): string {
  if (value instanceof Raw) return value.text;
  if (Array.isArray(value)) return `[${value.map(stringify).join(",")}]`;
  if (isObject(value)) {
    const members = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${stringify(v)}`);
    for (const [k, text] of value[EXTRA_MEMBERS] ?? []) members.push(`${JSON.stringify(k)}:${text}`);
    return `{${members.join(",")}}`;
  }
  // JSON.stringify writes a lone surrogate as \ud800 (well-formed JSON), NaN and Infinity as null.
  return JSON.stringify(value);
}

/** `depth` nested arrays (or objects) around `inner`, as text: no recursion, however deep. */
export function nested(depth: number, inner = "0", asObjects = false): string {
  const open = asObjects ? '{"a":' : "[";
  const close = asObjects ? "}" : "]";
  return open.repeat(depth) + inner + close.repeat(depth);
}
