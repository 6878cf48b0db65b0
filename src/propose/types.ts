// The input and output of a proposal (docs/contract.md §11, Proposals). The input is plain data, so
// that a proposal can be built from an AdmissionReview (`driftguard propose REVIEW.json`) or, later,
// from a decision record (`--request UID`): both are turned into a ProposalInput first.
import type { DriftChange, Json, ObjectKey, Origin, Path, Requester } from "../core/types.js";

/** One field the request changed against Git. */
export interface ProposalDrift {
  /** Printable path, e.g. `spec.template.spec.containers[name=web].image`. */
  path: string;
  segments: Path;
  change: DriftChange;
  /**
   * The requested value in normalized form (undefined for `removed`). MASKED when it came from a record
   * that masked it: such a field is refused (the value is not known).
   */
  requested: Json | undefined;
  /** The value as the request wrote it (not normalized), when known: preferred in the file. */
  written?: Json | undefined;
  sensitive?: boolean | undefined;
}

export interface ProposalInput {
  key: ObjectKey;
  /** The request's uid: names the branch and the commit. */
  uid: string;
  requester: Requester;
  /** When the request was made (ISO time); the time of the proposal when unknown. */
  at?: string | undefined;
  drifts: readonly ProposalDrift[];
  /** Where Git's desired state came from: the file (or app folder) to edit, at which commit. */
  origin: Origin;
}

/** One file's new content, repo-relative. `before` undefined: a new file. */
export interface FileChange {
  path: string;
  before: string | undefined;
  after: string;
}

export interface ProposalEdit {
  files: FileChange[];
  notes: string[];
}
