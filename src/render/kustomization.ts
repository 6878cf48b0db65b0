// Reads one kustomization (or one set of plugin configs) and lists every path kustomize would load
// from it, refusing what would reach the network, run code, inflate Helm charts or read outside the
// repository. Pure: text in, references out; the walk over the tree is kustomize-inputs.ts.
import { parseAllDocuments, parseDocument } from "yaml";
import { refuse } from "./refusal.js";
import { remoteReason } from "./remote-refs.js";
import { isAbsolutePath, isUnder, joinRepoPath, shownPath } from "./repo-paths.js";

/**
 * resource: a file, or a folder that is a kustomization of its own; component: a folder; file: a file
 * that must sit inside the kustomization's folder (LoadRestrictionsRootOnly); plugin: a transformer,
 * generator or validator config, as a file or a folder of them.
 */
export type RefKind = "resource" | "component" | "file" | "plugin";

export interface KustomizeRef {
  /** Where in the kustomization: `resources`, `patches[1].path`, … */
  field: string;
  /** As written. */
  entry: string;
  /** Repository-relative and normalized. */
  path: string;
  kind: RefKind;
}

type Json = { [key: string]: unknown };

/** The file names kustomize looks for in a folder, in its order. */
export const KUSTOMIZATION_FILES = ["kustomization.yaml", "kustomization.yml", "Kustomization"] as const;

// kustomize v5.8's built-in plugins (its builtinhelpers list), less HelmChartInflationGenerator.
const BUILTIN_PLUGINS = new Set([
  "AnnotationsTransformer",
  "ConfigMapGenerator",
  "IAMPolicyGenerator",
  "HashTransformer",
  "ImageTagTransformer",
  "LabelTransformer",
  "NamespaceTransformer",
  "PatchJson6902Transformer",
  "PatchStrategicMergeTransformer",
  "PatchTransformer",
  "PrefixSuffixTransformer",
  "PrefixTransformer",
  "SuffixTransformer",
  "ReplicaCountTransformer",
  "SecretGenerator",
  "ValueAddTransformer",
  "ReplacementTransformer",
]);

const HELM_FIELDS = ["helmCharts", "helmGlobals", "helmChartInflationGenerator"] as const;
const FUNCTION_ANNOTATIONS = ["config.kubernetes.io/function", "config.k8s.io/function"];
const FUNCTION_SPECS = ["exec", "container", "run", "starlark"];
const NO_HELM = "Helm chart inflation inside kustomize is not allowed (it may download charts and runs helm)";
const NO_NETWORK = "driftguard renders only what the repository holds; vendor it into the repository";
const LOCAL_ONLY = "a render may read only the repository";

/** The references of a kustomization at `file` in folder `dir`; undefined when it does not parse. */
export function kustomizationRefs(text: string, file: string, dir: string): KustomizeRef[] | undefined {
  const kustomization = parseMap(text);
  if (kustomization === undefined) return undefined;
  for (const field of HELM_FIELDS) {
    if (isPresent(kustomization[field]))
      throw refuse(file, `${field}: ${NO_HELM}; make the chart a Helm app`);
  }
  const refs = new RefList(file, dir);
  for (const field of ["resources", "bases"]) refs.addAll(field, strings(kustomization[field]), "resource");
  refs.addAll("components", strings(kustomization.components), "component");
  for (const field of ["crds", "configurations"]) refs.addAll(field, strings(kustomization[field]), "file");
  refs.addPatchStrings("patchesStrategicMerge", strings(kustomization.patchesStrategicMerge));
  for (const field of ["patches", "patchesJson6902", "replacements"])
    refs.addPathFields(field, kustomization[field]);
  const openapi = asMap(kustomization.openapi);
  if (typeof openapi?.path === "string") refs.add("openapi.path", openapi.path, "file");
  for (const field of ["configMapGenerator", "secretGenerator"]) {
    for (const [index, generator] of list(kustomization[field]).entries())
      refs.addGeneratorSources(`${field}[${index}]`, asMap(generator));
  }
  for (const field of ["generators", "transformers", "validators"]) {
    for (const [index, entry] of strings(kustomization[field]).entries()) {
      const inline = inlineConfigs(entry);
      if (inline === undefined) refs.add(field, entry, "plugin");
      for (const [at, config] of (inline ?? []).entries()) {
        const which = (inline ?? []).length > 1 ? ` ${at + 1}` : "";
        refs.addPluginConfig(config, `${field}[${index}] inline config${which}`);
      }
    }
  }
  return refs.refs;
}

/**
 * The plugin configs in `text` (a file at `file`, loaded by the kustomization in folder `base`):
 * only kustomize's built-in plugins pass, and their own file fields become references. Undefined
 * when the file does not parse.
 */
export function pluginConfigRefs(text: string, file: string, base: string): KustomizeRef[] | undefined {
  const docs = parseAll(text);
  if (docs === undefined) return undefined;
  const refs = new RefList(file, base);
  for (const [index, doc] of docs.entries())
    refs.addPluginConfig(doc, docs.length > 1 ? `document ${index + 1}` : "config");
  return refs.refs;
}

class RefList {
  readonly refs: KustomizeRef[] = [];

  /** `file`: named in refusals; `dir`: the folder entries are read from. */
  constructor(
    private readonly file: string,
    private readonly dir: string,
  ) {}

  addAll(field: string, entries: readonly string[], kind: RefKind): void {
    for (const entry of entries) this.add(field, entry, kind);
  }

