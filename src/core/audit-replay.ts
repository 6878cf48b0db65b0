// Reading a kube-apiserver audit log (audit.k8s.io/v1 Events, one JSON object a line) as the admission
// requests driftguard would have judged: `driftguard replay` (docs/contract.md §7). Pure and stateful
// only in what it remembers: the last stored state of each Deployment seen in the log, which is the
// old object of the next write (the log holds no other record of it).
//
// What is judged and what is not, and why:
// - new object: the response (RequestResponse level: the object as stored after the write), else for a
//   full-object create or update the request body (Request level). A patch without its response cannot
//   be judged without re-implementing the API server's patches: "not judged", never a guess.
// - old object: the stored state of an earlier event of the same Deployment in the log. Without one, an
//   update is "not judged": counting it as a create would blame the request for drift already there.
// - dry-run requests (requestURI dryRun=...) changed nothing and are skipped; so are reads, other
//   resources and subresources other than scale (the webhook is not called for them).
// - a request the API server refused (responseStatus.code >= 400) has no result: "denied at the time",
//   told apart when driftguard's webhook was the one that denied it.
import type { AdmissionRequest, Operation } from "./admission.js";
import { groupOf } from "./field-groups.js";
import { asObject } from "./json.js";
import { parsePathPattern } from "./paths.js";
import type { FieldGroup, Json, JsonObject } from "./types.js";

/** What a replay says of one write: who, what, when. */
export interface EventFacts {
  auditID: string;
  /** requestReceivedTimestamp (RFC 3339), else stageTimestamp. */
  time: string;
  user: string;
  groups: string[];
  verb: string;
  namespace: string;
  name: string;
  subresource: string | undefined;
}

export type AuditItem =
  /** Not a write driftguard judges, or a stage other than ResponseComplete. */
  | { kind: "skipped"; reason: string }
  /** The line is not an audit Event. */
  | { kind: "bad"; message: string }
  | {
      kind: "denied-at-time";
      event: EventFacts;
      /** True when driftguard's webhook denied it (the status message says so). */
      byDriftguard: boolean;
      code: number;
      message: string;
      /** The paths driftguard named (its `violations` audit annotation), when it was driftguard. */
      paths: string[];
    }
  | { kind: "not-judged"; event: EventFacts; reason: string }
  | { kind: "request"; event: EventFacts; request: AdmissionRequest };

export const NOT_JUDGED = {
  noResult: "no resulting object: a patch logged at Request level (log deployments at RequestResponse level)",
  noPrevious:
    "the object's state before the request is not in the log (its create or an earlier write of it is not logged)",
  deleteCollection: "deletecollection: the deleted objects are not in the log",
} as const;

const WRITES: Readonly<Record<string, Operation>> = {
  create: "CREATE",
  update: "UPDATE",
  patch: "UPDATE",
  delete: "DELETE",
};
const READS = new Set(["get", "list", "watch"]);

// A Deployment's full state is kept per object seen; a log of a cluster with more objects than this
// forgets the oldest (their next update is then "not judged"), which bounds the memory of a replay.
const MAX_REMEMBERED = 20_000;

export class AuditReader {
  private readonly stored = new Map<string, JsonObject>();

  /** One line of the log. Blank lines are skipped; nothing here throws. */
  read(line: string): AuditItem {
    if (line.trim() === "") return { kind: "skipped", reason: "blank line" };
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return { kind: "bad", message: "not JSON" };
    }
    const event = asObject(parsed as Json);
    if (event === undefined || event.kind !== "Event" || event.apiVersion !== "audit.k8s.io/v1")
      return { kind: "bad", message: "not an audit.k8s.io/v1 Event" };
    return this.readEvent(event);
  }

  private readEvent(event: JsonObject): AuditItem {
    if (event.stage !== undefined && event.stage !== "ResponseComplete")
      return { kind: "skipped", reason: `stage ${String(event.stage)}` };
    const ref = asObject(event.objectRef);
    if (ref?.apiGroup !== "apps" || ref.resource !== "deployments")
      return { kind: "skipped", reason: "not a Deployment" };
    const verb = String(event.verb ?? "");
    const subresource =
      typeof ref.subresource === "string" && ref.subresource !== "" ? ref.subresource : undefined;
    if (subresource !== undefined && subresource !== "scale")
      return { kind: "skipped", reason: `subresource ${subresource}` };
    if (READS.has(verb)) return { kind: "skipped", reason: "a read" };
    if (isDryRun(event)) return { kind: "skipped", reason: "dry run" };
    const facts = factsOf(event, ref, verb, subresource);
    if (facts === undefined) return { kind: "bad", message: "an event without namespace or name" };
    if (verb === "deletecollection")
      return { kind: "not-judged", event: facts, reason: NOT_JUDGED.deleteCollection };
    const operation = WRITES[verb];
    if (operation === undefined) return { kind: "skipped", reason: `verb ${verb || "(none)"}` };
    const status = asObject(event.responseStatus);
    const code = typeof status?.code === "number" ? status.code : 200;
    if (code >= 400) return deniedAtTime(event, facts, code, String(status?.message ?? ""));
    return this.judgeable(event, facts, operation);
  }

  private judgeable(event: JsonObject, facts: EventFacts, operation: Operation): AuditItem {
    const key = `${facts.namespace}/${facts.name}`;
    const previous = this.stored.get(key);
    const base = requestBase(facts, operation);
    if (operation === "DELETE") {
      this.forget(key);
      const response = deploymentIn(event.responseObject);
      // Finalizers keep a deleted object: it is still stored, with its deletionTimestamp.
      if (response !== undefined && asObject(response.metadata)?.deletionTimestamp)
        this.remember(key, response);
      const oldObject = previous ?? { metadata: { name: facts.name, namespace: facts.namespace } };
      return { kind: "request", event: facts, request: { ...base, oldObject, object: null } };
    }
    if (facts.subresource === "scale") return this.scale(event, facts, base, previous, key);
    const result =
      deploymentIn(event.responseObject) ??
      (facts.verb === "patch" ? undefined : deploymentIn(event.requestObject));
    if (result === undefined) return { kind: "not-judged", event: facts, reason: NOT_JUDGED.noResult };
    this.remember(key, result);
    if (operation === "CREATE")
      return { kind: "request", event: facts, request: { ...base, object: result } };
    if (previous === undefined) return { kind: "not-judged", event: facts, reason: NOT_JUDGED.noPrevious };
    return { kind: "request", event: facts, request: { ...base, object: result, oldObject: previous } };
  }

  private scale(
    event: JsonObject,
    facts: EventFacts,
    base: AdmissionRequest,
    previous: JsonObject | undefined,
    key: string,
  ): AuditItem {
    const scale =
      scaleIn(event.responseObject) ?? (facts.verb === "patch" ? undefined : scaleIn(event.requestObject));
    if (scale === undefined) return { kind: "not-judged", event: facts, reason: NOT_JUDGED.noResult };
    if (previous === undefined) return { kind: "not-judged", event: facts, reason: NOT_JUDGED.noPrevious };
    // A Scale carries only replicas (scale to 0 arrives as `spec: {}`): the stored Deployment takes them.
    const replicas = asObject(scale.spec)?.replicas ?? 0;
    const spec = asObject(previous.spec) ?? {};
    this.remember(key, { ...previous, spec: { ...spec, replicas } });
    const oldScale = { kind: "Scale", spec: { replicas: spec.replicas ?? 0 } };
    return { kind: "request", event: facts, request: { ...base, object: scale, oldObject: oldScale } };
  }

  private remember(key: string, object: JsonObject): void {
    this.stored.delete(key);
    this.stored.set(key, object);
    if (this.stored.size > MAX_REMEMBERED) {
      const oldest = this.stored.keys().next().value;
      if (oldest !== undefined) this.stored.delete(oldest);
    }
  }

  private forget(key: string): void {
    this.stored.delete(key);
  }
}

