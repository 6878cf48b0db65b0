// One manifest document as a snapshot stores it, in the served revision and in the history alike.
// Pure; decoding trusts nothing.
import type { JsonObject } from "../core/types.js";
import { array, object, string } from "./snapshot-fields.js";
import type { ManifestDoc } from "./types.js";

/** JSON.stringify leaves out the fields a plain file's document does not have. */
export function encodeDoc(doc: ManifestDoc): JsonObject {
  const { namespace, name, file, docIndex, object: manifest, renderedFrom, notCompared } = doc;
  const out: JsonObject = { namespace, name, file, docIndex, object: manifest };
  if (renderedFrom !== undefined) out.renderedFrom = renderedFrom;
  if (notCompared !== undefined) out.notCompared = notCompared.map((path) => [...path]);
  return out;
}

/** `file`: the state's own file, for the revision's lines (which store it once per file, not per doc). */
export function decodeDoc(raw: JsonObject, file?: string): ManifestDoc {
  const doc: ManifestDoc = {
    namespace: string(raw.namespace, "namespace"),
    name: string(raw.name, "name"),
    file: file ?? string(raw.file, "file"),
    docIndex: string(raw.docIndex, "docIndex"),
    object: object(raw.object, "object"),
  };
  if (raw.renderedFrom !== undefined) doc.renderedFrom = string(raw.renderedFrom, "renderedFrom");
  if (raw.notCompared !== undefined)
    doc.notCompared = array(raw.notCompared, "notCompared").map((path) =>
      Object.freeze(array(path, "notCompared path").map((segment) => string(segment, "notCompared segment"))),
    );
  return Object.freeze(doc);
}
