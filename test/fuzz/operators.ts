// The table of named mutation operators. A case applies one to three of them (tree ones first, then at
// most one on the text); weights make the cheap, varied ones common and the multi-megabyte ones rare.

import * as Q from "./operators-request.js";
import * as Z from "./operators-size.js";
import * as S from "./operators-structure.js";
import * as T from "./operators-text.js";

/** `heldOut`: why a run leaves the operator out unless asked for by `--only` (a known, reported bug). */
type Common = { name: string; weight: number; heldOut?: string };
export type Operator = (Common & { tree: S.TreeOperator }) | (Common & { text: T.TextOperator });

export const OPERATORS: readonly Operator[] = [
  { name: "drop-field", weight: 8, tree: S.dropField },
  { name: "drop-required", weight: 6, tree: S.dropRequired },
  { name: "wrong-type", weight: 10, tree: S.wrongType },
  { name: "numbers-as-strings", weight: 5, tree: S.numbersAsStrings },
  { name: "edge-numbers", weight: 4, tree: S.edgeNumbers },
  { name: "extra-field", weight: 6, tree: S.extraField },
  { name: "huge-string", weight: 1, tree: Z.hugeStrings },
  { name: "huge-array", weight: 1, tree: Z.hugeArray },
  { name: "deep-nesting", weight: 5, tree: Z.deepNesting },
  { name: "unicode-text", weight: 8, tree: S.unicodeText },
  { name: "odd-keys", weight: 5, tree: S.oddKeys },
  { name: "control-chars", weight: 6, tree: S.controlChars },
  { name: "empty-containers", weight: 4, tree: S.emptyContainers },
  { name: "shuffle-keys", weight: 3, tree: S.shuffleKeys },
  { name: "uid-mismatch", weight: 5, tree: Q.uidMismatch },
  { name: "kind-mismatch", weight: 5, tree: Q.kindMismatch },
  { name: "operation-mismatch", weight: 5, tree: Q.operationMismatch },
  { name: "name-mismatch", weight: 5, tree: Q.nameMismatch },
  { name: "duplicate-key", weight: 6, tree: Q.duplicateKey },
  { name: "proto-key", weight: 3, tree: Q.protoKey },
  { name: "constructor-key", weight: 3, tree: Q.constructorKey },
  { name: "inherited-names", weight: 4, tree: Q.inheritedNames },
  { name: "truncate", weight: 3, text: T.truncate },
  { name: "garbage", weight: 3, text: T.garbage },
  { name: "not-a-review", weight: 1, text: T.notAReview },
];

/** What a run draws from by default. */
export const DRAWN = OPERATORS.filter((op) => op.heldOut === undefined);

export function operatorNamed(name: string): Operator {
  const found = OPERATORS.find((op) => op.name === name);
  if (!found) throw new Error(`no operator ${name}`);
  return found;
}
