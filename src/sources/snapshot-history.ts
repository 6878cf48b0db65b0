// The history part of a snapshot (format v2): the object versions read from Git for the head commit
// the snapshot serves. Pure; decoding trusts nothing, as for the rest of the snapshot.
import type { JsonObject } from "../core/types.js";
import type { StoredHistory } from "./object-history.js";
import { decodeDoc, encodeDoc } from "./snapshot-docs.js";
import { array, invalid, object, string } from "./snapshot-fields.js";
import type { ObjectVersion } from "./types.js";

export function encodeHistory(history: StoredHistory | undefined, commit: string): JsonObject | undefined {
  // History read for another head says nothing about this commit's past.
  if (history === undefined || history.head !== commit) return undefined;
  const objects = [...history.objects].map(([key, versions]) => ({
    key,
    versions: versions.map(({ commit: at, docs }) => ({
      commit: at,
      docs: docs.map(encodeDoc),
    })),
  }));
  return { head: history.head, objects };
}

export function decodeHistory(raw: unknown, commit: string): StoredHistory | undefined {
  if (raw === undefined) return undefined;
  const data = object(raw, "history");
  const head = string(data.head, "history.head");
  if (head !== commit) invalid("history made for another commit");
  const objects = new Map<string, readonly ObjectVersion[]>();
  for (const entry of array(data.objects, "history.objects")) {
    const item = object(entry, "history object");
    const key = string(item.key, "history key");
    objects.set(key, Object.freeze(array(item.versions, "versions").map((v) => decodeVersion(key, v))));
  }
  return { head, objects };
}

function decodeVersion(key: string, raw: unknown): ObjectVersion {
  const version = object(raw, "version");
  const docs = array(version.docs, "version docs").map((doc) => decodeDoc(object(doc, "version doc")));
  // A version must be about its object: anything else would let another object's content through.
  if (docs.some((doc) => `${doc.namespace}/${doc.name}` !== key))
    invalid(`a version of ${key} names another object`);
  return Object.freeze({ commit: string(version.commit, "version commit"), docs: Object.freeze(docs) });
}
