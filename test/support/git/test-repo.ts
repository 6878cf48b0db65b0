// A real Git repository in a temporary folder, changed with the git CLI: the "remote" of a source.
// History is rewritten in place (reset, amend) to play a force-push, which is what a fetcher sees.
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { git } from "./git-cli.js";

export interface TestRepo {
  readonly dir: string;
  git(...args: string[]): Promise<string>;
  /** Writes (string) or deletes (null) files, then commits them all; returns the commit id. */
  commit(message: string, files: Record<string, string | null>): Promise<string>;
  head(): Promise<string>;
}

export async function createTestRepo(dir: string, home: string, branch = "main"): Promise<TestRepo> {
  await mkdir(dir, { recursive: true });
  await git(dir, home, ["init", "--quiet", "--initial-branch", branch]);
  const repo: TestRepo = {
    dir,
    git: (...args) => git(dir, home, args),
    async commit(message, files) {
      await writeFiles(dir, files);
      await repo.git("add", "--all");
      await repo.git("commit", "--quiet", "--allow-empty", "--no-verify", "-m", message);
      return repo.head();
    },
    async head() {
      return (await repo.git("rev-parse", "HEAD")).trim();
    },
  };
  return repo;
}

export async function writeFiles(dir: string, files: Record<string, string | null>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const target = join(dir, path);
    if (content === null) {
      await rm(target, { force: true });
      continue;
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
}
