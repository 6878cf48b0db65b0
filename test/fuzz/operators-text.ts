// Operators on the body's bytes, after the tree is written: broken JSON, stray bytes, other documents.
// Each must be answered 400 (or, for a harmless prefix the parser accepts, like any other review).
import type { Rng } from "./prng.js";

export type TextOperator = (text: string, r: Rng) => string | Buffer;

export const truncate: TextOperator = (text, r) => text.slice(0, r.int(text.length));

const TRAILERS = ["x", "}", "]", ",", "{}", "\u0000", " // c", "\n\n{}", "NaN"];

export const garbage: TextOperator = (text, r) => {
  switch (r.int(6)) {
    case 0:
      return text + r.pick(TRAILERS);
    case 1:
      return `\ufeff${text}`; // a byte order mark before the document
    case 2: {
      // Bytes that are not UTF-8 (a lone continuation byte, an overlong NUL, a surrogate) inside a string.
      const bytes = Buffer.from(text, "utf8");
      const at = bytes.indexOf(0x22, r.int(bytes.length)); // the next quote
      const bad = Buffer.from(r.pick([[0x80], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xff]]));
      return at < 0
        ? Buffer.concat([bytes, bad])
        : Buffer.concat([bytes.subarray(0, at + 1), bad, bytes.subarray(at + 1)]);
    }
    case 3:
      return text.replaceAll('"', "'");
    case 4:
      return `  \r\n\t${text}\r\n  `; // whitespace JSON allows
    default: {
      const at = r.int(text.length);
      return text.slice(0, at) + String.fromCharCode(r.int(32)) + text.slice(at);
    }
  }
};

const NOT_REVIEWS = ["[]", "null", "0", '"AdmissionReview"', "{}", "true", '{"request":{}}', "[{}]", ""];

export const notAReview: TextOperator = (_text, r) => r.pick(NOT_REVIEWS);
