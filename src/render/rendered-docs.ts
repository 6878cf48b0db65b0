// A render's stdout as the Deployments driftguard compares against (docs/contract.md §2a). Pure.
// The stream is read as kubectl reads a file (the GitOps tool applies it the same way); each object is
// told where it came from, and the marks a renderer leaves about origins are taken out of comparison.
import { posix } from "node:path";
import { parse } from "yaml";
import { asObject } from "../core/json.js";
import type { JsonObject, Path } from "../core/types.js";
import { parseManifestFile } from "../sources/manifest-parser.js";
import type { AppConfig, ManifestDoc, Notice, ParseError } from "../sources/types.js";
import { appKey } from "./render-args.js";

/** What kustomize writes with `buildMetadata: [originAnnotations]` / `[transformerAnnotations]`. */
export const ORIGIN_ANNOTATION = "config.kubernetes.io/origin";
const TRANSFORMATIONS_ANNOTATION = "alpha.config.kubernetes.io/transformations";
const ORIGIN_MARKS = [ORIGIN_ANNOTATION, TRANSFORMATIONS_ANNOTATION];
const ORIGIN_PATHS: readonly Path[] = ORIGIN_MARKS.map((key) => ["metadata", "annotations", key]);

export type RenderedDocs =
  | { ok: true; docs: ManifestDoc[]; notices: Notice[] }
  | { ok: false; error: ParseError };

export function readRenderedDocs(
  app: AppConfig,
  type: "kustomize" | "helm",
  stdout: string,
  maxBytes: number,
): RenderedDocs {
  const parsed = parseManifestFile(appKey(app), stdout, app.namespace, {
    maxBytes,
    sourceComments: type === "helm",
  });
  if (parsed.error !== undefined) {
    const { line, message } = parsed.error;
    const where = line === undefined ? "" : ` (output line ${line})`;
    return {
      ok: false,
      error: { file: appKey(app), message: `${type} output does not parse${where}: ${message}` },
    };
  }
  const docs = parsed.docs.map((doc) => withOrigin(doc, app, type));
  return { ok: true, docs, notices: parsed.notices };
}

function withOrigin(doc: ManifestDoc, app: AppConfig, type: "kustomize" | "helm"): ManifestDoc {
  const from =
    type === "helm" ? helmTemplatePath(app, doc.renderedFrom) : kustomizeOriginPath(app, doc.object);
  const object = withoutOriginMarks(doc.object);
  const out: ManifestDoc = { ...doc, object, notCompared: ORIGIN_PATHS };
  if (from === undefined) delete out.renderedFrom;
  else out.renderedFrom = from;
  return out;
}

/** `# Source: <chart name>/templates/x.yaml`: the chart's name stands for the app's folder. */
function helmTemplatePath(app: AppConfig, source: string | undefined): string | undefined {
  if (source === undefined) return undefined;
  const slash = source.indexOf("/");
  if (slash < 0) return undefined;
  return inRepository(app.path, source.slice(slash + 1));
}

/** The origin annotation's `path`, relative to the app's kustomization. */
function kustomizeOriginPath(app: AppConfig, object: JsonObject): string | undefined {
  const raw = asObject(asObject(object.metadata)?.annotations)?.[ORIGIN_ANNOTATION];
  if (typeof raw !== "string") return undefined;
  try {
    const origin = asObject(parse(raw));
    // A remote origin (`repo:`) cannot happen: remote resources are refused before the build.
    return typeof origin?.path === "string" && origin.repo === undefined
      ? inRepository(app.path, origin.path)
      : undefined;
  } catch {
    return undefined;
  }
}

function inRepository(appPath: string, relative: string): string | undefined {
  const joined = posix.normalize(posix.join(appPath, relative));
  return joined.startsWith("../") || joined === ".." ? undefined : joined;
}

/** The object without the origin marks (and without an annotations map they alone made). */
function withoutOriginMarks(object: JsonObject): JsonObject {
  const metadata = asObject(object.metadata);
  const annotations = asObject(metadata?.annotations);
  if (metadata === undefined || annotations === undefined) return object;
  if (!ORIGIN_MARKS.some((key) => key in annotations)) return object;
  const kept: JsonObject = {};
  for (const [key, value] of Object.entries(annotations)) if (!ORIGIN_MARKS.includes(key)) kept[key] = value;
  const nextMetadata: JsonObject = { ...metadata, annotations: kept };
  if (Object.keys(kept).length === 0) delete nextMetadata.annotations;
  return { ...object, metadata: nextMetadata };
}
