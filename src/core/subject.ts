// Who asks for what: the object key and the requester of an admission request, computed once per
// request and shared by the lookup, the RBAC grants and the decision.
import type { AdmissionRequest } from "./admission.js";
import type { Subject } from "./decision.js";
import { asObject } from "./json.js";
import type { ObjectKey, Requester } from "./types.js";

/** Who asks for what, or the reason the request is not ours to judge. */
export function subjectOf(request: AdmissionRequest): Subject | string {
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

/**
 * The object a request is about. `request.name` is empty on CREATE with generateName (docs/kubernetes-facts.md §1), so
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
