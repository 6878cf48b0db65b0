// In-memory stand-ins for the API server behind SecretApi and WebhookApi, with the server's rules that
// the loop relies on: create fails with 409 when the Secret exists, replace with 409 when the
// resourceVersion is stale, JSON-patch replace sets exactly the path named. Every call that changes
// something is appended to one shared `events` list, so a test can assert the order across fakes.
import type { V1Secret } from "@kubernetes/client-node";
import type { ServingFiles, ServingPair } from "../../../src/certs/serving-files.js";
import type { CaBundlePatchOp, WebhookApi } from "../../../src/kube/self-managed/ca-bundle-keeper.js";
import type { SecretApi } from "../../../src/kube/self-managed/secret-store.js";

export class ApiError extends Error {
  constructor(readonly code: number) {
    super(`HTTP-Code: ${code}`);
  }
}

export class FakeSecretApi implements SecretApi {
  stored: V1Secret | undefined;
  private version = 0;
  /** The next this many calls fail as an unreachable API server would. */
  failing = 0;
  readonly calls = { read: 0, create: 0, replace: 0, conflicts: 0 };

  constructor(readonly events: string[] = []) {}

  async read(): Promise<V1Secret | undefined> {
    this.fail();
    this.calls.read++;
    this.events.push(`secret:read ${this.stored ? "found" : "none"}`);
    return structuredClone(this.stored);
  }

  async create(secret: V1Secret): Promise<void> {
    this.fail();
    this.calls.create++;
    if (this.stored) this.conflict();
    this.store(secret, "create");
  }

  async replace(secret: V1Secret): Promise<void> {
    this.fail();
    this.calls.replace++;
    if (secret.metadata?.resourceVersion !== this.stored?.metadata?.resourceVersion) this.conflict();
    this.store(secret, "replace");
  }

  private store(secret: V1Secret, verb: string): void {
    const resourceVersion = String(++this.version);
    this.stored = { ...structuredClone(secret), metadata: { ...secret.metadata, resourceVersion } };
    this.events.push(`secret:${verb}`);
  }

  private conflict(): never {
    this.calls.conflicts++;
    this.events.push("secret:409");
    throw new ApiError(409);
  }

  private fail(): void {
    if (this.failing === 0) return;
    this.failing--;
    throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6443"), { code: "ECONNREFUSED" });
  }
}

export class FakeWebhookApi implements WebhookApi {
  /** Each webhook's caBundle, base64; undefined: no such configuration. */
  caBundle: string[] | undefined;
  readonly patches: CaBundlePatchOp[][] = [];
  private listener: (() => void) | undefined;
  watchStops = 0;

  constructor(
    readonly events: string[] = [],
    webhooks = 2,
  ) {
    this.caBundle = Array.from({ length: webhooks }, () => "");
  }

  async caBundles(): Promise<readonly string[] | undefined> {
    return this.caBundle && [...this.caBundle];
  }

  async patchCaBundle(patch: readonly CaBundlePatchOp[]): Promise<void> {
    this.patches.push([...patch]);
    for (const op of patch) {
      const index = Number(/^\/webhooks\/(\d+)\/clientConfig\/caBundle$/.exec(op.path)?.[1]);
      if (!this.caBundle || !(index in this.caBundle)) throw new ApiError(422);
      this.caBundle[index] = op.value;
    }
    this.events.push("webhook:patch");
  }

  watch(onChange: () => void): { stop(): Promise<void> } {
    this.listener = onChange;
    return {
      stop: async () => {
        this.watchStops++;
        this.listener = undefined;
      },
    };
  }

  get watching(): boolean {
    return this.listener !== undefined;
  }

  /** What `kubectl apply` of a manifest without the caBundle does, as the watch reports it. */
  dropCaBundle(index: number): void {
    if (this.caBundle) this.caBundle[index] = "";
    this.listener?.();
  }

  /** The PEM text of one webhook's caBundle. */
  pem(index = 0): string {
    return Buffer.from(this.caBundle?.[index] ?? "", "base64").toString();
  }
}

export class FakeFiles implements ServingFiles {
  readonly certFile = "tls.crt";
  pair: ServingPair | undefined;
  writes = 0;

  constructor(readonly events: string[] = []) {}

  async write(pair: ServingPair): Promise<boolean> {
    if (this.pair?.cert === pair.cert && this.pair.key === pair.key) return false;
    this.pair = { cert: pair.cert, key: pair.key };
    this.writes++;
    this.events.push("files:write");
    return true;
  }
}
