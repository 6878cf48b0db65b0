// The repository of the Git part: 10,000 Deployment manifests, one per file, in 100 folders, 1–3 KB
// each (a mix of small services and fuller ones), committed with the git CLI in one `add -A` + commit.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { deployment } from "./deployment.js";
import { commitAll, git } from "./git.js";
import { intBetween, seeded } from "./random.js";

export const FOLDERS = 100;
export const FILES_PER_FOLDER = 100;

export interface ScaleRepo {
  files: number;
  bytes: { min: number; max: number; total: number };
  writeMs: number;
  commitMs: number;
  /** A file the change step edits. */
  changeFile: string;
}

export async function createScaleRepo(repo: string): Promise<ScaleRepo> {
  const random = seeded(10_000);
  const bytes = { min: Number.POSITIVE_INFINITY, max: 0, total: 0 };
  const writeStart = performance.now();
  for (let f = 0; f < FOLDERS; f++) {
    // One yield per folder keeps Ctrl-C prompt during the seconds of synchronous writing.
    await new Promise((resolve) => setImmediate(resolve));
    const namespace = `team-${String(f).padStart(2, "0")}`;
    const dir = join(repo, "apps", namespace);
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < FILES_PER_FOLDER; i++) {
      const name = `svc-${String(f * FILES_PER_FOLDER + i).padStart(5, "0")}`;
      // About two thirds small services, one third fuller ones: 1.2–3 KB of YAML.
      const lean = random() < 0.65;
      const envPerContainer = lean ? intBetween(random, 2, 22) : intBetween(random, 2, 10);
      const manifest = deployment(
        {
          name,
          namespace,
          containers: 1,
          initContainers: 0,
          envPerContainer,
          lean,
          replicas: intBetween(random, 1, 6),
        },
        random,
      );
      const text = stringify(manifest);
      writeFileSync(join(dir, `${name}.yaml`), text);
      bytes.min = Math.min(bytes.min, text.length);
      bytes.max = Math.max(bytes.max, text.length);
      bytes.total += text.length;
    }
  }
  const writeMs = performance.now() - writeStart;
  const commitStart = performance.now();
  await commitAll(repo, "10,000 Deployment manifests");
  const commitMs = performance.now() - commitStart;
  return {
    files: FOLDERS * FILES_PER_FOLDER,
    bytes,
    writeMs,
    commitMs,
    changeFile: join("apps", "team-42", "svc-04242.yaml"),
  };
}

/** A one-file change, as a developer would push it: a new image tag for one Deployment. */
export async function commitOneChange(repo: string, file: string): Promise<void> {
  const path = join(repo, file);
  const text = readFileSync(path, "utf8");
  const changed = text.replace(/(image: \S+):\S+/, "$1:10.0.0");
  if (changed === text) throw new Error(`git: no image to change in ${file}`);
  writeFileSync(path, changed);
  await git(repo, ["commit", "-q", "--no-verify", "-am", `bump ${file}`]);
}
