// mkdir -p that keeps the kernel's reason. Node's recursive mkdir reports ENOENT when a missing folder
// cannot be made because its parent is on a read-only file system (or is not writable), so /readyz and
// the log said "no such file" for a read-only stateDir. On ENOENT, make the first missing folder alone:
// that mkdir fails with the real code (EROFS, EACCES, ENOSPC), or succeeds and the rest follows.
import { mkdir, stat } from "node:fs/promises";
import { dirname } from "node:path";

export async function makeDirectory(dir: string, mode?: number): Promise<void> {
  const options = mode === undefined ? { recursive: true } : { recursive: true, mode };
  try {
    await mkdir(dir, options);
  } catch (error) {
    if ((error as { code?: unknown }).code !== "ENOENT") throw error;
    const missing = await firstMissing(dir);
    if (missing === undefined) throw error;
    await mkdir(missing, mode === undefined ? {} : { mode });
    await mkdir(dir, options);
  }
}

/** The outermost folder of `dir` that does not exist, or undefined when they all do (or none can be told). */
async function firstMissing(dir: string): Promise<string | undefined> {
  let missing: string | undefined;
  for (let current = dir; ; current = dirname(current)) {
    const exists = await stat(current).then(
      () => true,
      (error: { code?: unknown }) => (error.code === "ENOENT" ? false : undefined),
    );
    if (exists === undefined) return undefined;
    if (exists) return missing;
    missing = current;
    if (dirname(current) === current) return undefined;
  }
}
