// The live scan's watch (docs/contract.md §10): every Deployment of the cluster, kept in memory by the
// supervised informer the RBAC watches use (relist on error, periodic resync, last known good). The
// drift table (src/admission/drift-table.ts) reads it; nothing here compares anything.
//
// Watched cluster-wide and filtered by the table: one list/watch needs one ClusterRole rule (get, list,
// watch on apps/deployments) whatever namespaces the config names.
//
// The list is read as the API server's JSON, not client-node's model objects: those drop fields the
// client does not know and turn timestamps into Dates, and the scan must see what admission sees (the
// watch's events are JSON already).
//
// What is never compared is dropped from the cached objects (managedFields, status): at 5,000
// Deployments that is most of the cache's memory.
import { readFileSync } from "node:fs";
import { type RequestOptions, request } from "node:https";
import type { KubeConfig, KubernetesListObject, KubernetesObject } from "@kubernetes/client-node";
import type pino from "pino";
import type { DeploymentFeed, FeedChange } from "../admission/contract.js";
import { lastWriteOf } from "../core/drift-events.js";
import type { JsonObject } from "../core/types.js";
import { type WatchedCollection, watchCollection } from "./watched-collection.js";

const PATH = "/apis/apps/v1/deployments";
// Pages of the list: the API server answers 500 objects at a time without holding a large response.
const PAGE = 500;
const SERVICE_ACCOUNT_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

export interface DeploymentWatch extends DeploymentFeed {
  readonly firstSync: Promise<void>;
  status(): ReturnType<WatchedCollection<KubernetesObject>["status"]>;
  stop(): Promise<void>;
}

export interface DeploymentWatchOptions {
  kubeConfig: KubeConfig;
  logger: pino.Logger;
  resyncMs: number;
  /** driftguard's own namespace, when known (in a pod): never scanned. */
  ownNamespace?: string | undefined;
  now?: () => number;
}

export function watchDeployments(options: DeploymentWatchOptions): DeploymentWatch {
  const listeners: Array<(change?: FeedChange) => void> = [];
  const collection = watchCollection<KubernetesObject>({
    kubeConfig: options.kubeConfig,
    logger: options.logger,
    resyncMs: options.resyncMs,
    name: "deployments",
    path: PATH,
    list: () => listRaw(options.kubeConfig, PATH),
    onChange: (event) => {
      // The informer's cache holds this very object: slimmed here, it is slimmed there.
      if (event) slim(event.object);
      const change = event && { kind: event.kind, object: event.object as unknown as JsonObject };
      for (const listener of listeners) listener(change);
    },
    ...(options.now ? { now: options.now } : {}),
  });
  return {
    firstSync: collection.firstSync,
    excludedNamespaces: ["kube-system", ...(options.ownNamespace ? [options.ownNamespace] : [])],
    list: () => collection.list() as unknown as readonly JsonObject[],
    state: () => {
      const { state } = collection.status();
      return state.kind === "failing" ? { kind: "failing", error: state.error } : { kind: state.kind };
    },
    onChange: (listener) => void listeners.push(listener),
    status: () => collection.status(),
    stop: () => collection.stop(),
  };
}

/** The pod's namespace from its service-account mount; undefined outside a pod. */
export function podNamespace(): string | undefined {
  try {
    return readFileSync(SERVICE_ACCOUNT_NAMESPACE, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Every object at `path` as JSON, page by page; items get the kind and apiVersion the watch's carry. */
async function listRaw(
  kubeConfig: KubeConfig,
  path: string,
): Promise<KubernetesListObject<KubernetesObject>> {
  const items: KubernetesObject[] = [];
  let resourceVersion: string | undefined;
  let next: string | undefined;
  do {
    const query = new URLSearchParams({ limit: String(PAGE), ...(next ? { continue: next } : {}) });
    const page = (await getJson(kubeConfig, `${path}?${query}`)) as RawList;
    // Every page of one list is the same snapshot: the first page's version is the list's.
    resourceVersion ??= page.metadata?.resourceVersion;
    for (const item of page.items ?? [])
      items.push(slim({ apiVersion: "apps/v1", kind: "Deployment", ...item }));
    next = page.metadata?.continue || undefined;
  } while (next !== undefined);
  return {
    apiVersion: "apps/v1",
    kind: "DeploymentList",
    metadata: resourceVersion === undefined ? {} : { resourceVersion },
    items,
  };
}

/**
 * Drops what the comparison never reads (normalize keeps labels, annotations, owners, finalizers, spec).
 * Of managedFields only the newest entry's manager and time stay: the scan's DriftDetected names who
 * wrote last when no admission answer explains the drift.
 */
function slim<T extends KubernetesObject>(object: T): T {
  // The raw JSON of the API server, not client-node's model (whose times would be Dates).
  const raw = object as unknown as { status?: unknown; metadata?: { managedFields?: unknown } };
  delete raw.status;
  if (raw.metadata) {
    const last = lastWriteOf(raw as unknown as JsonObject);
    if (last) raw.metadata.managedFields = [last.time === undefined ? { manager: last.manager } : last];
    else delete raw.metadata.managedFields;
  }
  return object;
}

interface RawList {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: KubernetesObject[];
}

async function getJson(kubeConfig: KubeConfig, path: string): Promise<unknown> {
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!server) throw new Error("the kubeconfig names no current cluster");
  const options: RequestOptions = {};
  await kubeConfig.applyToHTTPSOptions(options);
  const url = new URL(path, server);
  return new Promise((resolve, reject) => {
    const call = request(
      url,
      { ...options, method: "GET", headers: { ...options.headers, accept: "application/json" } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          const status = response.statusCode ?? 0;
          if (status !== 200) {
            // The status line and the API's own message: never the request (its headers carry the token).
            const error = new Error(`list ${url.pathname}: HTTP ${status} ${statusMessage(body)}`);
            Object.assign(error, { statusCode: status });
            reject(error);
            return;
          }
          try {
            resolve(JSON.parse(body));
          } catch (error) {
            reject(error);
          }
        });
      },
    );
    call.setTimeout(60_000, () => call.destroy(new Error(`list ${url.pathname}: no answer in 60 s`)));
    call.on("error", reject);
    call.end();
  });
}

function statusMessage(body: string): string {
  try {
    const message = (JSON.parse(body) as { message?: unknown }).message;
    return typeof message === "string" ? message.slice(0, 200) : "";
  } catch {
    return "";
  }
}
