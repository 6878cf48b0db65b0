// Writes exactly an app's inputs into an empty folder, with their repository-relative paths and modes
// (executable bit kept, symlinks as the same relative symlinks), so that the tool sees the
// repository as Git holds it and nothing else. Nothing is ever written outside that folder: every
// path is checked once resolved, and links are made last, so that no write can go through one.
import { chmod, mkdir, realpath, symlink, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { DriftguardError } from "../errors.js";
import { type ReadableInputs, readablePaths } from "./inputs.js";
import { normalizeRepoPath } from "./repo-paths.js";
import { type BlobTree, MODE, type TreeFile } from "./repo-tree.js";

interface Planned {
  path: string;
  entry: TreeFile;
  target: string;
}

export async function materialize(tree: BlobTree, inputs: ReadableInputs, dir: string): Promise<void> {
  const root = await realpath(dir);
  const planned = plan(tree, inputs, root);
  const contents = await readContents(tree, planned);
  const folders = new SafeFolders(root);
  const links = planned.filter((item) => item.entry.mode === MODE.symlink);
  for (const item of planned) {
    if (item.entry.mode === MODE.symlink) continue;
    await folders.ensure(dirname(item.target), item.path);
    const mode = item.entry.mode === MODE.executable ? 0o755 : 0o644;
    await writeFile(item.target, contents(item), { flag: "wx", mode });
    await chmod(item.target, mode); // the umask must not change what the tool sees
  }
  for (const item of links) {
    const linkText = contents(item).toString("utf8");
    if (isAbsolute(linkText) || !isInside(root, resolve(dirname(item.target), linkText)))
      throw unwritable(item.path, `is a symbolic link to ${linkText}, outside the render folder`);
    await folders.ensure(dirname(item.target), item.path);
    await symlink(linkText, item.target);
  }
}

function plan(tree: BlobTree, inputs: ReadableInputs, root: string): Planned[] {
  return readablePaths(tree, inputs).flatMap((path) => {
    const entry = tree.files.get(path);
    if (entry === undefined) return []; // named by the app but not in this commit
    if (entry.mode === MODE.submodule) throw unwritable(path, "is a Git submodule");
    const target = resolve(root, path);
    if (normalizeRepoPath(path) !== path || !isInside(root, target))
      throw unwritable(path, "does not stay inside the render folder");
    return [{ path, entry, target }];
  });
}

/** Reads every blob once; the answer gives each planned file its bytes. */
async function readContents(tree: BlobTree, planned: readonly Planned[]): Promise<(item: Planned) => Buffer> {
  const bytes = new Map<string, Buffer | undefined>();
  const blobs = [...new Set(planned.map((item) => item.entry.blob))];
  await tree.readBlobs(blobs, (blob, content) => bytes.set(blob, content));
  for (const item of planned) {
    if (bytes.get(item.entry.blob) === undefined)
      throw unwritable(item.path, "cannot be read from Git (too large, or not a blob)");
  }
  return (item) => bytes.get(item.entry.blob) as Buffer;
}

/** Creates folders, and checks once per folder that, resolved, it is still inside the render folder. */
class SafeFolders {
  private readonly checked = new Set<string>();

  constructor(private readonly root: string) {}

  async ensure(folder: string, forPath: string): Promise<void> {
    if (this.checked.has(folder)) return;
    await mkdir(folder, { recursive: true });
    if (!isInside(this.root, await realpath(folder), true))
      throw unwritable(forPath, "would be written outside the render folder");
    this.checked.add(folder);
  }
}

function isInside(root: string, path: string, orRoot = false): boolean {
  const rel = relative(root, path);
  if (rel === "") return orRoot;
  return rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

function unwritable(path: string, why: string): DriftguardError {
  return new DriftguardError("DG_RENDER_INPUT_UNREADABLE", `${path} ${why}`, {
    hint: "the app's files could not be laid out for its render: check that file at this commit",
  });
}
