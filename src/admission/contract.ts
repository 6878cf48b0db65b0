// The admission service's contract with its adapters. The HTTP layer calls an AdmissionHandler and
// reports Readiness; the Kubernetes adapter supplies ClusterParts. Both import this file and nothing
// else of the service, so that imports point inward: adapters depend on the service, never the reverse
// (biome.json enforces it). Types only, built on the core's.
import type { Logger } from "pino";
import type { AdmissionRequest, AdmissionResponse } from "../core/admission.js";
import type { AuditEvent } from "../core/audit-event.js";
import type { GrantResolver } from "../core/exemptions.js";
import type { ObjectKey, Requester } from "../core/types.js";

/** What the HTTP layer knows of one request besides its body. */
export interface AdmissionContext {
  /** Bound to the request's uid, user and object; made on first use, so quiet answers cost nothing. */
  readonly log: Logger;
}

/** Decides one admission request. Must never throw; the HTTP layer still guards against it. */
export type AdmissionHandler = (
  request: AdmissionRequest,
  context?: AdmissionContext,
) => Promise<AdmissionResponse>;

/** What /readyz reports. Ready means "can answer", never "Git is synced" (docs/contract.md §6). */
export interface Readiness {
  ready: boolean;
  /** Shown as JSON under `details`: sync state per source, file errors, notices. */
  details: unknown;
}

/**
 * What the admission service asks of the cluster, answered from memory: RBAC grants (docs/contract.md §5) and
 * whether a namespace is being deleted (docs/contract.md §4).
 */
export interface ClusterView {
  grantsFor(requester: Requester, key: ObjectKey): GrantResolver | undefined;
  namespaceTerminating(namespace: string): boolean;
}

/** What the cluster adds, when driftguard can see one (serve with a kubeconfig or in a pod, check --rbac). */
export interface ClusterParts {
  view: ClusterView;
  /** Writes audit-mode Events; `uid` is the Deployment's. */
  recordEvent?: (event: AuditEvent, uid: string | undefined) => void;
  /** Extra readiness details (watch states). */
  status?: () => unknown;
  /**
   * False until the watches have listed once (or a grace period has passed): before that, nobody's RBAC
   * grant is known and a replica would deny what a break-glass binding allows. Git is not waited for
   * (docs/contract.md §6).
   */
  synced?: () => boolean;
}
