// Walks a Kustomize app from its folder through every kustomization it reaches (resources, bases,
// components, plugin folders), collecting the folders kustomize may read and refusing, before any
// build, what would reach the network or leave the repository. A path that is not in the tree is not
// refused: kustomize says so itself, and its message is the one people know.

import { BoundedCache } from "./bounded-cache.js";
import { InputSet } from "./input-set.js";
import {
  KUSTOMIZATION_FILES,
  type KustomizeRef,
  kustomizationRefs,
  pluginConfigRefs,
} from "./kustomization.js";
import { Refusal, refuse } from "./refusal.js";
import { isUnder, shownPath } from "./repo-paths.js";
import { pathKind, type RepoTree } from "./repo-tree.js";

/** More kustomizations than this in one app is a generated maze, not a deployment: refused. */
export const MAX_KUSTOMIZATIONS = 2000;

type References = readonly KustomizeRef[] | undefined;
type Parse = (text: string, file: string, dir: string) => References;

// The same kustomization blob is parsed again for every app that reaches it and at every commit:
// parsed once, by content, file and folder (the answer depends on nothing else).
const PARSED = new BoundedCache<string, { refs: References } | Refusal>(4096);

function parseOrRefuse(
  parse: Parse,
  text: string | undefined,
  file: string,
  dir: string,
): { refs: References } | Refusal {
  if (text === undefined) return { refs: undefined };
  try {
    return { refs: parse(text, file, dir) };
  } catch (error) {
    if (error instanceof Refusal) return error;
    throw error;
  }
}

/** The folder a walk is in; `pluginBase` is set inside a folder of plugin configs, see visitRef. */
interface Visit {
  dir: string;
  pluginBase: string | undefined;
}

export async function collectKustomizeInputs(tree: RepoTree, app: string): Promise<InputSet> {
  const walk = new KustomizeWalk(new InputSet(tree));
  const resolved = await walk.inputs.links.resolve(app);
  walk.inputs.addResolved(resolved);
  await walk.visitFolder({ dir: resolved.path, pluginBase: undefined });
  await walk.inputs.close();
  return walk.inputs;
}

class KustomizeWalk {
  private readonly visited = new Set<string>();

  constructor(readonly inputs: InputSet) {}

  async visitFolder(visit: Visit): Promise<void> {
    const key = `${visit.dir}\u0000${visit.pluginBase ?? ""}`;
    if (this.visited.has(key)) return;
    this.visited.add(key);
    if (this.visited.size > MAX_KUSTOMIZATIONS)
      throw refuse(shownPath(visit.dir), `reaches more than ${MAX_KUSTOMIZATIONS} kustomizations`);
    this.inputs.addRoot(visit.dir);
    const file = this.kustomizationFile(visit.dir);
    if (file === undefined) return;
    const refs = await this.parsed(file, visit.dir, "kustomization", kustomizationRefs);
    for (const ref of refs ?? []) await this.visitRef(ref, file, visit);
  }

  private async visitRef(ref: KustomizeRef, file: string, visit: Visit): Promise<void> {
    if (ref.kind === "file") return; // inside the folder (checked): already an input, links followed by close()
    const resolved = await this.inputs.links.resolve(ref.path);
    const kind = this.inputs.addResolved(resolved);
    if (kind === "folder") {
      // A folder of plugin configs is a kustomization whose resources are configs, loaded by the
      // kustomization that names it: their file fields are read from that one's folder.
      const pluginBase = ref.kind === "plugin" ? visit.dir : visit.pluginBase;
      await this.visitFolder({ dir: resolved.path, pluginBase });
      return;
    }
    if (kind !== "file") return;
    if (ref.kind !== "component" && !isUnder(ref.path, visit.dir))
      throw refuse(
        file,
        `${ref.field} entry "${ref.entry}" is a file outside the kustomization's folder ${shownPath(visit.dir)}: kustomize's LoadRestrictionsRootOnly refuses it`,
      );
    const pluginBase =
      ref.kind === "plugin" ? visit.dir : ref.kind === "resource" ? visit.pluginBase : undefined;
    if (pluginBase !== undefined) await this.checkPluginFile(resolved.path, pluginBase);
  }

  private async checkPluginFile(path: string, base: string): Promise<void> {
    for (const ref of (await this.parsed(path, base, "plugins", pluginConfigRefs)) ?? [])
      await this.visitRef(ref, path, { dir: base, pluginBase: undefined });
  }

  private kustomizationFile(dir: string): string | undefined {
    return KUSTOMIZATION_FILES.map((name) => (dir === "" ? name : `${dir}/${name}`)).find(
      (path) => pathKind(this.inputs.tree, path) !== "missing",
    );
  }

  /**
   * The references of a file (through its links), read from `dir`; undefined when the tree cannot give
   * it or it does not parse (kustomize will say why). Parsed once per content, across commits and apps.
   */
  private async parsed(path: string, dir: string, what: string, parse: Parse): Promise<References> {
    const resolved = await this.inputs.links.resolve(path);
    this.inputs.addResolved(resolved);
    const entry = this.inputs.tree.files.get(resolved.path);
    if (entry === undefined || pathKind(this.inputs.tree, resolved.path) !== "file") return undefined;
    const key = `${what}\u0000${entry.blob}\u0000${path}\u0000${dir}`;
    let answer = PARSED.get(key);
    if (answer === undefined) {
      const text = await this.inputs.tree.read(resolved.path);
      answer = parseOrRefuse(parse, text, path, dir);
      // Unreadable text is not cached: the next tree may read it.
      if (text !== undefined) PARSED.set(key, answer);
    }
    if (answer instanceof Refusal) throw answer;
    return answer.refs;
  }
}
