// The decision vocabulary: what the core decided and why, before it is rendered as an admission answer.
// Every decision carries its Verdict; nothing downstream decides again.
import type { Desired } from "./desired.js";
import type { BindingRef } from "./exemptions.js";
import type { UnmanagedAction } from "./policy.js";
import type { Drift, Mode, ObjectKey, Origin, Requester } from "./types.js";
import type { Verdict } from "./verdict.js";

export interface Exempted {
  drift: Drift;
  /** The grant that exempts the requester, as messages name it. */
  grant: string;
  /** The RBAC binding that grants it (undefined for a config exemption). */
  binding?: BindingRef | undefined;
  /** The binding's expiry as written, when it is a break-glass grant. */
  expiresAt?: string | undefined;
}

/** What happened with a GitOps identity's request. */
export type GitOpsNote = "not-gitops" | "no-matching-revision";

/** Who asks for what: computed once per request. */
export interface Subject {
  key: ObjectKey;
  requester: Requester;
  operation: "CREATE" | "UPDATE" | "DELETE";
  subresource: string | undefined;
  dryRun: boolean;
}

export type Decision =
  /** Not something driftguard judges (another resource, CONNECT): allowed without a word. */
  | { kind: "ignored"; verdict: Verdict; reason: string }
  /** Mode off for this object: allowed without a word. */
  | { kind: "silent"; verdict: Verdict; subject: Subject }
  | { kind: "unmanaged"; verdict: Verdict; subject: Subject; mode: Mode; action: UnmanagedAction }
  | {
      kind: "unknown";
      verdict: Verdict;
      subject: Subject;
      mode: Mode;
      reason: string;
      origins: readonly Origin[];
    }
  | { kind: "gitops"; verdict: Verdict; subject: Subject; mode: Mode; desired: Desired; commit: string }
  | {
      kind: "judged";
      verdict: Verdict;
      subject: Subject;
      mode: Mode;
      desired: Desired;
      violations: readonly Drift[];
      preexisting: readonly Drift[];
      exempted: readonly Exempted[];
      gitops: GitOpsNote;
      /** Set when the object's namespace is being deleted: its deletes are allowed. */
      namespaceTerminating: boolean;
    };

export type JudgedDecision = Extract<Decision, { kind: "judged" }>;
