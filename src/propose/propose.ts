// The entry of a proposal (docs/contract.md §11, Proposals): from a ProposalInput (built from an
// AdmissionReview by from-review.ts, or from a decision record) to the files that would make Git say
// what the request asked, per kind of source:
// - a plain manifest: edited in place (manifest-edit.ts);
// - a Kustomize app: the base file edited when the object comes from a manifest of the overlay's own
//   folder that no other app of the source reads, and the render then shows the request; else a
//   strategic-merge patch in the overlay;
// - a Helm app: one values key, when exactly one maps to each field (each candidate rendered).
// Every app proposal is rendered with the real tool over the edited files before it is proposed.
import type { Desired } from "../core/desired.js";
import { diff } from "../core/diff.js";
import { jsonEqual } from "../core/json.js";
import { formatPath } from "../core/paths.js";
import { type Json, MASKED } from "../core/types.js";
import { DriftguardError } from "../errors.js";
import { helmInputs, kustomizeInputs, readablePaths } from "../render/inputs.js";
import { KUSTOMIZATION_FILES } from "../render/kustomization.js";
import { appKey } from "../render/render-args.js";
import { isUnder as isUnderFolder } from "../render/repo-paths.js";
import type { BlobTree } from "../render/repo-tree.js";
import type { AppConfig, SourceConfig } from "../sources/types.js";
import { MAX_CANDIDATES, setValue, valueCandidates } from "./helm-values.js";
import { listPatch, patchFileName, patchText } from "./kustomize-edit.js";
import { editManifest, mismatches, refuseMasked } from "./manifest-edit.js";
import { type AppRenderer, overlayTree } from "./render-check.js";
import type { FileChange, ProposalDrift, ProposalEdit, ProposalInput } from "./types.js";
import { valueAt } from "./values.js";

export interface ProposeContext {
  /** The source the origin names (its default namespace and apps). */
  source: SourceConfig;
  /** Git's desired state of the object at `origin.commit` (what the drifts were computed against). */
  desired: Desired;
  /** The source's files at `origin.commit`. */
  tree: BlobTree;
  /** Renders an app over a tree (the real kustomize or helm); needed for apps only. */
  render: AppRenderer;
  /**
   * The source's branch head, when it may have moved past `origin.commit` (a proposal from an older
   * record, or `--branch` after a fetch): the edit is then made on the head, but only when every drifted
   * field still holds there what it held at the compared commit (else DG_PROPOSE_HEAD_MOVED).
   */
  head?: { commit: string; desired: Desired; tree: BlobTree } | undefined;
}

/** The proposed files. Throws DG_PROPOSE_* (NO_CHANGE, VALUE_MASKED, NO_MANIFEST, UNMAPPABLE, HELM_AMBIGUOUS). */
export async function proposeChange(input: ProposalInput, context: ProposeContext): Promise<ProposalEdit> {
  if (input.drifts.length === 0)
    throw new DriftguardError("DG_PROPOSE_NO_CHANGE", "the request changes nothing against Git", {
      where: `${input.key.namespace}/${input.key.name}`,
    });
  refuseMasked(input.drifts);
  const moved = onHead(input, context);
  if (moved !== undefined) {
    const edit = await proposeChange(moved.input, moved.context);
    return { files: edit.files, notes: [moved.note, ...edit.notes] };
  }
  const app = input.origin.app;
  if (app === undefined) return plainEdit(input, context);
  const config = appConfigOf(context.source, input.origin.file);
  if (app.type === "kustomize") return kustomizeEdit(input, context, config);
  return helmEdit(input, context, config);
}

/** The input and context at the head, when the head moved and still holds Git's old values; else throws. */
function onHead(input: ProposalInput, context: ProposeContext) {
  const { head } = context;
  if (head === undefined || head.commit === input.origin.commit) return undefined;
  const changed = input.drifts.filter(
    (drift) =>
      !jsonEqual(
        valueAt(head.desired.normalized, drift.segments),
        valueAt(context.desired.normalized, drift.segments),
      ),
  );
  if (changed.length > 0)
    throw new DriftguardError(
      "DG_PROPOSE_HEAD_MOVED",
      `Git moved from ${input.origin.commit.slice(0, 12)} to ${head.commit.slice(0, 12)} and changed ${changed.map((d) => d.path).join(", ")} since`,
      { where: input.origin.source, hint: "propose again from a request compared with the new head" },
    );
  const note = `Git moved from ${input.origin.commit.slice(0, 12)} to ${head.commit.slice(0, 12)}; the drifted fields are unchanged there, so the edit is made on the head`;
  return {
    input: { ...input, origin: head.desired.origin },
    context: { ...context, desired: head.desired, tree: head.tree, head: undefined },
    note,
  };
}

async function plainEdit(input: ProposalInput, context: ProposeContext): Promise<ProposalEdit> {
  const file = input.origin.file;
  const before = await readOrRefuse(context.tree, file);
  const target = { key: input.key, defaultNamespace: namespaceFor(context.source, file), file };
  const after = editManifest(before, target, input.drifts, context.desired.options);
  return { files: [{ path: file, before, after }], notes: [`${file}: edited in place`] };
}

