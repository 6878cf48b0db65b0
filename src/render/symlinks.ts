// Resolves paths through the symbolic links a repository holds, as the kernel would once the tree is
// written out, but against the tree alone: no file system is touched. A link whose target is
// absolute, or that leads out of the repository, is refused naming the link: such a link would let a
// render read the host's files.

import { Refusal, refuse } from "./refusal.js";
import { isAbsolutePath, joinRepoPath, shownPath } from "./repo-paths.js";
import { MODE, type RepoTree } from "./repo-tree.js";

/** Links followed in one resolution: a chain or a loop longer than this is refused (Linux: 40). */
export const MAX_LINK_HOPS = 40;

export interface Resolved {
  /** The path with every link along it followed. */
  path: string;
  /** The links followed, in order: they must be written out too for the path to resolve. */
  links: string[];
}

/** Reads link targets once per analysis; the tree's read may be a git round trip. */
export class LinkReader {
  private readonly targets = new Map<string, Promise<string | undefined>>();

  constructor(private readonly tree: RepoTree) {}

  target(link: string): Promise<string | undefined> {
    let target = this.targets.get(link);
    if (target === undefined) {
      target = this.tree.read(link);
      this.targets.set(link, target);
    }
    return target;
  }

  /** Follows every link along a normalized path. Throws a Refusal for a link that escapes. */
  async resolve(path: string): Promise<Resolved> {
    let pending = path === "" ? [] : path.split("/");
    let done: string[] = [];
    const links: string[] = [];
    while (pending.length > 0) {
      const [part, ...rest] = pending as [string, ...string[]];
      const candidate = [...done, part].join("/");
      if (this.tree.files.get(candidate)?.mode !== MODE.symlink) {
        done.push(part);
        pending = rest;
        continue;
      }
      if (links.length >= MAX_LINK_HOPS)
        throw refuse(candidate, `symbolic links chain or loop for more than ${MAX_LINK_HOPS} hops`);
      links.push(candidate);
      const followed = await this.follow(candidate, done.join("/"), rest);
      pending = followed === "" ? [] : followed.split("/");
      done = [];
    }
    return { path: done.join("/"), links };
  }

  /** The path once `link` (inside `folder`) is replaced by its target, `rest` still to walk. */
  private async follow(link: string, folder: string, rest: readonly string[]): Promise<string> {
    const target = await this.target(link);
    if (target === undefined) throw new Refusal(`symbolic link ${link} cannot be read`, link);
    if (isAbsolutePath(target))
      throw refuse(
        link,
        `symbolic link to the absolute path ${target}: a render may read only the repository`,
      );
    const followed = joinRepoPath(folder, [target, ...rest].join("/"));
    if (followed === undefined || joinRepoPath(folder, target) === undefined)
      throw refuse(
        link,
        `symbolic link to ${target} leaves the repository (from ${shownPath(folder)}): a render may read only the repository`,
      );
    return followed;
  }
}
