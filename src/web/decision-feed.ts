// The decisions the web view lists: this replica's own recent records (heard from the recorder, seeded
// from its store on disk at start) and, when the cluster is watched, every replica's DecisionRecord
// objects of the API server. A record is one request: the two are joined on the request uid.
//
// The API server's list is asked for at most once every few seconds, succeeding or failing, by one
// call at a time, so that a page refreshed by many viewers costs one list, also while the API server is
// away. When it fails, the last good list is kept and the failure is shown (DecisionHistory.errors): a
// page says what it could not read, it never pretends.
import type { DecisionRecord } from "../core/decision-record.js";
import { describeError } from "../errors.js";

export interface DecisionFeed {
  /** Every known record, oldest first, and what could not be read. */
  read(): Promise<{ records: DecisionRecord[]; errors: { message: string }[] }>;
  /** A record this replica just made. */
  add(record: DecisionRecord): void;
}

export interface DecisionFeedOptions {
  /** The recent records this replica keeps in memory, at most (older ones drop first). */
  keep: number;
  /** The API server's DecisionRecords; absent when the cluster is not watched or records are off. */
  listCluster?: () => Promise<DecisionRecord[]>;
  /** How long a list of the API server's records is reused. */
  clusterCacheMs?: number;
  now?: () => number;
}

const DEFAULT_CLUSTER_CACHE_MS = 5_000;

export function createDecisionFeed(options: DecisionFeedOptions): DecisionFeed {
  const now = options.now ?? Date.now;
  const cacheMs = options.clusterCacheMs ?? DEFAULT_CLUSTER_CACHE_MS;
  const recent: DecisionRecord[] = [];
  let listed: DecisionRecord[] | undefined;
  /** When the last list was asked for, whatever came of it: a failing API server is asked no more often. */
  let attemptedAt: number | undefined;
  let listing: Promise<void> | undefined;
  let lastError: string | undefined;

  const refreshCluster = (list: () => Promise<DecisionRecord[]>): Promise<void> => {
    attemptedAt = now();
    listing ??= list()
      .then(
        (records) => {
          listed = records;
          lastError = undefined;
        },
        (error: unknown) => {
          lastError = describeError(error);
        },
      )
      .finally(() => {
        listing = undefined;
      });
    return listing;
  };

  return {
    add(record) {
      recent.push(record);
      if (recent.length > options.keep) recent.splice(0, recent.length - options.keep);
    },
    async read() {
      const { listCluster } = options;
      if (listCluster && (attemptedAt === undefined || now() - attemptedAt >= cacheMs))
        await refreshCluster(listCluster);
      // A read while a list is under way waits for it (one list for every viewer of the moment).
      else if (listing) await listing;
      const errors =
        lastError === undefined
          ? []
          : [
              {
                message: `cannot list the API server's DecisionRecords (showing this replica's records${listed ? " and the last list" : ""}): ${lastError}`,
              },
            ];
      return { records: joinByRequest(listed ?? [], recent), errors };
    },
  };
}

/** One record per request uid (the API server's copy and this replica's are the same record), by time. */
function joinByRequest(...lists: readonly DecisionRecord[][]): DecisionRecord[] {
  const byUid = new Map<string, DecisionRecord>();
  for (const list of lists) for (const record of list) byUid.set(record.requestUid, record);
  return [...byUid.values()].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}
