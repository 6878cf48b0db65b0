// A Kustomize app's proposal as a strategic-merge patch in the overlay (docs/contract.md §11): the
// patch file holds exactly the drifted fields (keyed list elements by their merge keys; a removed field
// as null, a removed element with `$patch: delete`), and the overlay's kustomization lists it under
// `patches:`, edited in place like any manifest. Pure.
import { parseAllDocuments, stringify } from "yaml";
import { ORDER_SEGMENT } from "../core/paths.js";
import type { Json, JsonObject } from "../core/types.js";
import { DriftguardError } from "../errors.js";
import { refuseMasked } from "./manifest-edit.js";
import type { ProposalDrift } from "./types.js";
import { denormalize } from "./values.js";
import { spliceEdits, UnmappableEdit } from "./yaml-splice.js";

/** One file per proposal (the request's short uid): a later proposal never overwrites an earlier one. */
export function patchFileName(name: string, uid: string): string {
  return `driftguard-${name}-${shortUid(uid)}-patch.yaml`;
}

export function shortUid(uid: string): string {
  return (
    uid
      .replace(/[^A-Za-z0-9]/g, "")
      .slice(0, 8)
      .toLowerCase() || "request"
  );
}

/** A patch node: fields, and keyed list elements by segment, until a leaf value. */
type PatchNode = { kind: "leaf"; value: Json } | { kind: "branch"; children: Map<string, PatchNode> };

/** The strategic-merge patch that sets the drifted fields of Deployment `name` to the requested values. */
export function patchText(name: string, drifts: readonly ProposalDrift[], why: string): string {
  refuseMasked(drifts);
  const root: PatchNode = { kind: "branch", children: new Map() };
  for (const drift of drifts) place(root, drift);
  const body = toJson(root, "") as JsonObject;
  const metadata = { ...((body.metadata as JsonObject | undefined) ?? {}), name };
  const patch = { apiVersion: "apps/v1", kind: "Deployment", ...body, metadata };
  const comment = `# Written by driftguard propose: ${why}\n`;
  return comment + stringify(patch, { version: "1.1", lineWidth: 0 });
}

function place(root: PatchNode, drift: ProposalDrift): void {
  if (drift.segments.includes(ORDER_SEGMENT))
    throw new DriftguardError(
      "DG_PROPOSE_UNMAPPABLE",
      `${drift.path}: a list order is not proposed as a patch`,
      {
        where: drift.path,
        hint: "reorder the list in Git by hand",
      },
    );
  let node = root;
  drift.segments.forEach((segment, index) => {
    if (node.kind !== "branch") return;
    const last = index === drift.segments.length - 1;
    if (last) {
      node.children.set(segment, { kind: "leaf", value: leafValue(drift, segment) });
      return;
    }
    let next = node.children.get(segment);
    if (next === undefined || next.kind === "leaf") {
      next = { kind: "branch", children: new Map() };
      node.children.set(segment, next);
    }
    node = next;
  });
}

function leafValue(drift: ProposalDrift, segment: string): Json {
  if (drift.change === "removed") return segment.startsWith("[") ? { $patch: "delete" } : null;
  return drift.written ?? denormalize(drift.requested ?? null);
}

function toJson(node: PatchNode, segment: string): Json {
  if (node.kind === "leaf") return withKeys(segment, node.value);
  const entries = [...node.children];
  if (entries.length > 0 && entries.every(([key]) => key.startsWith("[")))
    return entries.map(([key, child]) => toJson(child, key));
  const out: JsonObject = {};
  for (const [key, child] of entries) out[key] = toJson(child, key);
  return withKeys(segment, out);
}

/** A list element carries its merge keys, which is how the patch names it. */
function withKeys(segment: string, value: Json): Json {
  if (!segment.startsWith("[")) return value;
  const keys: JsonObject = {};
  for (const part of segment.slice(1, -1).split(",")) {
    const at = part.indexOf("=");
    const raw = part.slice(at + 1);
    keys[part.slice(0, at)] = /^\d+$/.test(raw) ? Number(raw) : raw;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  return { ...keys, ...value };
}

/** The kustomization's text with `- path: FILE` added under `patches:` (created when missing). */
export function listPatch(text: string, file: string, patchFile: string): string {
  const doc = parseAllDocuments(text, { version: "1.1" })[0];
  if (doc === undefined) throw unmappable(file, "the kustomization is empty");
  const existing = (doc.toJS() as JsonObject | null)?.patches;
  if (Array.isArray(existing) && existing.some((entry) => (entry as JsonObject | null)?.path === patchFile))
    return text;
  try {
    return spliceEdits(text, doc, [{ kind: "append", segments: ["patches"], value: { path: patchFile } }]);
  } catch (error) {
    if (error instanceof UnmappableEdit) throw unmappable(file, error.message);
    throw error;
  }
}

function unmappable(file: string, message: string): DriftguardError {
  return new DriftguardError("DG_PROPOSE_UNMAPPABLE", message, { where: file });
}