async function kustomizeEdit(
  input: ProposalInput,
  context: ProposeContext,
  app: AppConfig,
): Promise<ProposalEdit> {
  const from = input.origin.app?.renderedFrom;
  const failures: string[] = [];
  // The overlay's own manifest holds the field: edit it there, if the render then says what was asked.
  if (
    from !== undefined &&
    isUnder(from, app.path) &&
    context.tree.files.has(from) &&
    !(await readByAnotherApp(context, app, from))
  ) {
    const base = await tryBaseEdit(input, context, app, from);
    if (base.ok) return base.edit;
    failures.push(`editing ${from}: ${base.message}`);
  }
  const kustomization = KUSTOMIZATION_FILES.map((name) => join(app.path, name)).find((path) =>
    context.tree.files.has(path),
  );
  if (kustomization === undefined) throw unmappable(app.path, "the app has no kustomization file");
  const names = [input.key.name, ...(await baseNames(context.tree, from))].filter(
    (name, index, all) => all.indexOf(name) === index,
  );
  for (const name of names) {
    const patchFile = patchFileName(input.key.name, input.uid);
    const patchPath = join(app.path, patchFile);
    const kustomizationBefore = await readOrRefuse(context.tree, kustomization);
    const files: FileChange[] = [
      // The same request proposed again rewrites its own patch file.
      {
        path: patchPath,
        before: await context.tree.read(patchPath),
        after: patchText(name, input.drifts, why(input)),
      },
      {
        path: kustomization,
        before: kustomizationBefore,
        after: listPatch(kustomizationBefore, kustomization, patchFile),
      },
    ];
    const check = await renderCheck(input, context, app, "kustomize", files);
    if (check === undefined)
      return {
        files,
        notes: [
          `${patchPath}: a strategic-merge patch in the overlay, listed in ${kustomization}`,
          RENDERED("kustomize"),
        ],
      };
    failures.push(`a patch of ${name}: ${check}`);
  }
  throw unmappable(app.path, `no edit of the overlay renders what was asked (${failures.join("; ")})`);
}

async function tryBaseEdit(input: ProposalInput, context: ProposeContext, app: AppConfig, file: string) {
  try {
    const before = await readOrRefuse(context.tree, file);
    const target = { key: input.key, defaultNamespace: input.key.namespace, file };
    const after = editManifest(before, target, input.drifts, context.desired.options);
    const files = [{ path: file, before, after }];
    const check = await renderCheck(input, context, app, "kustomize", files);
    if (check !== undefined) return { ok: false as const, message: check };
    return {
      ok: true as const,
      edit: {
        files,
        notes: [`${file}: edited in place (the overlay's own manifest)`, RENDERED("kustomize")],
      },
    };
  } catch (error) {
    if (error instanceof DriftguardError) return { ok: false as const, message: error.message };
    throw error;
  }
}

/** True when another app of the source reads `file`: editing it would change that app's objects too. */
async function readByAnotherApp(context: ProposeContext, app: AppConfig, file: string): Promise<boolean> {
  for (const other of context.source.apps ?? []) {
    if (appKey(other) === appKey(app) || other.type === "directory") continue;
    const inputs = await (other.type === "helm"
      ? helmInputs(context.tree, other.path, other.helm.valueFiles)
      : kustomizeInputs(context.tree, other.path));
    if (!inputs.ok || readablePaths(context.tree, inputs).includes(file)) return true;
  }
  return false;
}

/** The Deployment names in the file the object was rendered from: a patch may have to name the base's. */
async function baseNames(tree: BlobTree, from: string | undefined): Promise<string[]> {
  if (from === undefined) return [];
  const text = (await tree.read(from)) ?? "";
  return [...text.matchAll(/^kind:\s*Deployment[\s\S]*?^\s+name:\s*([\w.-]+)/gm)].map((m) => m[1] as string);
}

async function helmEdit(
  input: ProposalInput,
  context: ProposeContext,
  app: AppConfig,
): Promise<ProposalEdit> {
  const valuesFiles = [
    join(app.path, "values.yaml"),
    ...app.helm.valueFiles.map((file) => join(app.path, file)),
  ];
  const texts = new Map<string, string>();
  for (const file of valuesFiles) {
    const text = await context.tree.read(file);
    if (text !== undefined) texts.set(file, text);
  }
  const chosen: Array<{ file: string; path: string[]; drift: ProposalDrift }> = [];
  const doubts: string[] = [];
  for (const drift of input.drifts) {
    const found = await mappingValues(input, context, app, texts, drift);
    if (found.length === 1) chosen.push({ ...(found[0] as { file: string; path: string[] }), drift });
    else
      doubts.push(
        `${difference(drift, context.desired)} (${found.length === 0 ? "no values key maps to it" : `${found.length} values keys map to it`})`,
      );
  }
  if (doubts.length > 0)
    throw new DriftguardError(
      "DG_PROPOSE_HELM_AMBIGUOUS",
      `no single Helm value maps to:\n  ${doubts.join("\n  ")}`,
      {
        where: appKey(app),
        hint: "change the chart or its values in Git by hand",
      },
    );
  const after = new Map(texts);
  for (const { file, path, drift } of chosen)
    after.set(file, setValue(after.get(file) as string, path, requestedValue(drift)));
  const files = [...after]
    .filter(([file, text]) => text !== texts.get(file))
    .map(([path, text]) => ({ path, before: texts.get(path), after: text }));
  const check = await renderCheck(input, context, app, "helm", files);
  if (check !== undefined)
    throw unmappable(appKey(app), `the values change together does not render what was asked: ${check}`);
  const notes = chosen.map(({ file, path, drift }) => `${file}: ${path.join(".")} maps to ${drift.path}`);
  return { files, notes: [...notes, RENDERED("helm")] };
}

