// decide: the pure decision of SPEC §4. Given the admission request, what the desired state knows about
// its object, the policy and who asks, say what drifted and whether to deny. No I/O.
import type { AdmissionRequest } from "./admission.js";
import type { Decision, Exempted, Subject } from "./decision.js";
import type { Desired } from "./desired.js";
import { exemptionFor, type GrantResolver } from "./exemptions.js";
import { matchingRevision } from "./gitops.js";
import { asObject } from "./json.js";
import { type Change, judge, scaleReplicas } from "./judge.js";
import type { Lookup } from "./lookup.js";
import type { Policy } from "./policy.js";
import { matchesSubjects } from "./subjects.js";
import type { Drift, Mode, ObjectKey, Requester } from "./types.js";

export interface DecideInput {
  request: AdmissionRequest;
  lookup: Lookup;
  policy: Policy;
  /** True when the object's namespace is being deleted (its deletes are always allowed). */
  namespaceTerminating: boolean;
  grant?: GrantResolver | undefined;
}

export function decide(input: DecideInput): Decision {
  const { request, lookup, policy } = input;
  const subject = subjectOf(request);
  if (typeof subject === "string") return { kind: "ignored", reason: subject };
  const fallbackMode = policy.namespaceModes.get(subject.key.namespace) ?? policy.mode;
  switch (lookup.kind) {
    case "unmanaged":
      return fallbackMode === "off" ? { kind: "silent", subject } : unmanaged(subject, fallbackMode, policy);
    case "unsynced":
    case "conflict": {
      if (fallbackMode === "off") return { kind: "silent", subject };
      const reason = lookup.kind === "conflict" ? "conflicting manifests in Git" : lookup.reason;
      const origins = lookup.kind === "conflict" ? lookup.origins : [];
      const deny = policy.onUnsynced === "deny" && fallbackMode === "enforce";
      return { kind: "unknown", subject, mode: fallbackMode, reason, origins, deny };
    }
    case "managed":
      return judgeManaged(input, subject, lookup.desired, lookup.desired.mode ?? fallbackMode);
  }
}

function unmanaged(subject: Subject, mode: Mode, policy: Policy): Decision {
  // Deleting an object Git does not hold removes drift; it is never refused for being unmanaged.
  const action = subject.operation === "DELETE" ? "allow" : policy.unmanaged;
  return { kind: "unmanaged", subject, mode, action };
}

function judgeManaged(input: DecideInput, subject: Subject, desired: Desired, mode: Mode): Decision {
  if (mode === "off") return { kind: "silent", subject };
  const change = changeOf(input.request);
  const isGitOps = matchesSubjects(subject.requester, input.policy.gitops);
  if (isGitOps && input.lookup.kind === "managed") {
    const commit = matchingRevision(input.lookup.recent, change);
    if (commit !== undefined) return { kind: "gitops", subject, mode, desired, commit };
  }
  const { violations, preexisting } = judge(desired, change);
  const namespaceTerminating = subject.operation === "DELETE" && input.namespaceTerminating;
  const { kept, exempted } = applyExemptions(namespaceTerminating ? [] : violations, input, subject);
  return {
    kind: "judged",
    subject,
    mode,
    desired,
    violations: kept,
    preexisting,
    exempted,
    gitops: isGitOps ? "no-matching-revision" : "not-gitops",
    namespaceTerminating,
    deny: mode === "enforce" && kept.length > 0,
  };
}

function applyExemptions(violations: readonly Drift[], input: DecideInput, subject: Subject) {
  const kept: Drift[] = [];
  const exempted: Exempted[] = [];
  for (const drift of violations) {
    const grant = exemptionFor(subject.requester, drift.group, input.policy, input.grant);
    if (grant === undefined) kept.push(drift);
    else exempted.push({ drift, grant });
  }
  return { kept, exempted };
}

/**
 * The object a request is about. `request.name` is empty on CREATE with generateName (K8S-FACTS §1), so
 * the object's own metadata fills in; DELETE carries only the stored object.
 */
export function objectKeyOf(request: AdmissionRequest): ObjectKey {
  const object = request.operation === "DELETE" ? request.oldObject : request.object;
  const metadata = asObject(object?.metadata);
  const name = request.name || (typeof metadata?.name === "string" ? metadata.name : "");
  const namespace = request.namespace || (typeof metadata?.namespace === "string" ? metadata.namespace : "");
  return { namespace, name };
}

/** The requester as the API server authenticated it. */
export function requesterOf(request: AdmissionRequest): Requester {
  return { username: request.userInfo.username ?? "", groups: request.userInfo.groups ?? [] };
}

/** Who asks for what, or the reason the request is not ours to judge. */
function subjectOf(request: AdmissionRequest): Subject | string {
  if (request.resource.group !== "apps" || request.resource.resource !== "deployments") {
    return `resource ${request.resource.group}/${request.resource.resource} is not judged`;
  }
  if (request.operation === "CONNECT") return "CONNECT is not judged";
  return {
    key: objectKeyOf(request),
    requester: requesterOf(request),
    operation: request.operation,
    subresource: request.subResource || undefined,
    dryRun: request.dryRun === true,
  };
}

function changeOf(request: AdmissionRequest): Change {
  if (request.operation === "DELETE") return { kind: "delete" };
  if (request.subResource === "scale") {
    const oldReplicas = request.oldObject ? scaleReplicas(request.oldObject) : undefined;
    return { kind: "scale", oldReplicas, replicas: scaleReplicas(request.object) };
  }
  const object = request.object ?? {};
  if (request.operation === "CREATE" || !request.oldObject) return { kind: "create", object };
  return { kind: "update", old: request.oldObject, object };
}
