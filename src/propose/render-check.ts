// The render side of a proposal: the compared commit's files with the proposed edits laid over them,
// rendered by the real kustomize or helm exactly as the sync renders (renderApp), and the object's
// desired state read from the output as the sync reads it.
import { createHash } from "node:crypto";
import { type Desired, prepareDesired } from "../core/desired.js";
import type { Policy } from "../core/policy.js";
import type { JsonObject, ObjectKey, Origin } from "../core/types.js";
import { DriftguardError } from "../errors.js";
import type { AppRendering } from "../render/app-step.js";
import { helmInputs, kustomizeInputs } from "../render/inputs.js";
import { renderApp } from "../render/render-app.js";
import { appKey } from "../render/render-args.js";
import type { BlobTree, TreeFile } from "../render/repo-tree.js";
import { HOW_TO_GET_TOOLS } from "../render/tools.js";
import type { AppConfig } from "../sources/types.js";

/** Renders the app over `tree` and returns the object's desired state, or why there is none. */
export type AppRenderer = (
  app: AppConfig,
  type: "kustomize" | "helm",
  tree: BlobTree,
) => Promise<RenderedObject | { ok: false; message: string }>;

export interface RenderedObject {
  ok: true;
  desired: Desired;
  /** The object as rendered, and the file the tool says it came from. */
  object: JsonObject;
  renderedFrom: string | undefined;
}

/** Git's blob id of a text: what an edited file's tree entry carries. */
function blobIdOf(text: string): string {
  const bytes = Buffer.from(text);
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

/** `base` with some files' content replaced (or added). */
export function overlayTree(base: BlobTree, edits: ReadonlyMap<string, string>): BlobTree {
  const files = new Map<string, TreeFile>(base.files);
  const byBlob = new Map<string, Buffer>();
  for (const [path, text] of edits) {
    const blob = blobIdOf(text);
    files.set(path, { mode: base.files.get(path)?.mode ?? "100644", blob });
    byBlob.set(blob, Buffer.from(text));
  }
  return {
    files,
    read: async (path) => edits.get(path) ?? base.read(path),
    readBlobs: async (blobs, onBlob) => {
      const rest = blobs.filter((blob) => !byBlob.has(blob));
      for (const blob of blobs) if (byBlob.has(blob)) onBlob(blob, byBlob.get(blob));
      if (rest.length > 0) await base.readBlobs(rest, onBlob);
    },
  };
}

export function appRenderer(
  rendering: AppRendering,
  policy: Policy,
  key: ObjectKey,
  origin: Origin,
): AppRenderer {
  return async (app, type, tree) => {
    const tools = await rendering.tools();
    const tool = tools[type];
    // A missing tool is an error of the installation (exit 2), not an answer about the request.
    if (tool.kind === "missing")
      throw new DriftguardError("DG_RENDER_TOOL_MISSING", tool.message, {
        where: appKey(app),
        hint: HOW_TO_GET_TOOLS,
      });
    const inputs = await (type === "kustomize"
      ? kustomizeInputs(tree, app.path)
      : helmInputs(tree, app.path, app.helm.valueFiles));
    if (!inputs.ok) return { ok: false, message: inputs.message };
    const isolation = tools.network.kind === "isolated" ? tools.network.prefix : undefined;
    const outcome = await renderApp({
      app,
      type,
      binary: tool.binary,
      tree,
      inputs,
      settings: rendering.settings,
      isolation,
    });
    if (!outcome.ok) return { ok: false, message: outcome.message };
    const doc = outcome.docs.find(
      (candidate) =>
        candidate.name === key.name &&
        candidate.namespace === key.namespace &&
        candidate.object.kind === "Deployment",
    );
    if (doc === undefined)
      return { ok: false, message: `the render no longer holds ${key.namespace}/${key.name}` };
    const desired = prepareDesired(doc.object, key, origin, policy, doc.notCompared);
    return { ok: true, desired, object: doc.object, renderedFrom: doc.renderedFrom };
  };
}
