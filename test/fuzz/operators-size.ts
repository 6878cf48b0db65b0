// Operators that make a review big or deep: huge strings and arrays that stay inside the 8 MiB body
// limit, and nesting around the server's depth limit of 100 levels and far past it. Large parts are Raw
// text, so neither this process nor the stringify recursion pays for them as objects.
import type { TreeOperator } from "./operators-structure.js";
import type { Rng } from "./prng.js";
import { nested, Raw } from "./raw-json.js";
import { hugeString, logSize } from "./strings.js";
import { pickSlot, type Slot, set, under } from "./tree-walk.js";

/** Bytes a grown field may take: the base review plus this stays inside the 8 MiB body limit. */
export const GROWTH_BUDGET = 6 * 1024 * 1024;

const isString = (s: Slot) => typeof s.value === "string";
const inRequest = (r: Rng) => (r.chance(0.5) ? under("request") : () => true);

export const hugeStrings: TreeOperator = (doc, r) => {
  const slot = pickSlot(doc, r, isString);
  // The unicode variant writes up to 3 bytes a character (an escaped NUL is 6 for one in four).
  if (slot) set(slot, hugeString(r, Math.floor(logSize(r, GROWTH_BUDGET) / 3)));
  return doc;
};

export const hugeArray: TreeOperator = (doc, r) => {
  const item = r.pick(['{"name":"x","value":"y"}', "0", '"system:authenticated"', "null", "{}"]);
  const count = Math.floor(logSize(r, GROWTH_BUDGET) / (item.length + 1));
  const slot = pickSlot(doc, r, (s) => Array.isArray(s.value)) ?? pickSlot(doc, r);
  if (slot) set(slot, new Raw(`[${Array.from({ length: count }, () => item).join(",")}]`));
  return doc;
};

// Around the server's limit of 100 levels (counted from the body), and far past it.
const DEPTHS = [5, 80, 94, 95, 96, 97, 98, 99, 100, 101, 120, 1000, 10_000, 100_000, 1_000_000];

export const deepNesting: TreeOperator = (doc, r) => {
  const slot = pickSlot(doc, r, inRequest(r));
  if (slot) set(slot, new Raw(nested(r.pick(DEPTHS), r.pick(["0", '"x"', "{}", "[]"]), r.chance(0.5))));
  return doc;
};