function isDryRun(event: JsonObject): boolean {
  const uri = typeof event.requestURI === "string" ? event.requestURI : "";
  const query = uri.includes("?") ? uri.slice(uri.indexOf("?") + 1) : "";
  return new URLSearchParams(query).getAll("dryRun").some((value) => value !== "");
}

function factsOf(
  event: JsonObject,
  ref: JsonObject,
  verb: string,
  subresource: string | undefined,
): EventFacts | undefined {
  const namespace = typeof ref.namespace === "string" ? ref.namespace : "";
  const created = deploymentIn(event.responseObject) ?? deploymentIn(event.requestObject);
  const name =
    typeof ref.name === "string" && ref.name !== ""
      ? ref.name
      : String(asObject(created?.metadata)?.name ?? "");
  if (namespace === "" || (name === "" && verb !== "deletecollection")) return undefined;
  // Impersonation: the webhook sees the impersonated user, so the replay judges as that user.
  const user = asObject(event.impersonatedUser) ?? asObject(event.user) ?? {};
  const time = event.requestReceivedTimestamp ?? event.stageTimestamp;
  return {
    auditID: String(event.auditID ?? ""),
    time: typeof time === "string" ? time : "",
    user: typeof user.username === "string" ? user.username : "",
    groups: Array.isArray(user.groups) ? user.groups.filter((g): g is string => typeof g === "string") : [],
    verb,
    namespace,
    name,
    subresource,
  };
}

function requestBase(facts: EventFacts, operation: Operation): AdmissionRequest {
  const scale = facts.subresource === "scale";
  const request: AdmissionRequest = {
    uid: facts.auditID,
    kind: scale
      ? { group: "autoscaling", version: "v1", kind: "Scale" }
      : { group: "apps", version: "v1", kind: "Deployment" },
    resource: { group: "apps", version: "v1", resource: "deployments" },
    name: facts.name,
    namespace: facts.namespace,
    operation,
    userInfo: { username: facts.user, groups: facts.groups },
    dryRun: false,
  };
  if (scale) request.subResource = "scale";
  return request;
}

function deploymentIn(value: Json | undefined): JsonObject | undefined {
  const object = asObject(value);
  return object?.kind === "Deployment" && asObject(object.metadata) !== undefined ? object : undefined;
}

function scaleIn(value: Json | undefined): JsonObject | undefined {
  const object = asObject(value);
  return object?.kind === "Scale" ? object : undefined;
}

// `admission webhook "deployments.driftguard.io" denied the request: driftguard: ...`
const WEBHOOK_DENIAL = /^admission webhook "([^"]+)" denied the request: (.*)$/s;

function deniedAtTime(event: JsonObject, facts: EventFacts, code: number, message: string): AuditItem {
  const match = WEBHOOK_DENIAL.exec(message);
  const byDriftguard = match !== null && (match[2] ?? "").startsWith("driftguard:");
  const annotations = asObject(event.annotations) ?? {};
  const violations = match === null ? undefined : annotations[`${match[1]}/violations`];
  const paths = byDriftguard && typeof violations === "string" ? violations.split(", ").filter(Boolean) : [];
  return { kind: "denied-at-time", event: facts, byDriftguard, code, message, paths };
}

/** The field group of a printable path (`spec.template.spec.containers[name=web].image`). */
export function groupOfPrintedPath(path: string): Exclude<FieldGroup, "*"> | "other" {
  const segments = parsePathPattern(path);
  const group = typeof segments === "string" ? undefined : groupOf(segments);
  return group === undefined || group === "*" ? "other" : group;
}
