// Decision records (docs/contract.md §11 Decision history): every decision that matters, as one
// versioned, self-contained JSON object that the log, the on-disk store, the DecisionRecord objects and
// `driftguard history` all carry unchanged. Pure: the adapters only move records around.
//
// Values come from Drift, which is already masked when sensitive (types.ts MASKED): a record built here
// never holds a secret, whatever the request carried.
import type { AdmissionRequest } from "./admission.js";
import type { Decision, Exempted, Subject } from "./decision.js";
import type { BindingRef } from "./exemptions.js";
import type { Drift, DriftChange, FieldGroup, Json, Mode, Origin } from "./types.js";
import type { Outcome, VerdictReason } from "./verdict.js";

export const DECISION_RECORD_API_VERSION = "driftguard.io/v1alpha1";
export const DECISION_RECORD_KIND = "DecisionRecord";

/**
 * One recorded decision. Fields are only ever added within a version; optional ones are left out
 * (never null) when they do not apply.
 */
export interface DecisionRecord {
  apiVersion: typeof DECISION_RECORD_API_VERSION;
  kind: typeof DECISION_RECORD_KIND;
  /** When the decision was made (RFC 3339, UTC, milliseconds). */
  time: string;
  /** The AdmissionReview's request uid: unique per request, the DecisionRecord object's name. */
  requestUid: string;
  requester: RecordRequester;
  operation: "CREATE" | "UPDATE" | "DELETE";
  /** `scale` for deployments/scale. */
  subresource?: string;
  object: { namespace: string; name: string; uid?: string };
  verdict: { outcome: Outcome; reason: VerdictReason; wouldDenyInEnforce: boolean };
  why: RecordWhy;
  /** Violations first, then exempted fields, then drift already live; each in the decision's order. */
  fields: RecordField[];
  /** Git's manifest the request was compared with (managed objects). */
  git?: RecordGit;
}

export interface RecordRequester {
  username: string;
  groups: string[];
  /** `namespace/name` when the user is `system:serviceaccount:NAMESPACE:NAME`. */
  serviceAccount?: string;
}

export interface RecordWhy {
  mode: Mode;
  /** The decision's kind: `judged` compared with Git; `unmanaged` and `unknown` carry no fields. */
  decision: "judged" | "unmanaged" | "unknown";
  /** A GitOps identity's content that matches no recent revision. */
  gitops?: "no-matching-revision";
  /** The grants that exempted fields, each once, with the paths it covered. */
  grants: RecordGrant[];
  /** Why the desired state is unknown (decision `unknown`). */
  detail?: string;
}

export interface RecordGrant {
  /** As the messages name it: `RoleBinding shop/break-glass (Role shop/override-image, expires …)`. */
  description: string;
  /** The RBAC binding, when RBAC granted it (not for a config exemption). */
  binding?: BindingRef;
  /** The binding's `driftguard.io/expires-at` as written. */
  expiresAt?: string;
  paths: string[];
}

export interface RecordField {
  /** Printable path, e.g. `spec.template.spec.containers[name=web].image`. */
  path: string;
  /** The same path as segments (Drift.segments), for tools that edit the manifest. */
  segments: string[];
  /** The field group, `other` for a path no group covers. */
  group: FieldGroup | "other";
  change: DriftChange;
  /** violation: the request set it; exempted: it did, and a grant allowed it; preexisting: already live. */
  role: "violation" | "exempted" | "preexisting";
  /** Git's normalized value; absent when Git does not have the field. */
  git?: Json;
  /** The value before the request (UPDATE). */
  old?: Json;
  /** The value the request asked for; absent when it removes the field. */
  requested?: Json;
  /** True when the values are `<masked>` (env values, secret-like keys). */
  masked: boolean;
}

export interface RecordGit {
  source: string;
  commit: string;
  file: string;
  app?: { type: "kustomize" | "helm"; renderedFrom?: string };
}

/**
 * The record of `decision`, or undefined when it is not one that matters: plain allows, in-sync,
 * ignored, silent, unmanaged allows and drift already live only. Dry-run requests leave no record.
 */
