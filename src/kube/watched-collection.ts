// One kind of Kubernetes object kept in memory by a client-node informer (list, then watch), so that
// admission requests read memory and never call the API server.
//
// client-node's informer stops for good after a watch error (the API server restarted, a network
// blip, an expired token): it reports ERROR and does not retry. This wrapper supervises it: on an error
// it starts a fresh informer (a new list, then a watch) after a backoff, and every `resyncMs` it
// starts a fresh one anyway, so that a connection that died silently cannot leave the cache stale for
// long. Until a fresh informer has listed, the previous cache keeps serving (last known good).
import type {
  Informer,
  KubeConfig,
  KubernetesListObject,
  KubernetesObject,
  ObjectCache,
} from "@kubernetes/client-node";
import { ListWatch, Watch } from "@kubernetes/client-node";
import type pino from "pino";

export type CollectionState =
  | { kind: "starting" }
  | { kind: "synced"; since: number }
  | { kind: "failing"; since: number; error: string; retryInMs: number };

export interface CollectionStatus {
  name: string;
  state: CollectionState;
  objects: number;
  /** Times a fresh informer was started after the first (errors and resyncs). */
  restarts: number;
}

export interface WatchedCollection<T extends KubernetesObject> {
  readonly name: string;
  list(): readonly T[];
  get(name: string, namespace?: string): T | undefined;
  status(): CollectionStatus;
  /** Resolves once the first list has arrived (or never, while the API server is unreachable). */
  readonly firstSync: Promise<void>;
  stop(): Promise<void>;
}

export interface CollectionEvent<T extends KubernetesObject> {
  kind: "add" | "update" | "delete";
  object: T;
}

export interface CollectionOptions<T extends KubernetesObject> {
  name: string;
  kubeConfig: KubeConfig;
  /** API path that the watch uses, e.g. `/apis/rbac.authorization.k8s.io/v1/roles`. */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  /** Watch one object only, e.g. `metadata.name=driftguard` (RBAC can then limit it by name). */
  fieldSelector?: string;
  /**
   * Called after every change to the cache: with the event for an add, update or delete, without one
   * for a fresh list (anything may have changed).
   */
  onChange: (event?: CollectionEvent<T>) => void;
  logger: pino.Logger;
  resyncMs: number;
  backoff?: { initialMs: number; maxMs: number };
  now?: () => number;
}

// At most one list per collection every 10 s while the API server is away: cheap, and back soon after.
const DEFAULT_BACKOFF = { initialMs: 500, maxMs: 10_000 };

export function watchCollection<T extends KubernetesObject>(
  options: CollectionOptions<T>,
): WatchedCollection<T> {
  return new SupervisedInformer(options);
}

type Cache<T extends KubernetesObject> = Informer<T> & ObjectCache<T>;

class SupervisedInformer<T extends KubernetesObject> implements WatchedCollection<T> {
  readonly name: string;
  readonly firstSync: Promise<void>;
  private serving: Cache<T> | undefined;
  private generation = 0;
  private state: CollectionState = { kind: "starting" };
  private restarts = 0;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private resolveFirstSync: () => void = () => {};
  private readonly now: () => number;
  private readonly backoff: { initialMs: number; maxMs: number };

  constructor(private readonly options: CollectionOptions<T>) {
    this.name = options.name;
    this.now = options.now ?? Date.now;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.firstSync = new Promise((resolve) => {
      this.resolveFirstSync = resolve;
    });
    void this.startFresh();
  }

  list(): readonly T[] {
    return this.serving?.list() ?? [];
  }

  get(name: string, namespace?: string): T | undefined {
    return this.serving?.get(name, namespace);
  }

  status(): CollectionStatus {
    return { name: this.name, state: this.state, objects: this.list().length, restarts: this.restarts };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    clearTimeout(this.timer);
    await this.serving?.stop();
  }

  /** A new informer; it replaces the serving one once its first list has arrived. */
  private async startFresh(): Promise<void> {
    if (this.stopped) return;
    const generation = ++this.generation;
    // client-node's makeInformer, plus the field selector it does not pass on.
    const informer: Cache<T> = new ListWatch(
      this.options.path,
      new Watch(this.options.kubeConfig),
      this.options.list,
      false,
      undefined,
      this.options.fieldSelector,
    );
    const current = () => generation === this.generation && !this.stopped;
    const changed = (kind: CollectionEvent<T>["kind"]) => (object: T) => {
      if (current() && this.serving === informer) this.options.onChange({ kind, object });
    };
    informer.on("add", changed("add"));
    informer.on("update", changed("update"));
    informer.on("delete", changed("delete"));
    let erred = false;
    informer.on("error", (error: unknown) => {
      erred = true;
      if (current()) this.failed(error);
    });
    try {
      // Resolves after the list and the start of the watch, also when either failed (reported above).
      await informer.start();
    } catch (error) {
      erred = true;
      if (current()) this.failed(error);
    }
    if (erred || !current()) {
      await informer.stop();
      return;
    }
    await this.swap(informer);
  }

  private async swap(informer: Cache<T>): Promise<void> {
    const previous = this.serving;
    this.serving = informer;
    if (this.state.kind === "failing") {
      this.options.logger.info(
        { collection: this.name, downMs: this.now() - this.state.since },
        "watch restored",
      );
    }
    if (this.state.kind !== "synced") this.state = { kind: "synced", since: this.now() };
    this.failures = 0;
    this.resolveFirstSync();
    this.options.onChange();
    this.schedule(this.options.resyncMs);
    if (previous && previous !== informer) await previous.stop();
  }

  private failed(error: unknown): void {
    // An error on the serving informer's watch, or on a fresh informer's list: retry with a new one.
    const retryInMs = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** this.failures);
    this.failures++;
    const message = describe(error);
    if (this.state.kind !== "failing") {
      this.options.logger.warn(
        { collection: this.name, error: message, retryInMs },
        "watch failed; retrying",
      );
    }
    this.state = {
      kind: "failing",
      since: this.state.kind === "failing" ? this.state.since : this.now(),
      error: message,
      retryInMs,
    };
    this.schedule(retryInMs);
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.restarts++;
      void this.startFresh();
    }, delayMs);
    this.timer.unref();
  }
}

/** An error as one line, never with request headers (they carry the bearer token). */
function describe(error: unknown): string {
  if (error instanceof Error) {
    const code =
      (error as { statusCode?: number; code?: number | string }).statusCode ??
      (error as { code?: unknown }).code;
    return code === undefined ? error.message : `${error.message} (${String(code)})`;
  }
  if (error && typeof error === "object" && "message" in error)
    return String((error as { message: unknown }).message);
  return String(error);
}
