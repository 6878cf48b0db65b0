// What counts as a good answer: 400 with `{error}` naming a reason, or 200 with an AdmissionReview whose
// response the API server would accept (uid echoed, allowed a boolean, warnings it would not drop or cut).
// Anything else, a transport error or a timeout included, is a failure.
import type { Sent } from "./client.js";

export type Outcome = "400" | "allowed" | "denied";
export type Verdict = { ok: true; outcome: Outcome } | { ok: false; reason: string };

/** apiserver cuts a warning to 256 runes and drops one with a control character (docs/kubernetes-facts.md). */
const WARNING_RUNES = 256;
const WARNINGS_TOTAL_RUNES = 4096;
// C0, DEL and C1: what the API server's warning header check refuses.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this looks for
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

// The API server drops an audit annotation whose `<webhook>/<key>` is not a qualified name.
const AUDIT_KEY = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

const bad = (reason: string): Verdict => ({ ok: false, reason });

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function checkAnswer(sent: Sent, uid: string | undefined): Verdict {
  if (!sent.ok) return bad(`transport: ${sent.error}`);
  const { status, text } = sent.answer;
  const body = parse(text) as Record<string, any> | undefined;
  if (status === 400) {
    return typeof body?.error === "string" && body.error.trim() !== ""
      ? { ok: true, outcome: "400" }
      : bad(`400 without an {error} reason: ${text.slice(0, 200)}`);
  }
  if (status !== 200) return bad(`HTTP ${status}: ${text.slice(0, 200)}`);
  if (body?.apiVersion !== "admission.k8s.io/v1" || body.kind !== "AdmissionReview")
    return bad(`200 but not an AdmissionReview v1: ${text.slice(0, 200)}`);
  const response = body.response as Record<string, any> | undefined;
  if (typeof response !== "object" || response === null) return bad("200 without a response");
  if (uid === undefined) return bad("200 for a body without a string request.uid");
  if (response.uid !== uid)
    return bad(`uid ${JSON.stringify(response.uid)} echoed for ${JSON.stringify(uid)}`);
  if (typeof response.allowed !== "boolean") return bad("response.allowed is not a boolean");
  const warnings = response.warnings ?? [];
  if (!Array.isArray(warnings)) return bad("response.warnings is not an array");
  let total = 0;
  for (const warning of warnings) {
    if (typeof warning !== "string") return bad("a warning is not a string");
    const runes = [...warning].length;
    total += runes;
    if (runes > WARNING_RUNES) return bad(`a warning of ${runes} runes: ${warning.slice(0, 80)}`);
    if (CONTROL.test(warning))
      return bad(`a warning with a control character: ${JSON.stringify(warning.slice(0, 80))}`);
  }
  if (total > WARNINGS_TOTAL_RUNES) return bad(`warnings of ${total} runes in all`);
  const s = response.status;
  if (
    s !== undefined &&
    (typeof s !== "object" || typeof s.code !== "number" || typeof s.message !== "string")
  )
    return bad(`response.status is not a Status: ${JSON.stringify(s).slice(0, 120)}`);
  if (!response.allowed && s === undefined) return bad("a denial without a status saying why");
  const audit = response.auditAnnotations ?? {};
  if (typeof audit !== "object" || audit === null || Array.isArray(audit))
    return bad("auditAnnotations is not a map");
  for (const [key, value] of Object.entries(audit)) {
    if (!AUDIT_KEY.test(key))
      return bad(`audit annotation key ${JSON.stringify(key)} is not a qualified name`);
    if (typeof value !== "string") return bad(`audit annotation ${key} is not a string`);
  }
  return { ok: true, outcome: response.allowed ? "allowed" : "denied" };
}
