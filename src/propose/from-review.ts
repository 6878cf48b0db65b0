// A ProposalInput from an AdmissionReview's request and Git's desired object: the fields the request
// changes against Git, with the requested values unmasked (the request is the user's own), and each
// value as the request wrote it. Pure.
import type { AdmissionRequest } from "../core/admission.js";
import type { Desired } from "../core/desired.js";
import { diff } from "../core/diff.js";
import { isSensitive } from "../core/field-groups.js";
import { scaleReplicas } from "../core/judge.js";
import { normalize } from "../core/normalize.js";
import { elementSegment, formatPath } from "../core/paths.js";
import { requesterOf } from "../core/subject.js";
import type { Json, JsonObject } from "../core/types.js";
import { DriftguardError } from "../errors.js";
import type { ProposalDrift, ProposalInput } from "./types.js";
import { writtenAt } from "./values.js";

export function proposalFromRequest(request: AdmissionRequest, desired: Desired, at?: string): ProposalInput {
  return {
    key: desired.key,
    uid: request.uid,
    requester: requesterOf(request),
    at,
    drifts:
      request.subResource === "scale"
        ? scaleDrifts(request, desired)
        : requestedDrifts(objectOf(request), desired),
    origin: desired.origin,
  };
}

function objectOf(request: AdmissionRequest): JsonObject {
  if (request.operation === "DELETE")
    throw new DriftguardError("DG_PROPOSE_UNMAPPABLE", "a DELETE is not proposed as a Git change", {
      where: `request ${request.uid}`,
      hint: "remove the manifest from Git by hand if the Deployment should go",
    });
  return request.object ?? {};
}

/** A scale request asks for Git's object with other replicas. */
function scaleDrifts(request: AdmissionRequest, desired: Desired): ProposalDrift[] {
  const replicas = scaleReplicas(request.object);
  const git = (desired.normalized.spec as JsonObject | undefined)?.replicas;
  if (git === replicas) return [];
  const segments = ["spec", "replicas"];
  const change = git === undefined ? "added" : "changed";
  return [{ path: "spec.replicas", segments, change, requested: replicas, written: replicas }];
}

/** Every field where `raw` differs from Git, with the requested value in full (never masked). */
export function requestedDrifts(raw: JsonObject, desired: Desired): ProposalDrift[] {
  const requested = normalize(raw, desired.options).object;
  const differences = diff(desired.normalized, requested, desired.lenient);
  return differences.map(({ path, left, right }) => {
    const written = right === undefined ? undefined : writtenAt(raw, path, rawSegment);
    return {
      path: formatPath(path),
      segments: path,
      change: left === undefined ? "added" : right === undefined ? "removed" : "changed",
      requested: right,
      ...(written === undefined ? {} : { written }),
      sensitive: isSensitive(path, [left, right]),
    };
  });
}

function rawSegment(field: string, item: Json): string | undefined {
  // Normalize fills `protocol: TCP` before it reads a port's keys: so does the lookup of a written port.
  if (
    field === "ports" &&
    item !== null &&
    typeof item === "object" &&
    !Array.isArray(item) &&
    !item.protocol
  )
    return elementSegment(field, { ...item, protocol: "TCP" });
  return elementSegment(field, item);
}
