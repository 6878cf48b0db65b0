// The web view's query parameters, checked before anything is read: an unknown parameter or a
// malformed value is a 400 that names it (DG_VIEW_BAD_QUERY), never silently ignored, so that a typo in
// a script's URL (`?namspace=shop`) does not pass for "everything". Pure.
import { parseDuration } from "../config/durations.js";
import type { HistoryFilter } from "../core/history.js";
import { LIVE_STATES, type LiveState } from "../core/live-drift.js";
import { ViewError } from "./access.js";
import type { DriftQuery } from "./view-shapes.js";

export type RawQuery = Readonly<Record<string, unknown>>;

export interface DecisionsQuery {
  filter: HistoryFilter;
  limit: number;
}

/** Kubernetes names are at most 253 characters; a user name is bounded the same way here. */
const MAX_VALUE_LENGTH = 253;

export function driftQuery(query: RawQuery): DriftQuery {
  const values = known(query, ["namespace", "state"]);
  const state = values.state;
  if (state !== undefined && !LIVE_STATES.includes(state as LiveState))
    throw badQuery(`state=${state}: not a state`, `give one of ${LIVE_STATES.join(", ")}`);
  return { namespace: values.namespace, state: state as LiveState | undefined };
}

export function decisionsQuery(query: RawQuery, maxDecisions: number, now: number): DecisionsQuery {
  const values = known(query, ["namespace", "name", "user", "since", "limit"]);
  return {
    filter: {
      namespace: values.namespace,
      name: values.name,
      user: values.user,
      since: sinceOf(values.since, now),
    },
    limit: limitOf(values.limit, maxDecisions),
  };
}

export function noQuery(query: RawQuery): void {
  known(query, []);
}

function known<K extends string>(query: RawQuery, names: readonly K[]): Partial<Record<K, string>> {
  const values: Partial<Record<K, string>> = {};
  for (const [name, value] of Object.entries(query)) {
    if (!(names as readonly string[]).includes(name))
      throw badQuery(
        `unknown query parameter ${JSON.stringify(name.slice(0, 60))}`,
        names.length === 0 ? "this address takes no parameters" : `this address takes ${names.join(", ")}`,
      );
    if (typeof value !== "string") throw badQuery(`${name} is given more than once`, `give ${name} once`);
    if (value.length > MAX_VALUE_LENGTH)
      throw badQuery(`${name} is longer than ${MAX_VALUE_LENGTH} characters`, "give a Kubernetes name");
    if (value !== "") values[name as K] = value;
  }
  return values;
}

function sinceOf(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined)
    throw badQuery(`since=${value}: not a duration`, 'give a duration like "30m" or "24h"');
  return now - ms;
}

function limitOf(value: string | undefined, max: number): number {
  if (value === undefined) return max;
  const limit = /^[0-9]{1,6}$/.test(value) ? Number(value) : Number.NaN;
  if (!(limit >= 1 && limit <= max))
    throw badQuery(
      `limit=${value}: not a whole number from 1 to ${max}`,
      `give limit from 1 to ${max} (webView.maxDecisions)`,
    );
  return limit;
}

function badQuery(message: string, hint: string): ViewError {
  return new ViewError(400, "DG_VIEW_BAD_QUERY", message, hint);
}