export function recordOf(
  decision: Decision,
  request: AdmissionRequest,
  now: number,
): DecisionRecord | undefined {
  if (decision.kind === "ignored" || decision.kind === "silent" || decision.kind === "gitops")
    return undefined;
  const { subject } = decision;
  if (subject.dryRun || !matters(decision)) return undefined;
  const base = baseOf(decision.kind, subject, decision.verdict, decision.mode, request, now);
  if (decision.kind === "unmanaged") return base;
  if (decision.kind === "unknown") return { ...base, why: { ...base.why, detail: decision.reason } };
  return {
    ...base,
    why: {
      ...base.why,
      ...(decision.gitops === "no-matching-revision" ? { gitops: "no-matching-revision" as const } : {}),
      grants: grantsOf(decision.exempted),
    },
    fields: [
      ...decision.violations.map((drift) => fieldOf(drift, "violation")),
      ...decision.exempted.map((exempted) => fieldOf(exempted.drift, "exempted")),
      ...decision.preexisting.map((drift) => fieldOf(drift, "preexisting")),
    ],
    git: gitOf(decision.desired.origin),
  };
}

function matters(decision: Exclude<Decision, { kind: "ignored" | "silent" | "gitops" }>): boolean {
  if (decision.verdict.outcome === "deny") return true;
  if (decision.kind !== "judged") return false;
  return (
    decision.violations.length > 0 ||
    decision.exempted.length > 0 ||
    decision.gitops === "no-matching-revision"
  );
}

function baseOf(
  kind: RecordWhy["decision"],
  subject: Subject,
  verdict: Decision["verdict"],
  mode: Mode,
  request: AdmissionRequest,
  now: number,
): DecisionRecord {
  const uid = uidOf(request.oldObject ?? request.object);
  return {
    apiVersion: DECISION_RECORD_API_VERSION,
    kind: DECISION_RECORD_KIND,
    time: new Date(now).toISOString(),
    requestUid: request.uid,
    requester: requesterOf(subject),
    operation: subject.operation,
    ...(subject.subresource ? { subresource: subject.subresource } : {}),
    object: { namespace: subject.key.namespace, name: subject.key.name, ...(uid ? { uid } : {}) },
    verdict: {
      outcome: verdict.outcome,
      reason: verdict.reason,
      wouldDenyInEnforce: verdict.wouldDenyInEnforce,
    },
    why: { mode, decision: kind, grants: [] },
    fields: [],
  };
}

const SERVICE_ACCOUNT_USER = /^system:serviceaccount:([^:]+):([^:]+)$/;

function requesterOf(subject: Subject): RecordRequester {
  const { username, groups } = subject.requester;
  const account = SERVICE_ACCOUNT_USER.exec(username);
  return {
    username,
    groups: [...groups],
    ...(account ? { serviceAccount: `${account[1]}/${account[2]}` } : {}),
  };
}

function fieldOf(drift: Drift, role: RecordField["role"]): RecordField {
  return {
    path: drift.path,
    segments: [...drift.segments],
    group: drift.group ?? "other",
    change: drift.change,
    role,
    ...(drift.desired === undefined ? {} : { git: drift.desired }),
    ...(drift.previous === undefined ? {} : { old: drift.previous }),
    ...(drift.actual === undefined ? {} : { requested: drift.actual }),
    masked: drift.sensitive,
  };
}

/** One entry per grant (by its description), in the order it first exempted a field. */
function grantsOf(exempted: readonly Exempted[]): RecordGrant[] {
  const byDescription = new Map<string, RecordGrant>();
  for (const { drift, grant, binding, expiresAt } of exempted) {
    const known = byDescription.get(grant);
    if (known) {
      known.paths.push(drift.path);
      continue;
    }
    byDescription.set(grant, {
      description: grant,
      ...(binding ? { binding: { ...binding } } : {}),
      ...(expiresAt === undefined ? {} : { expiresAt }),
      paths: [drift.path],
    });
  }
  return [...byDescription.values()];
}

function gitOf(origin: Origin): RecordGit {
  const { app } = origin;
  return {
    source: origin.source,
    commit: origin.commit,
    file: origin.file,
    ...(app
      ? {
          app: {
            type: app.type,
            ...(app.renderedFrom === undefined ? {} : { renderedFrom: app.renderedFrom }),
          },
        }
      : {}),
  };
}

function uidOf(object: unknown): string | undefined {
  const metadata = (object as { metadata?: { uid?: unknown } } | null | undefined)?.metadata;
  return typeof metadata?.uid === "string" && metadata.uid !== "" ? metadata.uid : undefined;
}
