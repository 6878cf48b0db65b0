// A ProposalInput from an AdmissionReview's request and Git's desired object: the fields the request
// changes against Git, with the requested values unmasked (the request is the user's own), and each
// value as the request wrote it. Pure.
import type { AdmissionRequest } from "../core/admission.js";
import type { Desired } from "../core/desired.js";
import { diff } from "../core/diff.js";
import { isSensitive } from "../core/field-groups.js";
import { type GitOpsMarks, isMark } from "../core/gitops-marks.js";
import { isObject } from "../core/json.js";
import { scaleReplicas } from "../core/judge.js";
import { normalize } from "../core/normalize.js";
import { elementSegment, formatPath } from "../core/paths.js";
import { requesterOf } from "../core/subject.js";
import type { Drift, Json, JsonObject } from "../core/types.js";
import { DriftguardError } from "../errors.js";
import type { ProposalDrift, ProposalInput } from "./types.js";
import { writtenAt } from "./values.js";

/**
 * `marks`: the GitOps marks (config gitops.marks): labels and annotations a GitOps tool writes at apply
 * time are not drift (§10) and are never proposed into Git.
 */
export function proposalFromRequest(
  request: AdmissionRequest,
  desired: Desired,
  marks: GitOpsMarks,
  at?: string,
): ProposalInput {
  return {
    key: desired.key,
    uid: request.uid,
    requester: requesterOf(request),
    at,
    drifts:
      request.subResource === "scale"
        ? scaleDrifts(request, desired)
        : requestedDrifts(objectOf(request), desired, marks),
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
export function requestedDrifts(raw: JsonObject, desired: Desired, marks?: GitOpsMarks): ProposalDrift[] {
  const requested = normalize(raw, desired.options).object;
  const differences = diff(desired.normalized, requested, desired.lenient);
  const drifts = differences.map(({ path, left, right }): ProposalDrift => {
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
  return marks === undefined ? drifts : withoutMarks(drifts, marks, requested);
}

/** The drifts less the GitOps marks; a whole map Git lacks keeps only its keys that are not marks. */
function withoutMarks(
  drifts: readonly ProposalDrift[],
  marks: GitOpsMarks,
  requested: JsonObject,
): ProposalDrift[] {
  const out: ProposalDrift[] = [];
  for (const drift of drifts) {
    const asDrift: Drift = {
      ...drift,
      group: undefined,
      desired: undefined,
      actual: drift.requested,
      sensitive: false,
    };
    if (isMark(asDrift, marks, requested)) continue;
    const [root, map] = drift.segments;
    const keys = map === "labels" ? marks.labels : map === "annotations" ? marks.annotations : undefined;
    if (
      root !== "metadata" ||
      drift.segments.length !== 2 ||
      keys === undefined ||
      drift.change !== "added"
    ) {
      out.push(drift);
      continue;
    }
    const kept = (value: Json | undefined): Json | undefined =>
      isObject(value) ? Object.fromEntries(Object.entries(value).filter(([name]) => !keys.has(name))) : value;
    out.push({
      ...drift,
      requested: kept(drift.requested),
      ...(drift.written === undefined ? {} : { written: kept(drift.written) }),
    });
  }
  return out;
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
