// The files the e2e run leaves in its work dir that driftguard wrote: every driftguard's log (each one the
// test bed starts logs to a `driftguard.log` in its own folder, test/e2e/support/driftguard.ts) and every
// decision store (`history/records-*.jsonl`). secrets.e2e.ts plants secrets and leaves them in PLANTED;
// the global teardown searches these files once more when every file of the run has run.
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type Artefact,
  describeHit,
  findLeak,
  linesOf,
  type Secret,
  summaryOf,
} from "../../support/secret-scan.js";

/** Under the run's work dir: the secrets secrets.e2e.ts put in play, for the teardown's search. */
export const PLANTED = join("secrets", "planted.json");

export async function runFileArtefacts(workDir: string): Promise<Artefact[]> {
  const artefacts: Artefact[] = [];
  const files = (await readdir(workDir, { recursive: true })).map(String).sort();
  for (const file of files) {
    const kind = file.endsWith("driftguard.log")
      ? "log line"
      : /(^|\/)history\/records-\d+\.jsonl$/.test(file)
        ? "history record"
        : undefined;
    if (kind === undefined) continue;
    artefacts.push(...linesOf(kind, file, await readFile(join(workDir, file), "utf8")));
  }
  return artefacts;
}

/**
 * The whole run's logs and stores, searched for the planted secrets: the summary line, and the failure
 * (secret masked) when one is found. Undefined when secrets.e2e.ts did not run.
 */
export async function searchRunFiles(
  workDir: string,
): Promise<{ summary: string; leak?: string } | undefined> {
  const planted = join(workDir, PLANTED);
  if (!existsSync(planted)) return undefined;
  const secrets = JSON.parse(await readFile(planted, "utf8")) as Secret[];
  const artefacts = await runFileArtefacts(workDir);
  const hit = findLeak(artefacts, secrets);
  const summary = summaryOf(artefacts, hit === undefined ? 0 : 1);
  return hit === undefined ? { summary } : { summary, leak: describeHit(hit) };
}