/** The values keys that, set alone to the requested value, change exactly this field to it. */
async function mappingValues(
  input: ProposalInput,
  context: ProposeContext,
  app: AppConfig,
  texts: ReadonlyMap<string, string>,
  drift: ProposalDrift,
) {
  const git = valueAt(context.desired.normalized, drift.segments);
  const out: Array<{ file: string; path: string[] }> = [];
  let tried = 0;
  for (const [file, text] of texts)
    for (const path of valueCandidates(text, git)) {
      if (tried++ >= MAX_CANDIDATES) return out;
      const files = [{ path: file, before: text, after: setValue(text, path, requestedValue(drift)) }];
      const check = await renderCheck({ ...input, drifts: [drift] }, context, app, "helm", files);
      if (check === undefined) out.push({ file, path });
    }
  return out;
}

/** Renders over the edited files; undefined when exactly the drifted fields now hold the request. */
async function renderCheck(
  input: ProposalInput,
  context: ProposeContext,
  app: AppConfig,
  type: "kustomize" | "helm",
  files: readonly FileChange[],
): Promise<string | undefined> {
  const tree = overlayTree(context.tree, new Map(files.map((file) => [file.path, file.after])));
  const rendered = await context.render(app, type, tree);
  if (!rendered.ok) return `the render failed: ${rendered.message}`;
  const wrong = mismatches(rendered.desired.normalized, input.drifts);
  if (wrong.length > 0) return `the render still differs at ${wrong.join(", ")}`;
  const asked = new Set(input.drifts.map((drift) => drift.path));
  const more = diff(context.desired.normalized, rendered.desired.normalized)
    .map((d) => formatPath(d.path))
    .filter((path) => !asked.has(path));
  if (more.length > 0) return `the render changes more than asked: ${more.join(", ")}`;
  return undefined;
}

function requestedValue(drift: ProposalDrift): Json {
  return drift.written ?? drift.requested ?? null;
}

/** Git's value and the requested one of a field, masked when sensitive. */
function difference(drift: ProposalDrift, desired: Desired): string {
  const show = (value: Json | undefined) =>
    value === undefined ? "(absent)" : drift.sensitive ? MASKED : JSON.stringify(value);
  return `${drift.path}: Git ${show(valueAt(desired.normalized, drift.segments))}, requested ${show(drift.requested)}`;
}

/** The commit message's "why", also written at the top of a new patch file. */
export function why(input: ProposalInput): string {
  return `request ${input.uid} by ${input.requester.username} changed ${input.drifts.map((d) => d.path).join(", ")}`;
}

const RENDERED = (tool: string) =>
  `checked by rendering with ${tool}: the object now says what the request asked`;

function appConfigOf(source: SourceConfig, file: string): AppConfig {
  const app = (source.apps ?? []).find((candidate) => appKey(candidate) === file || candidate.path === file);
  if (app === undefined) throw unmappable(file, "the app is no longer in the source's config");
  return app;
}

/** The namespace for a file's documents without one: a directory app's, else the source's. */
function namespaceFor(source: SourceConfig, file: string): string {
  const owners = (source.apps ?? []).filter(
    (app) => app.type !== "kustomize" && app.type !== "helm" && isUnder(file, app.path),
  );
  owners.sort((a, b) => b.path.length - a.path.length);
  return owners[0]?.namespace ?? source.namespace;
}

async function readOrRefuse(tree: BlobTree, file: string): Promise<string> {
  const text = await tree.read(file);
  if (text === undefined)
    throw new DriftguardError("DG_PROPOSE_NO_MANIFEST", `${file} is not in Git at the compared commit`, {
      where: file,
    });
  return text;
}

/** `.` is the repository's root in a source's config. */
function isUnder(path: string, folder: string): boolean {
  return isUnderFolder(path, folder === "." ? "" : folder);
}

function join(folder: string, file: string): string {
  return folder === "." || folder === "" ? file : `${folder}/${file}`;
}

function unmappable(where: string, message: string): DriftguardError {
  return new DriftguardError("DG_PROPOSE_UNMAPPABLE", message, {
    where,
    hint: "make this change in Git by hand; driftguard proposes only edits it can check",
  });
}
