// The past desired states of objects, for GitOps identities (docs/contract.md §2 History, §5): read from the ref's
// first-parent history in Git, so a fresh replica answers as an old one does. Read lazily (a GitOps
// request that matches nothing known), one walk per head commit shared by every object, and remembered
// per object for the snapshot: a replica restarted while Git is away still knows what it had read.
import type { Logger } from "pino";
import { keyString, type ObjectKey } from "../core/types.js";
import type { AppRendering } from "../render/app-step.js";
import { HistoryWalk } from "./history-walk.js";
import { describeError } from "./redact.js";
import type { PreparedRepo } from "./source-setup.js";
import type { ObjectVersion, SourceConfig, SourceRevision } from "./types.js";

/** What was read for one head commit: per object key (`namespace/name`), its versions, newest first. */
export interface StoredHistory {
  head: string;
  objects: ReadonlyMap<string, readonly ObjectVersion[]>;
}

export interface ObjectHistoryDeps {
  config: SourceConfig;
  logger: Logger;
  prepare: () => Promise<PreparedRepo>;
  current: () => SourceRevision | undefined;
  /** Commits touching the source's paths walked at most per head (history-walk's cap). */
  maxCommits: number;
  /** Called when something new was read (the snapshot is saved again). */
  onRead: () => void;
  /** Renders apps at older commits; without it, an app's history is its current render. */
  rendering?: AppRendering | undefined;
}

// Remembered objects per head: what the snapshot carries and what a lookup reuses. Objects asked about
// are those GitOps identities write outside the current commit; a few hundred covers any rollback.
const MAX_OBJECTS = 256;

export class ObjectHistory {
  private walk: HistoryWalk | undefined;
  private remembered: { head: string; objects: Map<string, readonly ObjectVersion[]> } | undefined;
  private failedHead: string | undefined;

  constructor(private readonly deps: ObjectHistoryDeps) {}

  /** Takes what a snapshot held; used only while the current commit is its head. */
  restore(stored: StoredHistory | undefined): void {
    if (stored !== undefined) this.remembered = { head: stored.head, objects: new Map(stored.objects) };
  }

  stored(): StoredHistory | undefined {
    return this.remembered;
  }

  async read(key: ObjectKey, limit: number): Promise<readonly ObjectVersion[]> {
    const current = this.deps.current();
    if (current === undefined) return [];
    const name = keyString(key);
    // A commit's history never changes: what was read for it (here or before a restart) is the answer.
    const known = this.remembered?.head === current.commit ? this.remembered.objects.get(name) : undefined;
    if (known !== undefined && known.length >= limit) return known.slice(0, limit);
    const walk = this.walkFor(current);
    try {
      const { versions } = await walk.read(this.deps.prepare, name, limit);
      this.remember(current.commit, name, versions);
      return versions;
    } catch (error) {
      if (this.walk === walk) this.walk = undefined; // the next question starts over
      this.logFailure(current.commit, error);
      const partial = walk.known(name, limit).versions;
      return known !== undefined && known.length > partial.length ? known : partial;
    }
  }

  private walkFor(current: SourceRevision): HistoryWalk {
    // A new head (a push, a force-push) is a new history: nothing of another head's walk is reused.
    if (this.walk?.commit !== current.commit) {
      const { rendering, logger } = this.deps;
      const renders = rendering === undefined ? undefined : { rendering, logger };
      this.walk = new HistoryWalk(this.deps.config, current, this.deps.maxCommits, renders);
    }
    return this.walk;
  }

  private remember(head: string, name: string, versions: readonly ObjectVersion[]): void {
    if (this.remembered?.head !== head) this.remembered = { head, objects: new Map() };
    const { objects } = this.remembered;
    const before = objects.get(name);
    objects.delete(name);
    objects.set(name, versions);
    for (const oldest of objects.keys()) {
      if (objects.size <= MAX_OBJECTS) break;
      objects.delete(oldest);
    }
    if (!sameCommits(before, versions)) this.deps.onRead();
  }

  private logFailure(head: string, error: unknown): void {
    if (this.failedHead === head) return;
    this.failedHead = head;
    this.deps.logger.warn(
      { commit: head, err: describeError(error) },
      "history could not be read from Git; answering with what is known",
    );
  }
}

function sameCommits(a: readonly ObjectVersion[] | undefined, b: readonly ObjectVersion[]): boolean {
  return a !== undefined && a.length === b.length && a.every((version, i) => version.commit === b[i]?.commit);
}
