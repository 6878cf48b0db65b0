// Where a mutation can land: every member of every object and every element of every array in a review,
// with its path, so operators can aim at any node (structure-aware) or at the fields that matter.
import type { Rng } from "./prng.js";
import { isObject, Raw, type Tree, type TreeObject } from "./raw-json.js";

export interface Slot {
  holder: TreeObject | Tree[];
  key: string | number;
  value: Tree;
  path: readonly (string | number)[];
}

/** Every slot, parents before children. Bounded by the tree's size; trees are real reviews. */
export function slots(root: Tree): Slot[] {
  const out: Slot[] = [];
  const visit = (node: Tree, path: (string | number)[]) => {
    if (Array.isArray(node)) {
      node.forEach((child, i) => {
        out.push({ holder: node, key: i, value: child, path: [...path, i] });
        visit(child, [...path, i]);
      });
    } else if (isObject(node)) {
      for (const [key, child] of Object.entries(node)) {
        out.push({ holder: node, key, value: child, path: [...path, key] });
        visit(child, [...path, key]);
      }
    }
  };
  visit(root, []);
  return out;
}

export function set(slot: Slot, value: Tree): void {
  (slot.holder as Record<string | number, Tree>)[slot.key] = value;
}

export function remove(slot: Slot): void {
  if (Array.isArray(slot.holder)) slot.holder.splice(slot.key as number, 1);
  else delete slot.holder[slot.key as string];
}

/** Every object node (the root included): where members can be added. */
export function objects(root: Tree): TreeObject[] {
  const found = slots(root)
    .map((s) => s.value)
    .filter(isObject);
  return isObject(root) ? [root, ...found] : found;
}

/** A slot picked uniformly, or one under `prefix` (e.g. ["request"]) when asked and present. */
export function pickSlot(root: Tree, r: Rng, filter: (s: Slot) => boolean = () => true): Slot | undefined {
  const candidates = slots(root).filter(filter);
  return candidates.length === 0 ? undefined : r.pick(candidates);
}

export const under =
  (...prefix: (string | number)[]) =>
  (s: Slot): boolean =>
    prefix.every((p, i) => s.path[i] === p);

export function requestOf(root: Tree): TreeObject | undefined {
  return isObject(root) && isObject(root.request) ? root.request : undefined;
}

/** A value of another JSON type than `value`'s. */
export function otherType(value: Tree, r: Rng): Tree {
  const all: Tree[] = [null, true, false, 0, -1, 3.5, "", "x", [], [1, "a"], {}, { a: 1 }];
  const kind = (v: Tree) =>
    v instanceof Raw ? "raw" : Array.isArray(v) ? "array" : v === null ? "null" : typeof v;
  return r.pick(all.filter((v) => kind(v) !== kind(value)));
}
