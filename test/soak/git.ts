// The soak's Git: a real repository served over smart HTTP (git http-backend), which driftguard's
// source fetches as it would fetch a Git host, and a committer that changes a third Deployment's
// manifest on a fixed period and then calls driftguard's push endpoint, as a Git host's webhook does.
// The reviewed Deployments never change, so every answer stays what its kind must answer.
import { join } from "node:path";
import { type GitHttpServer, startGitHttpServer } from "../support/git/http-git-server.js";
import { createTestRepo, type TestRepo } from "../support/git/test-repo.js";

export const CHURN_FILE = "apps/shop/churn.yaml";

export interface SoakGit {
  url: string;
  repo: TestRepo;
  server: GitHttpServer;
  stop(): Promise<void>;
}

export async function startGit(dir: string, manifests: Record<string, string>): Promise<SoakGit> {
  const repo = await createTestRepo(join(dir, "served", "remote"), dir);
  await repo.commit("soak: the reviewed Deployments", { ...manifests, [CHURN_FILE]: churnManifest(0) });
  const server = await startGitHttpServer({ root: join(dir, "served"), home: dir });
  return { url: server.url("remote"), repo, server, stop: () => server.stop() };
}

export interface Committer {
  /** Commits made, and failed attempts (each with its reason in the log), since the previous call. */
  take(): { commits: number; failures: number };
  head(): string;
  stop(): Promise<void>;
}

export async function startCommitter(options: {
  repo: TestRepo;
  periodMs: number;
  /** Called after each commit: the push webhook. Its failure counts as a failed commit. */
  pushed: () => Promise<void>;
  log: (line: string) => void;
}): Promise<Committer> {
  let commits = 0;
  let failures = 0;
  let n = 0;
  let head = await options.repo.head();
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = (async () => {
      n += 1;
      try {
        head = await options.repo.commit(`soak: churn ${n}`, { [CHURN_FILE]: churnManifest(n) });
        await options.pushed();
        commits += 1;
      } catch (error) {
        failures += 1;
        options.log(`soak: commit ${n} failed: ${(error as Error).message}`);
      }
    })();
  };
  const timer = setInterval(tick, options.periodMs);
  return {
    take() {
      const taken = { commits, failures };
      commits = 0;
      failures = 0;
      return taken;
    },
    head: () => head,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

/** A small Deployment whose replicas, image tag and one env value move with every commit. */
export function churnManifest(n: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: churn
  namespace: shop
spec:
  replicas: ${(n % 5) + 1}
  selector:
    matchLabels: {app: churn}
  template:
    metadata:
      labels: {app: churn}
    spec:
      containers:
        - name: app
          image: registry.example.com/acme/churn:1.0.${n}
          env:
            - {name: BUILD, value: "${n}"}
`;
}
