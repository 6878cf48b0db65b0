// One fuzz case from one seed: a seed review, one to three operators, the body as bytes. Nothing here is
// random but the seeded PRNG, so `mutate(seeds, seed)` is the same case on every run and machine.
import { DRAWN, type Operator } from "./operators.js";
import { type Rng, rng } from "./prng.js";
import { stringify, type Tree } from "./raw-json.js";
import type { SeedReview } from "./seeds.js";

export interface FuzzCase {
  seed: number;
  from: string;
  operators: string[];
  body: string | Buffer;
  /** The uid the answer must echo: request.uid of the body as JSON.parse reads it, when a string. */
  uid: string | undefined;
}

const TOTAL_WEIGHT = DRAWN.reduce((sum, op) => sum + op.weight, 0);

function pickOperator(r: Rng): Operator {
  let ticket = r.next() * TOTAL_WEIGHT;
  for (const op of DRAWN) {
    ticket -= op.weight;
    if (ticket < 0) return op;
  }
  return DRAWN[DRAWN.length - 1]!;
}

export function mutate(seeds: readonly SeedReview[], seed: number, forced?: readonly Operator[]): FuzzCase {
  const r = rng(seed);
  const from = r.pick(seeds);
  const count = r.chance(0.7) ? 1 : 2 + r.int(2);
  // With `forced`, each case picks one of them (a run aimed at a few operators).
  const chosen = forced ? [r.pick(forced)] : Array.from({ length: count }, () => pickOperator(r));
  // Tree operators first, in the order drawn; then the first text operator, if any (one is enough: a
  // truncated body with garbage after it is just another broken body).
  let doc = structuredClone(from.body) as Tree;
  for (const op of chosen) if ("tree" in op) doc = op.tree(doc, r);
  let body: string | Buffer = stringify(doc);
  const text = chosen.find((op) => "text" in op);
  if (text && "text" in text) body = text.text(body, r);
  // Only operators that ran are named: a second text operator drawn is not, so no table counts it.
  const ran = chosen.filter((op) => "tree" in op || op === text).map((op) => op.name);
  return { seed, from: from.name, operators: ran, body, uid: expectedUid(body) };
}

function expectedUid(body: string | Buffer): string | undefined {
  try {
    // The server's parser skips a leading byte order mark (RFC 8259 §8.1 lets it); so does this oracle.
    const text = typeof body === "string" ? body : body.toString("utf8");
    const parsed = JSON.parse(text.replace(/^\uFEFF/, "")) as {
      request?: { uid?: unknown };
    };
    const uid = parsed?.request?.uid;
    return typeof uid === "string" ? uid : undefined;
  } catch {
    return undefined;
  }
}
