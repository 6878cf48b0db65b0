// Searches the artefacts of a run (log lines, answers, Events, Reports, records, pages) for secret values,
// in the forms a leak would take: as written, escaped inside a JSON string, URL-encoded, and base64-encoded
// at any offset (a Basic auth header holds `user:token` in base64, so the token's own encoding would
// not be found there). Pure: the caller reads the artefacts, this only looks.

export interface Secret {
  name: string;
  value: string;
  /** More texts that give the secret away (the lines of a private key, a `user:token` pair). */
  fragments?: readonly string[];
}

export interface Artefact {
  /** What sort of thing it is, counted in the summary: "log line", "Event", "Report", ... */
  kind: string;
  /** Which one, for the failure message: a file, an object's namespace/name, a command. */
  name: string;
  text: string;
}

export interface Hit {
  secret: string;
  form: string;
  artefact: string;
  kind: string;
  /** Up to 60 characters either side, the secret itself replaced by `<secret NAME>`. */
  context: string;
}

/** Shorter texts than this are not searched: they would match by chance. */
const MIN_NEEDLE = 8;

interface Needle {
  secret: string;
  form: string;
  text: string;
}

/** Every form of every secret that must not appear, each tagged with how it was made. */
export function needlesOf(secrets: readonly Secret[]): Needle[] {
  const needles: Needle[] = [];
  for (const secret of secrets) {
    for (const [index, text] of [secret.value, ...(secret.fragments ?? [])].entries()) {
      const origin = index === 0 ? "" : ` (fragment ${index})`;
      for (const [form, encoded] of formsOf(text)) {
        if (encoded.length < MIN_NEEDLE) continue;
        if (needles.some((needle) => needle.text === encoded)) continue;
        needles.push({ secret: secret.name, form: `${form}${origin}`, text: encoded });
      }
    }
  }
  return needles;
}

function formsOf(value: string): Array<[string, string]> {
  return [
    ["as written", value],
    ["JSON-escaped", JSON.stringify(value).slice(1, -1)],
    ["JSON-escaped twice", JSON.stringify(JSON.stringify(value)).slice(3, -3)],
    ["URL-encoded", encodeURIComponent(value)],
    ...base64Cores(value).map((core): [string, string] => ["base64", core]),
    ...base64Cores(value, "base64url").map((core): [string, string] => ["base64url", core]),
  ];
}

/**
 * The part of the base64 text that is the same wherever the value sits in the encoded bytes: for each of
 * the three alignments, the characters that depend on the value's bytes only.
 */
export function base64Cores(value: string, encoding: "base64" | "base64url" = "base64"): string[] {
  const bytes = Buffer.from(value, "utf8");
  const cores: string[] = [];
  for (const pad of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(pad), bytes])
      .toString(encoding)
      .replace(/=+$/, "");
    // A character is 6 bits; the value's bits run from 8*pad to 8*(pad+n): the characters wholly inside
    // that range are the same whatever bytes stand before and after the value.
    const start = Math.ceil((pad * 8) / 6);
    const end = Math.floor(((pad + bytes.length) * 8) / 6);
    const core = encoded.slice(start, end);
    if (core !== "") cores.push(core);
  }
  return cores;
}

/** The first artefact that holds a secret in any form, or undefined. */
export function findLeak(artefacts: readonly Artefact[], secrets: readonly Secret[]): Hit | undefined {
  const needles = needlesOf(secrets);
  for (const artefact of artefacts) {
    for (const needle of needles) {
      const at = artefact.text.indexOf(needle.text);
      if (at < 0) continue;
      return {
        secret: needle.secret,
        form: needle.form,
        artefact: artefact.name,
        kind: artefact.kind,
        context: maskedContext(artefact.text, at, needle, needles),
      };
    }
  }
  return undefined;
}

function maskedContext(text: string, at: number, hit: Needle, needles: readonly Needle[]): string {
  let context = text.slice(Math.max(0, at - 60), at + hit.text.length + 60);
  // Every needle, not only the one found: a failure message must not print another secret beside it.
  for (const needle of [...needles].sort((a, b) => b.text.length - a.text.length))
    context = context.split(needle.text).join(`<secret ${needle.secret}>`);
  return context.replace(/\s+/g, " ");
}

/** One failure line: where, what, and the masked context. */
export function describeHit(hit: Hit): string {
  return `secret ${hit.secret} (${hit.form}) found in ${hit.kind} ${hit.artefact}: …${hit.context}…`;
}

/** `412 log lines, 9 Events, ...`: each kind with how many artefacts of it were searched. */
export function countsOf(artefacts: readonly Artefact[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const artefact of artefacts) counts.set(artefact.kind, (counts.get(artefact.kind) ?? 0) + 1);
  return counts;
}

export function summaryOf(artefacts: readonly Artefact[], hits: number): string {
  const parts = [...countsOf(artefacts)].map(([kind, count]) => `${count} × ${kind}`);
  return `scanned ${parts.join(", ")}; ${hits} hits`;
}

/** A text of many lines as one artefact per non-empty line (a log file: the line number names it). */
export function linesOf(kind: string, name: string, text: string): Artefact[] {
  return text
    .split("\n")
    .map((line, index) => ({ kind, name: `${name}:${index + 1}`, text: line }))
    .filter((artefact) => artefact.text.trim() !== "");
}