  add(field: string, entry: string, kind: RefKind): void {
    if (entry.trim() === "") return;
    const quoted = `${field} entry "${entry}"`;
    const remote = remoteReason(entry);
    if (remote !== undefined) throw refuse(this.file, `${quoted} ${remote}: ${NO_NETWORK}`);
    if (isAbsolutePath(entry)) throw refuse(this.file, `${quoted} is an absolute path: ${LOCAL_ONLY}`);
    const path = joinRepoPath(this.dir, entry);
    if (path === undefined) throw refuse(this.file, `${quoted} leaves the repository: ${LOCAL_ONLY}`);
    if (kind === "file" && !isUnder(path, this.dir))
      throw refuse(
        this.file,
        `${quoted} is outside the kustomization's folder ${shownPath(this.dir)}: kustomize's LoadRestrictionsRootOnly refuses it`,
      );
    this.refs.push({ field, entry, path, kind });
  }

  /** Strategic-merge patches: each string is a file, or (kustomize tries that too) an inline patch. */
  addPatchStrings(field: string, entries: readonly string[]): void {
    for (const entry of entries) if (inlineConfigs(entry) === undefined) this.add(field, entry, "file");
  }

  /** `[{path: …}]` lists: patches, patchesJson6902, replacements. */
  addPathFields(field: string, value: unknown): void {
    for (const [index, item] of list(value).entries()) {
      const path = asMap(item)?.path;
      if (typeof path === "string") this.add(`${field}[${index}].path`, path, "file");
    }
  }

  /** ConfigMap and Secret generators: `files` (`path` or `key=path`), `envs`, `env`. */
  addGeneratorSources(field: string, generator: Json | undefined): void {
    if (generator === undefined) return;
    for (const source of strings(generator.files)) this.add(`${field}.files`, fileSourcePath(source), "file");
    this.addAll(`${field}.envs`, strings(generator.envs), "file");
    if (typeof generator.env === "string") this.add(`${field}.env`, generator.env, "file");
  }

  addPluginConfig(config: unknown, where: string): void {
    const doc = asMap(config);
    if (doc === undefined) return;
    const kind = typeof doc.kind === "string" ? doc.kind : "(no kind)";
    const what = `${where} (kind ${kind})`;
    if (isFunction(doc))
      throw refuse(
        this.file,
        `${what} is a KRM function: driftguard runs no functions, exec or container plugins`,
      );
    if (kind === "HelmChartInflationGenerator") throw refuse(this.file, `${what}: ${NO_HELM}`);
    if (doc.apiVersion !== "builtin" || !BUILTIN_PLUGINS.has(kind))
      throw refuse(
        this.file,
        `${what}, apiVersion ${String(doc.apiVersion)}, is not one of kustomize's built-in plugins: driftguard runs no external plugins`,
      );
    this.addBuiltinFiles(kind, doc, where);
  }

  /** The file fields of the built-in plugins that have some, read from the loading kustomization's folder. */
  private addBuiltinFiles(kind: string, doc: Json, where: string): void {
    if (kind === "PatchTransformer" || kind === "PatchJson6902Transformer") {
      if (typeof doc.path === "string") this.add(`${where}.path`, doc.path, "file");
    } else if (kind === "PatchStrategicMergeTransformer") {
      this.addPatchStrings(`${where}.paths`, strings(doc.paths));
    } else if (kind === "ConfigMapGenerator" || kind === "SecretGenerator") {
      this.addGeneratorSources(where, doc);
    } else if (kind === "ReplacementTransformer") {
      this.addPathFields(`${where}.replacements`, doc.replacements);
    }
  }
}

function isFunction(doc: Json): boolean {
  const annotations = asMap(asMap(doc.metadata)?.annotations) ?? {};
  const spec = asMap(doc.spec) ?? {};
  return (
    FUNCTION_ANNOTATIONS.some((key) => key in annotations) ||
    FUNCTION_SPECS.some((key) => key in doc || key in spec)
  );
}

/** kustomize's file sources: `path`, or `key=path` with exactly one `=`. */
function fileSourcePath(source: string): string {
  const equals = source.indexOf("=");
  return equals < 0 ? source : source.slice(equals + 1);
}

/**
 * An entry that parses as YAML objects is inline content (kustomize tries that first for plugins and
 * strategic-merge patches); anything else is a path. A path never holds `: ` nor a line break.
 */
function inlineConfigs(entry: string): Json[] | undefined {
  if (!entry.includes("\n") && !entry.includes(": ") && !entry.trimStart().startsWith("{")) return undefined;
  const docs = parseAll(entry);
  if (docs === undefined || docs.length === 0) return undefined;
  const maps = docs.map(asMap);
  return maps.every((doc) => doc !== undefined) ? (maps as Json[]) : undefined;
}

function parseMap(text: string): Json | undefined {
  const doc = parseDocument(text, { uniqueKeys: false });
  return doc.errors.length > 0 ? undefined : asMap(doc.toJS({ maxAliasCount: 1000 }));
}

/** Every non-empty document; undefined when one does not parse. */
function parseAll(text: string): unknown[] | undefined {
  const docs = parseAllDocuments(text, { uniqueKeys: false });
  const list = Array.isArray(docs) ? docs : [docs];
  if (list.some((doc) => doc.errors.length > 0)) return undefined;
  return list.map((doc) => doc.toJS({ maxAliasCount: 1000 }) as unknown).filter((doc) => doc != null);
}

function asMap(value: unknown): Json | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Json) : undefined;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The strings of a list (a lone string counts as a list of one); other items are kustomize's to reject. */
function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  return list(value).filter((item): item is string => typeof item === "string");
}

function isPresent(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return true;
}
