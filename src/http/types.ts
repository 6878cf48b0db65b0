// What the HTTP adapter (this folder) needs to be built. The handler and readiness types are the
// service's (src/admission/contract.ts): the adapter depends on the service, not the other way round.
import type { AdmissionHandler, Readiness } from "../admission/contract.js";

export type { AdmissionContext, AdmissionHandler, Readiness } from "../admission/contract.js";

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
