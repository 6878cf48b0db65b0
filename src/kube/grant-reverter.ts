// The in-cluster revert after a break-glass grant expires (docs/contract.md §11), opt-in per
// Deployment (Git's `driftguard.io/revert: afterGrantExpiry`) or per namespace (config
// `namespaces.<ns>.revert`). Run by the writers' Lease holder only, beside the Reports and the scan's
// Events: on every scan change and on a timer no longer than the resync interval (a grant expires
// without any watch event), it reverts what core/expiry-revert.ts picks, with the patch `apply` sends
// (deployment-revert.ts), and leaves a DriftReverted Event naming the expired binding.
import type pino from "pino";
import type { Leadership } from "../admission/contract.js";
import { lastWriteOf, revertedEventFor } from "../core/drift-events.js";
import { type ExpiredScope, expiryRevertOf } from "../core/expiry-revert.js";
import type { Lookup } from "../core/lookup.js";
import type { Policy } from "../core/policy.js";
import type { ObjectKey } from "../core/types.js";
import type { DeploymentPatcher, RevertOutcome } from "./deployment-revert.js";
import { revertDeployment } from "./deployment-revert.js";
import type { DriftEvents } from "./drift-events.js";
import type { ScannedTable } from "./scan-writers.js";

/** Git's side, as the runtime's DesiredState answers it. */
export interface DesiredView {
  lookup(key: ObjectKey): Lookup;
}

export interface GrantReverterOptions {
  table: ScannedTable;
  leadership: Leadership;
  desired: DesiredView;
  policy: Policy;
  expiredGrants(at: number): readonly ExpiredScope[];
  patch: DeploymentPatcher;
  events: Pick<DriftEvents, "record">;
  /** The timer's period: at most the resync interval. */
  intervalMs: number;
  logger: pino.Logger;
  onResult?: (outcome: RevertOutcome) => void;
  now?: () => number;
}

export interface GrantReverter {
  /** One look now (tests); resolves when its reverts are done. */
  check(): Promise<void>;
  counts(): Record<RevertOutcome, number>;
  stop(): void;
}

export function startGrantReverter(options: GrantReverterOptions): GrantReverter {
  const now = options.now ?? Date.now;
  const counts: Record<RevertOutcome, number> = { reverted: 0, refused: 0, failed: 0 };
  // The resourceVersion last tried per uid: a refused revert is not sent again until the object changes.
  const tried = new Map<string, string>();
  let running: Promise<void> | undefined;
  let again = false;

  const checkOnce = async () => {
    if (!options.leadership.isLeader()) return;
    const grants = options.expiredGrants(now());
    if (grants.length === 0) return;
    for (const entry of options.table.entries()) {
      const { drift } = entry;
      if (drift.state !== "drifted" || drift.uid === undefined || drift.resourceVersion === undefined)
        continue;
      if (tried.get(drift.uid) === drift.resourceVersion) continue;
      const lookup = options.desired.lookup(drift.key);
      const live = options.table.object(drift.uid);
      if (lookup.kind !== "managed" || live === undefined) continue;
      const found = expiryRevertOf(drift, lookup.desired, options.policy, lastWriteOf(live), grants);
      if (found === undefined) continue;
      tried.set(drift.uid, drift.resourceVersion);
      const result = await revertDeployment(options.patch, {
        key: drift.key,
        live,
        desired: lookup.desired,
        drifts: found.drifts,
        resourceVersion: drift.resourceVersion,
      });
      counts[result.outcome]++;
      options.onResult?.(result.outcome);
      // Failed (the API server down, say): tried again on the next look.
      if (result.outcome === "failed") tried.delete(drift.uid);
      const fields = found.drifts.map((field) => field.path);
      if (result.outcome !== "reverted") {
        options.logger.warn(
          {
            namespace: drift.key.namespace,
            name: drift.key.name,
            outcome: result.outcome,
            reason: result.reason,
          },
          "could not put Git back after a grant expired",
        );
        continue;
      }
      options.logger.info(
        { namespace: drift.key.namespace, name: drift.key.name, fields, grant: found.grant.description },
        "put Git back after a grant expired",
      );
      if (drift.origin)
        options.events.record(
          revertedEventFor(
            drift.key,
            drift.uid,
            drift.origin,
            found.drifts,
            `${found.grant.description} expired`,
          ),
        );
    }
  };
  // One look at a time; a change during a look makes one more.
  const check = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await checkOnce();
        } catch (error) {
          options.logger.error({ err: (error as Error).message }, "grant-expiry revert pass failed");
        }
      } while (again);
    })().finally(() => {
      running = undefined;
    });
    return running;
  };
  const unsubscribe = options.table.subscribe(() => void check());
  const timer = setInterval(() => void check(), options.intervalMs);
  timer.unref?.();
  const stopLeading = options.leadership.onChange((leader) => {
    if (leader) void check();
  });
  return {
    check,
    counts: () => ({ ...counts }),
    stop() {
      clearInterval(timer);
      unsubscribe();
      stopLeading();
    },
  };
}
