// Hostile strings: unicode the API server would pass on (emoji, right-to-left overrides, zero-width,
// combining marks, lone surrogates, U+2028) and control characters it never would in a name.
import type { Rng } from "./prng.js";

const ODD = [
  "\u0000",
  "\u0007",
  "\u001b[31mred\u001b[0m",
  "\r\n",
  "\n",
  "\t",
  "\u007f",
  "\u0085",
  "\u202e",
  "\u200b",
  "\u2028",
  "\ufeff",
  "\ud800",
  "\udfff",
  "\uffff",
  "😀",
  "e\u0301",
  "ﬁ",
  "İ",
  "ß",
  "Ω",
  "..",
  "/",
  "%00",
  "\\",
  '"',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template placeholder as plain text is the point
  "${x}",
  "{{.}}",
];

/** A short string mixing plain text with hostile characters. */
export function oddString(r: Rng): string {
  const parts: string[] = [];
  const count = 1 + r.int(6);
  for (let i = 0; i < count; i++) parts.push(r.chance(0.3) ? "web" : r.pick(ODD));
  return parts.join("");
}

/** `size` characters: one repeated character, a unicode run, or a pseudo-random ASCII run. */
export function hugeString(r: Rng, size: number): string {
  switch (r.int(3)) {
    case 0:
      return "a".repeat(size);
    case 1:
      return "é😀\u0000".repeat(Math.ceil(size / 4)).slice(0, size);
    default: {
      const chunk = Array.from({ length: 256 }, () => String.fromCharCode(32 + r.int(95))).join("");
      return chunk.repeat(Math.ceil(size / 256)).slice(0, size);
    }
  }
}

/** A size from 1 KiB to `max` bytes, spread evenly on a log scale (most are small, a few are huge). */
export function logSize(r: Rng, max: number): number {
  return Math.floor(1024 * (max / 1024) ** r.next());
}
