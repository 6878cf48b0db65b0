// What the desired state knows about one object, as handed to the decision core by the state service.
import type { Desired } from "./desired.js";
import type { Origin } from "./types.js";

export interface RecentRevision {
  commit: string;
  /** The object's desired state at that commit; undefined when the commit does not hold it. */
  desired: Desired | undefined;
}

export type Lookup =
  /** Desired state is not known yet (no source synced) or cannot be trusted for this object. */
  | { kind: "unsynced"; reason: string }
  | { kind: "unmanaged" }
  /** Two manifests with different content claim the object: its desired state is unknown. */
  | { kind: "conflict"; origins: readonly Origin[] }
  | {
      kind: "managed";
      desired: Desired;
      /** The object's recent desired states, newest first: asked for only when a GitOps identity writes. */
      recent: () => readonly RecentRevision[];
    };
