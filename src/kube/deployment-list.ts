// Reading the live Deployments for `diff --cluster`: paginated lists (limit/continue) of the raw JSON
// the API server stores, so that the comparison sees every field, even one newer than client-node's
// models (its typed clients would drop those). A namespace the credentials may not list is an error
// entry of the report, not a crash; an API server that cannot be reached is DG_CLUSTER_UNREACHABLE.
import { request } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import type { JsonObject } from "../core/types.js";
import { DriftguardError, describeError } from "../errors.js";

/** One page as the API server answered it. */
export interface PageResponse {
  status: number;
  body: string;
}

/** GETs a path of the API server (`/apis/apps/v1/...?limit=...`). Rejects when it cannot be reached. */
export type PageFetcher = (path: string) => Promise<PageResponse>;

export interface ListedDeployments {
  objects: JsonObject[];
  /** Namespaces (or the whole cluster: namespace undefined) that could not be listed, and why. */
  errors: { namespace?: string; message: string }[];
}

/** Objects per page: big clusters are read in bounded steps, as kubectl does. */
export const PAGE_LIMIT = 500;

/**
 * Every Deployment of `namespaces` (all of them when empty). Pages follow `metadata.continue`; a 403
 * becomes an error entry, any other failure throws (the answer would be incomplete without saying so).
 */
export async function listDeployments(
  fetchPage: PageFetcher,
  namespaces: readonly string[],
  server: string,
): Promise<ListedDeployments> {
  const out: ListedDeployments = { objects: [], errors: [] };
  const scopes = namespaces.length === 0 ? [undefined] : namespaces;
  for (const namespace of scopes) {
    const base =
      namespace === undefined
        ? "/apis/apps/v1/deployments"
        : `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/deployments`;
    const listed = await listAll(fetchPage, base, server, namespace);
    if ("forbidden" in listed) out.errors.push(forbiddenEntry(namespace, listed.forbidden));
    else out.objects.push(...listed.items);
  }
  return out;
}

/** What a paginated list reads: its name in messages, a label selector, and fields its items lack on the wire. */
export interface ListKind {
  /** Plural, for messages: `Deployments`, `DecisionRecords`. */
  what: string;
  labelSelector?: string;
  /** Set on each item that lacks them (list items carry no kind or apiVersion on the wire). */
  itemType?: { apiVersion: string; kind: string };
}

const DEPLOYMENTS: ListKind = {
  what: "Deployments",
  itemType: { apiVersion: "apps/v1", kind: "Deployment" },
};

async function listAll(
  fetchPage: PageFetcher,
  base: string,
  server: string,
  namespace: string | undefined,
): Promise<{ items: JsonObject[] } | { forbidden: string }> {
  return listPages(fetchPage, base, server, namespace, DEPLOYMENTS);
}

/**
 * Every object at `base` (a list path of the API server), page by page. A 403 is an answer (the
 * caller says what it means); anything else that is not a list is DG_CLUSTER_UNREACHABLE.
 */
export async function listPages(
  fetchPage: PageFetcher,
  base: string,
  server: string,
  namespace: string | undefined,
  kind: ListKind,
): Promise<{ items: JsonObject[] } | { forbidden: string }> {
  const items: JsonObject[] = [];
  const selector =
    kind.labelSelector === undefined ? "" : `&labelSelector=${encodeURIComponent(kind.labelSelector)}`;
  let next: string | undefined;
  do {
    const query = `limit=${PAGE_LIMIT}${selector}${next === undefined ? "" : `&continue=${encodeURIComponent(next)}`}`;
    const page = await fetchPage(`${base}?${query}`).catch((error: unknown) => {
      throw unreachable(server, describeError(error), kind.what);
    });
    if (page.status === 403) return { forbidden: statusMessage(page.body) };
    if (page.status !== 200) {
      const where = namespace === undefined ? "all namespaces" : `namespace ${namespace}`;
      throw unreachable(
        server,
        `listing ${kind.what} in ${where} answered ${page.status}: ${statusMessage(page.body)}`,
        kind.what,
      );
    }
    const list = parseList(page.body, server, kind);
    items.push(...list.items);
    next = list.continue;
  } while (next !== undefined);
  return { items };
}

function parseList(
  body: string,
  server: string,
  kind: ListKind,
): { items: JsonObject[]; continue: string | undefined } {
  let list: { items?: unknown; metadata?: { continue?: unknown } };
  try {
    list = JSON.parse(body) as typeof list;
  } catch {
    throw unreachable(server, `the list of ${kind.what} is not JSON`, kind.what);
  }
  const items = Array.isArray(list.items) ? (list.items as JsonObject[]) : [];
  // The list's items carry no kind or apiVersion on the wire; the comparison reads neither, reports do.
  if (kind.itemType)
    for (const item of items) {
      item.apiVersion ??= kind.itemType.apiVersion;
      item.kind ??= kind.itemType.kind;
    }
  const token = list.metadata?.continue;
  return { items, continue: typeof token === "string" && token !== "" ? token : undefined };
}

function forbiddenEntry(namespace: string | undefined, message: string) {
  const entry: { namespace?: string; message: string } = {
    message: `cannot list Deployments (403 Forbidden): ${message}`,
  };
  if (namespace !== undefined) entry.namespace = namespace;
  else entry.message += "; give --namespace for the namespaces these credentials may list";
  return entry;
}

/** The API server's Status message, else the start of the body. */
export function statusMessage(body: string): string {
  try {
    const status = JSON.parse(body) as { message?: unknown };
    if (typeof status.message === "string") return status.message;
  } catch {
    // Not a Status: a proxy's page, say.
  }
  return body.slice(0, 200).trim() || "no message";
}

function unreachable(server: string, why: string, what: string): DriftguardError {
  return new DriftguardError("DG_CLUSTER_UNREACHABLE", `cannot read ${what} from the API server: ${why}`, {
    where: server,
    hint: `check that the kubeconfig's cluster is up and its credentials are valid (kubectl get ${what.toLowerCase()} -A)`,
  });
}

const REQUEST_TIMEOUT_MS = 30_000;

/** A PageFetcher that authenticates as the kubeconfig's current user (certificates, tokens, exec plugins). */
export function kubeConfigFetcher(kubeConfig: KubeConfig): { fetchPage: PageFetcher; server: string } {
  const server = kubeConfig.getCurrentCluster()?.server ?? "";
  const fetchPage: PageFetcher = async (path) => {
    const url = new URL(path, server);
    const options: Parameters<typeof request>[1] = { method: "GET", headers: { accept: "application/json" } };
    await kubeConfig.applyToHTTPSOptions(options);
    return new Promise<PageResponse>((resolve, reject) => {
      const sent = request(url, options, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
        response.on("error", reject);
      });
      sent.setTimeout(REQUEST_TIMEOUT_MS, () =>
        sent.destroy(new Error(`no answer in ${REQUEST_TIMEOUT_MS / 1000}s`)),
      );
      sent.on("error", reject);
      sent.end();
    });
  };
  return { fetchPage, server };
}
