// Source URLs may carry credentials (`https://user:token@host/repo`), and git repeats the URL in its
// error messages. Every URL, message, log line and error that leaves this folder goes through here.

const MASK = "***";

// `scheme://userinfo@`. The userinfo part stops at whitespace, quotes and brackets (how git and we
// quote URLs in messages) but not at `/` or `@`: it runs to the last `@`, so a token pasted unencoded
// (`https://bot:p@ss@host`) is hidden whole, and hiding a little too much of a URL whose path holds an
// `@` is the safe mistake.
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s'"<>()[\]]+@/gi;

/** Hides the userinfo of a URL: `https://user:tok@h/x` → `https://***@h/x`. Other forms are kept. */
export function redactUrl(url: string): string {
  return redactText(url);
}

/** Hides the userinfo of every `scheme://user:pass@` found anywhere in a text. */
export function redactText(text: string): string {
  return text.replace(USERINFO, `$1${MASK}@`);
}

/** A short, single-line, redacted description of anything thrown. */
export function describeError(error: unknown): string {
  // Redact before cutting: a cut inside the userinfo would leave a token without its `@`.
  const raw = redactText(error instanceof Error ? error.message : String(error));
  const lines = raw
    .split(/[\r\n]+/)
    .map((line) => line.trim())
    .filter((line) => line !== "");
  // git prints progress and hints, then the reason from the transport (`ssh: connect to host ...`,
  // `Host key verification failed.`), then `fatal: ...`: keep the reason and the fatal lines.
  const first = lines.findIndex((line) => /^(fatal|error):/i.test(line));
  const reason = first > 0 && !/^hint:/i.test(lines[first - 1] ?? "") ? [lines[first - 1] ?? ""] : [];
  const fatal = lines.filter((line) => /^(fatal|error):/i.test(line));
  const chosen = (first < 0 ? lines : [...reason, ...fatal]).join("; ");
  const short = chosen.length > 500 ? `${chosen.slice(0, 497)}...` : chosen;
  return short === "" ? "unknown error" : short;
}
