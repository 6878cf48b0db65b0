// Load and change timing on a large repository. Slow to set up, so it runs only on demand:
// DRIFTGUARD_SCALE=10000 npx vitest run test/sources/git-source-scale.test.ts
import { mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { createGitSource } from "../../src/sources/git-source.js";
import { sourceBaseEnv } from "../support/git/git-cli.js";
import { createTestRepo, writeFiles } from "../support/git/test-repo.js";
import { memoryLogger } from "../support/memory-logger.js";
import { appYaml } from "./source-fixture.js";

const count = Number(process.env.DRIFTGUARD_SCALE ?? "0");

/** A Deployment of realistic size (about 40 lines). */
const manifest = (
  i: number,
  image = "nginx:1.25",
) => `${appYaml(`app-${i}`, { image, namespace: `team-${i % 50}` })}\
          ports:
            - {containerPort: 8080, name: http}
          env:
            - {name: LOG_LEVEL, value: info}
            - {name: FEATURE, value: "yes"}
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {cpu: "1", memory: 512Mi}
          readinessProbe:
            httpGet: {path: /ready, port: http}
            periodSeconds: 5
          volumeMounts:
            - {name: config, mountPath: /etc/app}
      volumes:
        - name: config
          configMap: {name: app-${i}, defaultMode: 0644}
`;

const title =
  count === 0
    ? "large repository: skipped, set DRIFTGUARD_SCALE=10000 to run it (npm run bench measures the same load)"
    : `a repository of ${count} manifests`;

describe.skipIf(count === 0)(title, () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  test("loads, then picks up a one-file commit by parsing one file", { timeout: 300_000 }, async () => {
    const tmp = await mkdtemp(join(tmpdir(), "driftguard-scale-"));
    dirs.push(tmp);
    const repo = await createTestRepo(join(tmp, "remote"), tmp);
    const files: Record<string, string> = {};
    for (let i = 0; i < count; i++) files[`apps/team-${i % 100}/app-${i}.yaml`] = manifest(i);
    await writeFiles(repo.dir, files);
    await repo.commit("many", {});
    const log = memoryLogger();
    const source = createGitSource(
      { name: "scale", url: repo.dir, paths: ["apps"], namespace: "default", intervalMs: 60_000 },
      { stateDir: join(tmp, "state"), revisions: 10, logger: log.logger, env: sourceBaseEnv(tmp) },
    );
    let started = performance.now();
    await source.start();
    const loadMs = performance.now() - started;
    expect(source.current()?.files.size).toBe(count);
    await repo.commit("one", { "apps/team-1/app-1.yaml": manifest(1, "nginx:2") });
    started = performance.now();
    const result = await source.refresh("test");
    const changeMs = performance.now() - started;
    expect(result).toMatchObject({ kind: "updated", changedFiles: 1 });
    const updated = log.lines.filter((entry) => entry.msg === "source updated");
    expect(updated.at(-1)?.parsed).toBe(1);
    await source.stop();
    await rename(repo.dir, `${repo.dir}-away`);
    const restarted = createGitSource(
      { name: "scale", url: repo.dir, paths: ["apps"], namespace: "default", intervalMs: 60_000 },
      { stateDir: join(tmp, "state"), revisions: 10, logger: log.logger, env: sourceBaseEnv(tmp) },
    );
    started = performance.now();
    await restarted.start();
    const restartMs = performance.now() - started;
    expect(restarted.status()).toMatchObject({ restored: true });
    const times = `load ${Math.round(loadMs)} ms, one-file commit ${Math.round(changeMs)} ms, restart ${Math.round(restartMs)} ms`;
    console.log(`${count} manifests: ${times}`);
  });
});
