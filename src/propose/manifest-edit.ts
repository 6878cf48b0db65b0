// A plain manifest edited in place so that Git says what the request asked: the object's document
// found by kind, namespace and name, only the drifted nodes spliced (yaml-splice.ts), then the edited
// file parsed and normalized as the source parses it and checked field by field. Pure.
import { type Document, parseAllDocuments } from "yaml";
import { jsonEqual } from "../core/json.js";
import { type NormalizeOptions, normalize } from "../core/normalize.js";
import { ORDER_SEGMENT } from "../core/paths.js";
import { type Json, type JsonObject, MASKED, type ObjectKey } from "../core/types.js";
import { DriftguardError } from "../errors.js";
import { readYamlDocuments } from "../sources/yaml-reader.js";
import type { ProposalDrift } from "./types.js";
import { denormalize, valueAt } from "./values.js";
import { type NodeEdit, spliceEdits, UnmappableEdit } from "./yaml-splice.js";

export interface ManifestTarget {
  key: ObjectKey;
  /** The source's namespace for documents without metadata.namespace. */
  defaultNamespace: string;
  /** Repo-relative file, for messages. */
  file: string;
}

/** The file's new text. Throws DG_PROPOSE_* when the object is not there or a field cannot be written. */
export function editManifest(
  text: string,
  target: ManifestTarget,
  drifts: readonly ProposalDrift[],
  options: NormalizeOptions,
): string {
  refuseMasked(drifts);
  const docs = parseAllDocuments(text, { version: "1.1", merge: true });
  const index = docs.findIndex((doc) => isTarget(doc.toJS(), target));
  const doc = docs[index];
  if (doc === undefined)
    throw new DriftguardError(
      "DG_PROPOSE_NO_MANIFEST",
      `${target.file} holds no Deployment ${target.key.namespace}/${target.key.name} as a document of its own`,
      {
        where: target.file,
        hint: "a Deployment inside a List, or a file changed since the sync, cannot be edited",
      },
    );
  // Nothing asked: the file stays as it is, byte for byte (not even parsed back).
  if (drifts.length === 0) return text;
  let edited: string;
  try {
    edited = spliceEdits(text, doc as Document, drifts.map(editOf));
  } catch (error) {
    if (!(error instanceof UnmappableEdit)) throw error;
    throw unmappable(target.file, error.message);
  }
  checkEdited(edited, index, target, drifts, options);
  return edited;
}

export function refuseMasked(drifts: readonly ProposalDrift[]): void {
  const masked = drifts.find((drift) => holdsMasked(drift.requested) || holdsMasked(drift.written));
  if (masked)
    throw new DriftguardError(
      "DG_PROPOSE_VALUE_MASKED",
      `the requested value of ${masked.path} is masked (a secret), so no edit can carry it`,
      { where: masked.path, hint: "propose from the AdmissionReview itself, which holds the value" },
    );
}

/** A record masks a secret wherever it sits: a whole value, or one inside an element (an env var). */
function holdsMasked(value: Json | undefined): boolean {
  if (value === MASKED) return true;
  if (Array.isArray(value)) return value.some(holdsMasked);
  return typeof value === "object" && value !== null && Object.values(value).some(holdsMasked);
}

function editOf(drift: ProposalDrift): NodeEdit {
  const last = drift.segments[drift.segments.length - 1];
  if (last === ORDER_SEGMENT) {
    const order = Array.isArray(drift.requested) ? drift.requested.map(String) : [];
    return { kind: "order", segments: drift.segments.slice(0, -1), order };
  }
  if (drift.change === "removed") return { kind: "remove", segments: drift.segments };
  const value = drift.written ?? denormalize(drift.requested ?? null);
  return { kind: "set", segments: drift.segments, value };
}

function isTarget(value: unknown, target: ManifestTarget): boolean {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const object = value as JsonObject;
  const metadata = (object.metadata ?? {}) as JsonObject;
  const namespace = typeof metadata.namespace === "string" ? metadata.namespace : target.defaultNamespace;
  return (
    object.kind === "Deployment" &&
    typeof object.apiVersion === "string" &&
    object.apiVersion.startsWith("apps/") &&
    metadata.name === target.key.name &&
    namespace === target.key.namespace
  );
}

/** The edited file read as the source reads it: every drifted field must now hold the requested value. */
function checkEdited(
  text: string,
  index: number,
  target: ManifestTarget,
  drifts: readonly ProposalDrift[],
  options: NormalizeOptions,
): void {
  const read = readYamlDocuments(text);
  if (!read.ok) throw unmappable(target.file, `the edited file does not parse: ${read.message}`);
  const doc = read.docs.find((candidate) => candidate.index === index);
  if (doc === undefined || !isTarget(doc.value, target))
    throw unmappable(target.file, "the edit lost the document");
  const normalized = normalize(doc.value as JsonObject, options).object;
  const wrong = mismatches(normalized, drifts);
  if (wrong.length > 0)
    throw unmappable(target.file, `after the edit Git still differs at ${wrong.join(", ")}`);
}

/** The drifted paths where `normalized` does not hold the requested value. */
export function mismatches(normalized: JsonObject, drifts: readonly ProposalDrift[]): string[] {
  return drifts.filter((drift) => !holds(normalized, drift)).map((drift) => drift.path);
}

function holds(normalized: JsonObject, drift: ProposalDrift): boolean {
  const value = valueAt(normalized, drift.segments);
  if (drift.segments[drift.segments.length - 1] !== ORDER_SEGMENT || !Array.isArray(value))
    return jsonEqual(value, drift.requested as Json | undefined);
  // An order drift names the elements both sides have: compare the order of those only.
  const asked = Array.isArray(drift.requested) ? drift.requested : [];
  return jsonEqual(
    value.filter((segment) => asked.includes(segment)),
    asked,
  );
}

function unmappable(file: string, message: string): DriftguardError {
  return new DriftguardError("DG_PROPOSE_UNMAPPABLE", message, {
    where: file,
    hint: "make this change in Git by hand; driftguard proposes only edits it can check",
  });
}
