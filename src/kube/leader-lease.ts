// Leadership over a coordination.k8s.io/v1 Lease: the one replica that writes Reports and scan Events
// (docs/contract.md §10: one replica writes, every replica answers). The holder renews every third of the
// duration; another replica takes the Lease once it has seen no renewal for a whole duration, measured
// on its own clock from when it saw the record change (never from the holder's renewTime, so that clock
// skew between nodes cannot hand the Lease to two replicas). A holder that cannot renew for two thirds
// of the duration steps down before anyone may take over. Writes use the Lease's resourceVersion: two
// replicas racing for a free Lease get one success and one 409.
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { CoordinationV1Api, type KubeConfig, type V1Lease, V1MicroTime } from "@kubernetes/client-node";
import type pino from "pino";
import type { Leadership } from "../admission/contract.js";
import type { ReportConfig } from "../config/types.js";
import { describeError } from "../errors.js";
import { describeApiError, statusOf } from "./self-managed/api-status.js";

/** The Lease as the election reads it; times in epoch ms. */
export interface LeaseRecord {
  holder: string | undefined;
  durationSeconds: number;
  acquireTime: number | undefined;
  renewTime: number | undefined;
  transitions: number;
  /** Sent back on replace: the API server refuses (409) when someone wrote in between. */
  resourceVersion: string | undefined;
}

export interface LeaseApi {
  read(): Promise<LeaseRecord | undefined>;
  create(record: LeaseRecord): Promise<LeaseRecord>;
  replace(record: LeaseRecord): Promise<LeaseRecord>;
}

export interface LeaderLease extends Leadership {
  /** Gives the Lease up (when held) so that another replica takes over at once rather than after a duration. */
  stop(): Promise<void>;
}

export interface LeaderLeaseOptions {
  api: LeaseApi;
  /** This replica's name in the Lease: unique among the replicas (leaseIdentity()). */
  identity: string;
  durationMs: number;
  logger: pino.Logger;
  now?: () => number;
}

export function startLeaderLease(options: LeaderLeaseOptions): LeaderLease {
  const { api, identity, durationMs, logger } = options;
  const now = options.now ?? Date.now;
  const durationSeconds = Math.max(1, Math.ceil(durationMs / 1000));
  const renewEveryMs = Math.max(100, Math.floor(durationMs / 3));
  const renewDeadlineMs = Math.floor((durationMs * 2) / 3);
  const listeners = new Set<(leader: boolean) => void>();
  let leader = false;
  let lastRenewAt = 0;
  let observed: { key: string; at: number; holder: string | undefined } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let stopped = false;

  const setLeader = (value: boolean) => {
    if (value === leader) return;
    leader = value;
    logger.info(
      { lease: identity, leader: value },
      value ? "took the writers' Lease" : "no longer holds the writers' Lease",
    );
    for (const listener of listeners) listener(value);
  };
  const mine = (base: LeaseRecord | undefined, at: number): LeaseRecord => ({
    holder: identity,
    durationSeconds,
    acquireTime: base?.holder === identity ? base.acquireTime : at,
    renewTime: at,
    transitions: (base?.transitions ?? 0) + (base?.holder !== undefined && base.holder !== identity ? 1 : 0),
    resourceVersion: base?.resourceVersion,
  });
  const observe = (record: LeaseRecord, at: number) => {
    const key = `${record.holder}\n${record.renewTime}\n${record.resourceVersion}`;
    if (observed?.key !== key) observed = { key, at, holder: record.holder };
  };
  const expired = (record: LeaseRecord, at: number) =>
    record.holder === undefined || at - (observed?.at ?? at) >= record.durationSeconds * 1000;

  const attempt = async () => {
    const at = now();
    try {
      const current = await api.read();
      if (current === undefined) {
        observe(await api.create(mine(undefined, at)), at);
      } else {
        observe(current, at);
        if (current.holder !== identity && !expired(current, at)) return setLeader(false);
        observe(await api.replace(mine(current, at)), at);
      }
      lastRenewAt = at;
      setLeader(true);
    } catch (error) {
      // 409: another replica wrote first; it holds the Lease now (or renewed it).
      if (statusOf(error) !== 409)
        logger.warn(
          { error: describeApiError(error, describeError) },
          "could not read or write the writers' Lease",
        );
      if (leader && (statusOf(error) === 409 || at - lastRenewAt >= renewDeadlineMs)) setLeader(false);
    }
  };
  const tick = () => {
    inFlight = attempt().finally(() => {
      inFlight = undefined;
      if (!stopped) timer = setTimeout(tick, renewEveryMs);
    });
  };
  tick();

  return {
    isLeader: () => leader,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    holder: () => (leader ? identity : observed?.holder),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
      if (!leader) return;
      try {
        const current = await api.read();
        if (current?.holder === identity)
          await api.replace({ ...current, holder: undefined, durationSeconds: 1, renewTime: now() });
      } catch (error) {
        logger.warn(
          { error: describeError(error) },
          "could not give the writers' Lease up; it expires on its own",
        );
      }
      setLeader(false);
    },
  };
}

