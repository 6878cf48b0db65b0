// A temporary folder with a real "remote" repository and GitSources under test that share a state
// directory; everything is stopped and removed by cleanup().
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGitSource, type GitSourceDeps } from "../../src/sources/git-source.js";
import type { GitSource, SourceConfig } from "../../src/sources/types.js";
import { type DeploymentParts, deploymentYaml } from "../support/deployments.js";
import { sourceBaseEnv } from "../support/git/git-cli.js";
import { createTestRepo, type TestRepo } from "../support/git/test-repo.js";
import { type MemoryLogger, memoryLogger } from "../support/memory-logger.js";

/**
 * A Deployment file as the sources tests commit it: without a namespace, so the source's own ("default")
 * applies, and with its one container named main.
 */
export function appYaml(name: string, parts: Omit<DeploymentParts, "name"> = {}): string {
  return deploymentYaml({ name, namespace: null, container: "main", ...parts });
}

export interface SourceFixture {
  tmp: string;
  /** Folder served over HTTP (its subfolder `remote` is `repo`). */
  serveRoot: string;
  repo: TestRepo;
  stateDir: string;
  log: MemoryLogger;
  createSource(config?: Partial<SourceConfig>, deps?: Partial<GitSourceDeps>): GitSource;
  cleanup(): Promise<void>;
}

export async function createSourceFixture(): Promise<SourceFixture> {
  const tmp = await mkdtemp(join(tmpdir(), "driftguard-sources-"));
  const serveRoot = join(tmp, "served");
  const repo = await createTestRepo(join(serveRoot, "remote"), tmp);
  const stateDir = join(tmp, "state");
  const log = memoryLogger();
  const sources: GitSource[] = [];
  return {
    tmp,
    serveRoot,
    repo,
    stateDir,
    log,
    createSource(config = {}, deps = {}) {
      const source = createGitSource(
        { name: "demo", url: repo.dir, paths: ["apps"], namespace: "default", intervalMs: 60_000, ...config },
        {
          stateDir,
          revisions: 10,
          logger: log.logger,
          env: sourceBaseEnv(tmp),
          fetchTimeoutMs: 10_000,
          ...deps,
        },
      );
      sources.push(source);
      return source;
    },
    async cleanup() {
      for (const source of sources) await source.stop();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}
