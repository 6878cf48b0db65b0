// Contract between the HTTP adapter (this folder) and the service that decides.
import type { Logger } from "pino";
import type { AdmissionRequest, AdmissionResponse } from "../core/admission.js";

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

/** What /readyz reports. Ready means "can answer", never "Git is synced" (SPEC §6). */
export interface Readiness {
  ready: boolean;
  /** Shown as JSON under `details`: sync state per source, file errors, notices. */
  details: unknown;
}

export interface AppDependencies {
  admit: AdmissionHandler;
  readiness: () => Readiness;
  /** Push webhook: refresh the named source (or all). Resolves when the refresh is done. */
  refresh: (source: string | undefined) => Promise<unknown>;
  /** Shared secret for the push endpoint; undefined = endpoint disabled. */
  pushToken?: string | undefined;
  /** Prometheus text exposition; undefined = no /metrics route. */
  metrics?: (() => Promise<string>) | undefined;
}
