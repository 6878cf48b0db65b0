// A decision record as a proposal's input (`driftguard propose --request UID`, docs/contract.md §11):
// the fields the request asked for, compared again with Git's desired state as it is now. A field Git
// already holds (the change was merged since) is left out; a masked value stays masked, so that the
// proposal refuses it rather than writing "<masked>" into Git.
import type { DecisionRecord } from "../core/decision-record.js";
import type { Desired } from "../core/desired.js";
import { jsonEqual } from "../core/json.js";
import { type DriftChange, type Json, MASKED } from "../core/types.js";
import { DriftguardError } from "../errors.js";
import type { ProposalDrift, ProposalInput } from "./types.js";
import { valueAt } from "./values.js";

export function proposalFromRecord(record: DecisionRecord, desired: Desired): ProposalInput {
  if (record.operation === "DELETE")
    throw new DriftguardError("DG_PROPOSE_UNMAPPABLE", "a DELETE is not proposed as a Git change", {
      where: `request ${record.requestUid}`,
      hint: "remove the manifest from Git by hand if the Deployment should go",
    });
  const drifts = record.fields
    // Drift already live was not this request's doing.
    .filter((field) => field.role !== "preexisting")
    .flatMap((field): ProposalDrift[] => {
      const requested = field.masked && field.requested !== undefined ? MASKED : field.requested;
      const change = changeAgainst(valueAt(desired.normalized, field.segments), requested);
      if (change === undefined) return [];
      return [{ path: field.path, segments: field.segments, change, requested, sensitive: field.masked }];
    });
  return {
    key: { namespace: record.object.namespace, name: record.object.name },
    uid: record.requestUid,
    requester: { username: record.requester.username, groups: record.requester.groups },
    at: record.time,
    drifts,
    origin: desired.origin,
  };
}

/** How the requested value differs from Git's value now; undefined when Git already holds it. */
function changeAgainst(git: Json | undefined, requested: Json | undefined): DriftChange | undefined {
  if (requested === undefined) return git === undefined ? undefined : "removed";
  if (git === undefined) return "added";
  return requested !== MASKED && jsonEqual(git, requested) ? undefined : "changed";
}
