// Who may read the web view, and which namespaces they see (docs/contract.md §12, README "Web view").
//
// On the loopback listener the page is open: reaching it takes `kubectl port-forward`, which the API
// server authorizes (pods/portforward). Beyond loopback every request carries the caller's Kubernetes
// token, checked as kube-rbac-proxy checks one:
//   1. TokenReview: who the token belongs to (401 when nobody);
//   2. SubjectAccessReview, `get` on the non-resource URL VIEW_URL: may they open the view at all (403);
//   3. per namespace, the caller's own RBAC: drift needs `get` on apps/deployments, decisions `list` on
//      driftguard.io/decisionrecords, as reading those objects with kubectl would. A cluster-wide grant is
//      asked first, so most callers cost one review, not one per namespace.
// Answers are reused for `cacheForMs`, keyed by a hash of the token (never the token itself), in bounded
// maps. A review that fails (the API server away) is an error, never an allowance, and is not cached.
import { createHash } from "node:crypto";
import { DriftguardError, describeError, type ErrorCode } from "../errors.js";
import type { ResourceCheck, Reviewer } from "../kube/access-reviews.js";
import type { Visible } from "./view-shapes.js";

/** The non-resource URL a viewer needs `get` on (the chart's ClusterRole RELEASE-web-viewer grants it). */
export const VIEW_URL = "/driftguard/web-view";

/** What a request may see; `who` is shown on the page. */
export interface Viewer {
  who: string;
  /** The namespaces among `namespaces` whose objects of `kind` this viewer may read. */
  visible(kind: ViewKind, namespaces: Iterable<string>): Promise<Visible>;
}

export type ViewKind = "drift" | "decisions";

const CHECKS: Record<ViewKind, Omit<ResourceCheck, "namespace">> = {
  drift: { group: "apps", resource: "deployments", verb: "get" },
  decisions: { group: "driftguard.io", resource: "decisionrecords", verb: "list" },
};

/** Reviews of one namespace at a time, at most this many at once per request. */
const NAMESPACE_CONCURRENCY = 8;
/** Entries per cache: past it the oldest go (a flood of random tokens must not grow memory). */
const CACHE_ENTRIES = 4096;

export class ViewError extends DriftguardError {
  constructor(
    readonly status: 400 | 401 | 403 | 503,
    code: ErrorCode,
    message: string,
    hint: string,
  ) {
    super(code, message, { hint });
  }
}

export interface AccessControl {
  /** Who is asking, from the request's Authorization header; throws ViewError. */
  viewerOf(authorization: string | undefined): Promise<Viewer>;
  /** True when callers must bring a token (the listener is beyond loopback). */
  readonly requiresToken: boolean;
}

/** The loopback listener's: everything, for whoever reached the port. */
export function openAccess(): AccessControl {
  const viewer: Viewer = { who: "local (port-forward)", visible: async () => "all" };
  return { requiresToken: false, viewerOf: async () => viewer };
}

export function tokenAccess(
  reviewer: Reviewer,
  options: { cacheForMs: number; now?: () => number },
): AccessControl {
  const now = options.now ?? Date.now;
  const cache = new TimedCache<unknown>(options.cacheForMs, now);
  const cached = <T>(key: string, ask: () => Promise<T>): Promise<T> => cache.get(key, ask) as Promise<T>;
  return {
    requiresToken: true,
    async viewerOf(authorization) {
      const token = bearerToken(authorization);
      const key = createHash("sha256").update(token).digest("hex");
      const user = await reviewing("the token", () =>
        cached(`token:${key}`, () => reviewer.authenticate(token)),
      );
      if (user === undefined)
        throw new ViewError(
          401,
          "DG_VIEW_UNAUTHENTICATED",
          "the API server does not accept this token",
          "sign in with a current token: `kubectl create token SERVICE_ACCOUNT`, or your kubeconfig's",
        );
      const may = await reviewing("access to the web view", () =>
        cached(`url:${key}`, () => reviewer.mayGetUrl(user, VIEW_URL)),
      );
      if (!may)
        throw new ViewError(
          403,
          "DG_VIEW_FORBIDDEN",
          `${user.username} may not open the web view (get on the non-resource URL ${VIEW_URL})`,
          "bind the chart's ClusterRole RELEASE-web-viewer (driftguard-web-viewer for a release named driftguard) to the user or one of their groups",
        );
      const mayAccess = (check: ResourceCheck) =>
        cached(`ns:${key}:${check.verb}:${check.group}/${check.resource}:${check.namespace}`, () =>
          reviewer.mayAccess(user, check),
        );
      return {
        who: user.username,
        visible: (kind, namespaces) =>
          reviewing(`access to ${kind}`, () => visibleNamespaces(CHECKS[kind], namespaces, mayAccess)),
      };
    },
  };
}

async function visibleNamespaces(
  check: Omit<ResourceCheck, "namespace">,
  namespaces: Iterable<string>,
  mayAccess: (check: ResourceCheck) => Promise<boolean>,
): Promise<Visible> {
  if (await mayAccess({ ...check, namespace: "" })) return "all";
  const queue = [...new Set(namespaces)];
  const allowed = new Set<string>();
  const worker = async () => {
    for (let namespace = queue.pop(); namespace !== undefined; namespace = queue.pop())
      if (await mayAccess({ ...check, namespace })) allowed.add(namespace);
  };
  await Promise.all(Array.from({ length: Math.min(NAMESPACE_CONCURRENCY, queue.length) }, worker));
  return allowed;
}

function bearerToken(authorization: string | undefined): string {
  const match = /^Bearer +([^\s]+)\s*$/i.exec(authorization ?? "");
  if (!match?.[1])
    throw new ViewError(
      401,
      "DG_VIEW_NO_TOKEN",
      "this web view needs a Kubernetes bearer token (Authorization: Bearer TOKEN)",
      "paste a token in the page's sign-in form, or send it with curl -H 'Authorization: Bearer …'",
    );
  return match[1];
}

/** A review that could not be made is a 503: the caller may try again; nothing is allowed meanwhile. */
async function reviewing<T>(what: string, ask: () => Promise<T>): Promise<T> {
  try {
    return await ask();
  } catch (error) {
    if (error instanceof ViewError) throw error;
    throw new ViewError(
      503,
      "DG_VIEW_REVIEW_FAILED",
      `cannot check ${what} with the API server: ${describeError(error)}`,
      "try again; driftguard needs create on tokenreviews and subjectaccessreviews (the chart grants both)",
    );
  }
}

/** Answers kept for `ttlMs`, insertion-ordered so the oldest go first past CACHE_ENTRIES; failures are not kept. */
class TimedCache<T> {
  private readonly entries = new Map<string, { at: number; value: Promise<T> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    const found = this.entries.get(key);
    if (found && this.now() - found.at < this.ttlMs) return found.value;
    this.entries.delete(key);
    const value = load();
    this.entries.set(key, { at: this.now(), value });
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    while (this.entries.size > CACHE_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return value;
  }
}
