// The vocabulary of the pure decision core. Nothing here does I/O.

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

/** How driftguard answers for one Deployment. */
export type Mode = "off" | "audit" | "enforce";
export const MODES: readonly Mode[] = ["off", "audit", "enforce"];

/** Field groups that an exemption can cover (docs/contract.md §5). `*` covers everything. */
export type FieldGroup =
  | "replicas"
  | "image"
  | "resources"
  | "env"
  | "restart"
  | "paused"
  | "metadata"
  | "delete"
  | "*";
export const FIELD_GROUPS: readonly FieldGroup[] = [
  "replicas",
  "image",
  "resources",
  "env",
  "restart",
  "paused",
  "metadata",
  "delete",
  "*",
];

export interface ObjectKey {
  namespace: string;
  name: string;
}

export function keyString(key: ObjectKey): string {
  return `${key.namespace}/${key.name}`;
}

/** Where a desired manifest came from: shown in every message about it. */
export interface Origin {
  source: string;
  commit: string;
  /** The manifest file, or a rendered app's folder. */
  file: string;
  /** Set for an object rendered by kustomize or Helm (docs/contract.md §2a). */
  app?: RenderOrigin | undefined;
}

export interface RenderOrigin {
  type: "kustomize" | "helm";
  /** The file or template that produced the object, when the tool says (repo-relative). */
  renderedFrom?: string | undefined;
  /** Set when the app's render failed at the source's newest commit: `commit` is the last good one. */
  failedAt?: { commit: string; message: string } | undefined;
}

/** Who sent the request, as the API server authenticated it. */
export interface Requester {
  username: string;
  groups: readonly string[];
}

/**
 * One path segment of a normalized object. Keyed list elements are addressed by their merge key
 * (`containers[name=web]`); `[order]` addresses the order of a keyed list where order matters.
 */
export type Path = readonly string[];

/** How a field differs from Git: a value changed, a field Git does not have, or one Git has that is gone. */
export type DriftChange = "changed" | "added" | "removed";

/**
 * One field where an object differs from Git. Values are normalized JSON; `undefined` means absent.
 * When `sensitive`, every present value is replaced by MASKED: a Drift never carries a secret, so no
 * report, log line, record or page built from it can leak one.
 */
export interface Drift {
  /** Printable path, e.g. `spec.template.spec.containers[name=web].image`. */
  path: string;
  segments: Path;
  group: FieldGroup | undefined;
  change: DriftChange;
  desired: Json | undefined;
  actual: Json | undefined;
  /** Value before the request (UPDATE only). */
  previous?: Json | undefined;
  /** True when the values must never be echoed (env values, secret-like keys). */
  sensitive: boolean;
}

/** What a Drift holds instead of a sensitive value. */
export const MASKED = "<masked>";
