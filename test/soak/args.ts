// The soak's flags. Every number is checked here, so that a typo ends the run before anything starts.
import { parseArgs } from "node:util";

export type ClusterMode = "on" | "cached" | "off";

export interface SoakOptions {
  minutes: number;
  sampleSeconds: number;
  /** Requests per second, spread over `connections` keep-alive connections. */
  rate: number;
  connections: number;
  commitSeconds: number;
  rbacSeconds: number;
  /** on: the test bed's control plane, built when not cached; cached: only if cached; off: none. */
  cluster: ClusterMode;
  /** driftguard from src/ through tsx instead of the built CLI: for the smoke, as `npm test` does not build. */
  fromSource: boolean;
  /** Leave the run's folder in place. */
  keep: boolean;
}

export const USAGE = `usage: npm run soak -- [--minutes N] [--sample-seconds N] [--rate N] [--connections N]
                      [--commit-seconds N] [--rbac-seconds N] [--cluster on|cached|off]
  --minutes N         how long traffic runs (default 30; fractions allowed); the first third is warm-up
  --sample-seconds N  one sample line every N seconds (default 10)
  --rate N            AdmissionReviews per second (default 40) over --connections keep-alive connections (default 4)
  --commit-seconds N  a Git commit every N seconds (default 10), pushed to POST /refresh
  --rbac-seconds N    a break-glass RoleBinding created or deleted every N seconds (default 10)
  --cluster MODE      on: the test bed's control plane, built by test/testbed/build.sh when not cached (default);
                      cached: only when its binaries are cached, else none (the smoke in npm test);
                      off: no cluster (no RBAC watch, no RoleBinding churn)
  --from-source       run src/cli/main.ts through tsx, not dist/cli/main.js (the smoke: npm test does not build;
                      tsx then counts in driftguard's memory)
  --keep              leave the run's folder (logs, state) in place and print where it is`;

export class UsageError extends Error {}

const FLAGS = {
  minutes: { type: "string", default: "30" },
  "sample-seconds": { type: "string", default: "10" },
  rate: { type: "string", default: "40" },
  connections: { type: "string", default: "4" },
  "commit-seconds": { type: "string", default: "10" },
  "rbac-seconds": { type: "string", default: "10" },
  cluster: { type: "string", default: "on" },
  "from-source": { type: "boolean", default: false },
  keep: { type: "boolean", default: false },
} as const;

/** node:util's parser, its errors (an unknown flag, `--rate -3` read as a flag) as usage errors. */
function readFlags(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function parseSoakArgs(argv: readonly string[]): SoakOptions {
  const values = readFlags(argv);
  const cluster = values.cluster;
  if (cluster !== "on" && cluster !== "cached" && cluster !== "off")
    throw new UsageError(`--cluster must be on, cached or off, not "${cluster}"`);
  const options: SoakOptions = {
    minutes: positive("--minutes", values.minutes),
    sampleSeconds: positive("--sample-seconds", values["sample-seconds"]),
    rate: positive("--rate", values.rate),
    connections: Math.round(positive("--connections", values.connections)),
    commitSeconds: positive("--commit-seconds", values["commit-seconds"]),
    rbacSeconds: positive("--rbac-seconds", values["rbac-seconds"]),
    cluster,
    fromSource: values["from-source"] === true,
    keep: values.keep === true,
  };
  if (options.minutes * 60 < 2 * options.sampleSeconds)
    throw new UsageError("--minutes must cover at least two samples of --sample-seconds");
  return options;
}

function positive(flag: string, text: string | undefined): number {
  const value = Number(text);
  if (text === undefined || text.trim() === "" || !Number.isFinite(value) || value <= 0)
    throw new UsageError(`${flag} must be a positive number, not "${text}"`);
  return value;
}
