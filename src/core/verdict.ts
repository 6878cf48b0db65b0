// The verdict: what driftguard answers (allow, warn, deny) and why, computed once in the core. The
// response, audit annotations, metrics, Events and the choice to fetch Git again all read it, so that
// no layer decides a second time whether a request is denied.
import type { Mode } from "./types.js";

/** `warn` is an allowance that carries warnings. */
export type Outcome = "allow" | "warn" | "deny";

export type VerdictReason =
  /** Another resource, or CONNECT: not driftguard's to judge. */
  | "not-judged"
  /** Mode off for this object. */
  | "mode-off"
  /** No Git source holds the object (config `unmanaged`). */
  | "unmanaged"
  /** Not synced yet, or two manifests disagree (config `onUnsynced`). */
  | "desired-unknown"
  /** A GitOps identity wrote the desired state of a recent revision. */
  | "gitops-revision"
  /** The request sets fields to values Git does not hold. */
  | "drift"
  /** Every such field is covered by an exemption or an RBAC grant. */
  | "exempted"
  /** Nothing the request changes drifts, but drift already live stays. */
  | "preexisting-drift"
  /** A DELETE inside a namespace that is being deleted. */
  | "namespace-terminating"
  /** Nothing drifts. */
  | "in-sync";

export interface Verdict {
  outcome: Outcome;
  reason: VerdictReason;
  /** The mode that applied; undefined when the request was not judged at all. */
  mode: Mode | undefined;
  /** True when enforce mode would deny this request: what audit mode lets through. */
  wouldDenyInEnforce: boolean;
}

/**
 * The one rule that turns "enforce would deny" into an outcome: deny only in enforce mode; audit mode
 * allows with warnings, so that a team rolling out in audit mode is never blocked.
 */
export function verdictFor(
  mode: Mode,
  reason: VerdictReason,
  wouldDenyInEnforce: boolean,
  warns: boolean,
): Verdict {
  const outcome: Outcome = wouldDenyInEnforce && mode === "enforce" ? "deny" : warns ? "warn" : "allow";
  return { outcome, reason, mode, wouldDenyInEnforce };
}

/** The verdict of requests driftguard does not judge or stays silent about. */
export function quietVerdict(reason: "not-judged" | "mode-off", mode?: Mode): Verdict {
  return { outcome: "allow", reason, mode, wouldDenyInEnforce: false };
}
