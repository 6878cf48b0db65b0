// What an app may read, as it is being collected: folders (roots) whose every file may be read, and
// single files outside them. `close` then follows every link under the roots, so that what a link
// points to is read too, and refuses what the repository does not hold (submodules, escaping links).

import { refuse } from "./refusal.js";
import { isUnder, shownPath } from "./repo-paths.js";
import { type PathKind, pathKind, pathsUnder, type RepoTree } from "./repo-tree.js";
import { LinkReader, type Resolved } from "./symlinks.js";

export class InputSet {
  readonly links: LinkReader;
  private readonly roots = new Set<string>();
  private readonly files = new Set<string>();
  private readonly unscanned: string[] = [];

  constructor(readonly tree: RepoTree) {
    this.links = new LinkReader(tree);
  }

  /** A folder (or a path not in the tree yet: when it appears, the inputs change). */
  addRoot(folder: string): void {
    if (this.roots.has(folder)) return;
    this.roots.add(folder);
    this.unscanned.push(folder);
  }

  addFile(path: string): void {
    this.files.add(path);
  }

  /** A path resolved through links: the links are read, and so is what the path names. */
  addResolved(resolved: Resolved): PathKind {
    for (const link of resolved.links) this.addFile(link);
    const kind = pathKind(this.tree, resolved.path);
    if (kind === "submodule") throw submoduleRefusal(resolved.path);
    if (kind === "file") this.addFile(resolved.path);
    else this.addRoot(resolved.path);
    return kind;
  }

  /** Follows every link under every root, until nothing new is reached. */
  async close(): Promise<void> {
    const followed = new Set<string>();
    for (let folder = this.unscanned.pop(); folder !== undefined; folder = this.unscanned.pop()) {
      for (const path of pathsUnder(this.tree, folder)) {
        const kind = pathKind(this.tree, path);
        if (kind === "submodule") throw submoduleRefusal(path);
        if (kind !== "symlink" || followed.has(path)) continue;
        followed.add(path);
        this.addResolved(await this.links.resolve(path));
      }
    }
    for (const path of this.files) {
      if (pathKind(this.tree, path) === "submodule") throw submoduleRefusal(path);
    }
  }

  /** Sorted roots without nested duplicates, and the files outside them; the top shown as `.`. */
  result(): { roots: string[]; files: string[] } {
    const roots = minimalFolders([...this.roots]);
    const files = [...this.files].filter((file) => !roots.some((root) => isUnder(file, root))).sort();
    return { roots: roots.map(shownPath), files };
  }
}

function minimalFolders(folders: string[]): string[] {
  const sorted = [...new Set(folders)].sort();
  return sorted.filter((folder) => !sorted.some((other) => other !== folder && isUnder(folder, other)));
}

function submoduleRefusal(path: string) {
  return refuse(path, "is a Git submodule: its content is not in this repository, so it cannot be rendered");
}