/** The writers' Lease of config `report.lease`, held under this pod's name: what `serve` starts. */
export function startWritersLease(options: {
  kubeConfig: KubeConfig;
  lease: ReportConfig["lease"];
  logger: pino.Logger;
}): LeaderLease {
  const { kubeConfig, lease, logger } = options;
  const namespace = leaseNamespace(lease.namespace);
  return startLeaderLease({
    api: kubeLeaseApi(kubeConfig, { name: lease.name, namespace }),
    identity: leaseIdentity(),
    durationMs: lease.durationMs,
    logger: logger.child({ lease: `${namespace}/${lease.name}` }),
  });
}

/** A replica's name in the Lease: the pod's name when the chart passes it, else host name and process id. */
export function leaseIdentity(env: NodeJS.ProcessEnv = process.env): string {
  return env.POD_NAME || `${hostname()}-${process.pid}`;
}

const SERVICE_ACCOUNT_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/** Config `report.lease.namespace`, else the pod's own namespace, else `default` (docs: configuration reference). */
export function leaseNamespace(
  configured: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  readPodNamespace: () => string = () => readFileSync(SERVICE_ACCOUNT_NAMESPACE, "utf8"),
): string {
  if (configured) return configured;
  if (env.POD_NAMESPACE) return env.POD_NAMESPACE;
  try {
    return readPodNamespace().trim() || "default";
  } catch {
    return "default";
  }
}

export function kubeLeaseApi(
  kubeConfig: KubeConfig,
  { name, namespace }: { name: string; namespace: string },
): LeaseApi {
  const api = kubeConfig.makeApiClient(CoordinationV1Api);
  return {
    read: () =>
      api.readNamespacedLease({ name, namespace }).then(recordOf, (error: unknown) => {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }),
    create: async (record) =>
      recordOf(await api.createNamespacedLease({ namespace, body: leaseOf(name, namespace, record) })),
    replace: async (record) =>
      recordOf(await api.replaceNamespacedLease({ name, namespace, body: leaseOf(name, namespace, record) })),
  };
}

function recordOf(lease: V1Lease): LeaseRecord {
  const spec = lease.spec ?? {};
  return {
    holder: spec.holderIdentity || undefined,
    durationSeconds: spec.leaseDurationSeconds ?? 15,
    acquireTime: spec.acquireTime ? new Date(spec.acquireTime).getTime() : undefined,
    renewTime: spec.renewTime ? new Date(spec.renewTime).getTime() : undefined,
    transitions: spec.leaseTransitions ?? 0,
    resourceVersion: lease.metadata?.resourceVersion,
  };
}

function leaseOf(name: string, namespace: string, record: LeaseRecord): V1Lease {
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: {
      name,
      namespace,
      labels: { "app.kubernetes.io/managed-by": "driftguard" },
      ...(record.resourceVersion === undefined ? {} : { resourceVersion: record.resourceVersion }),
    },
    spec: {
      ...(record.holder === undefined ? {} : { holderIdentity: record.holder }),
      leaseDurationSeconds: record.durationSeconds,
      // MicroTime: the API server parses exactly six fractional digits; a plain Date sends three.
      ...(record.acquireTime === undefined ? {} : { acquireTime: new V1MicroTime(record.acquireTime) }),
      ...(record.renewTime === undefined ? {} : { renewTime: new V1MicroTime(record.renewTime) }),
      leaseTransitions: record.transitions,
    },
  };
}
