// Audit annotations: the same facts as the warnings, for the API server's audit log. Keys carry no `/`
// (the server prefixes the webhook name) and values stay short.
import type { Decision } from "./decision.js";
import { cut } from "./format.js";
import type { Verdict } from "./verdict.js";

const VALUE_LIMIT = 1000;

export function auditAnnotations(decision: Decision): Record<string, string> {
  const out: Record<string, string> = {};
  if (decision.kind === "ignored" || decision.kind === "silent") return out;
  out.mode = decision.mode;
  switch (decision.kind) {
    case "unmanaged":
      // What was applied, not what the config asks: `unmanaged: deny` in audit mode warns.
      out.decision = `unmanaged-${decision.verdict.outcome}`;
      break;
    case "unknown":
      out.decision = decision.verdict.outcome === "deny" ? "denied-unknown" : "allowed-unknown";
      out.reason = cut(decision.reason, VALUE_LIMIT);
      break;
    case "gitops":
      out.decision = "allowed-gitops";
      out.commit = decision.commit;
      break;
    case "judged":
      out.decision = judgedAnnotation(decision.verdict);
      out.source = decision.desired.origin.source;
      out.commit = decision.desired.origin.commit;
      out.file = cut(decision.desired.origin.file, VALUE_LIMIT);
      addPaths(
        out,
        "violations",
        decision.violations.map((d) => d.path),
      );
      addPaths(
        out,
        "preexisting",
        decision.preexisting.map((d) => d.path),
      );
      addPaths(
        out,
        "exempted",
        decision.exempted.map((e) => `${e.drift.path} (${e.grant})`),
      );
      break;
  }
  return out;
}

function judgedAnnotation(verdict: Verdict): string {
  if (verdict.outcome === "deny") return "denied";
  return verdict.reason === "drift" ? "allowed-drift" : "allowed";
}

function addPaths(out: Record<string, string>, key: string, paths: readonly string[]): void {
  if (paths.length > 0) out[key] = cut(paths.join(", "), VALUE_LIMIT);
}
