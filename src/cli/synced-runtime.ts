// `check` and `diff` work on Git synced once: load the config, start the sources, run, stop.

import type { ClusterParts } from "../admission/contract.js";
import { loadConfig } from "../config/load-config.js";
import type { Config } from "../config/types.js";
import { createRuntime, type Runtime } from "../runtime.js";
import { requireConfig } from "./input.js";
import { createLogger } from "./logger.js";

export async function withSyncedRuntime<T>(
  configFile: string | undefined,
  run: (runtime: Runtime, config: Config) => Promise<T>,
  cluster?: ClusterParts,
): Promise<T> {
  const config = loadConfig(requireConfig(configFile));
  // Offline commands print their answer on stdout; routine progress would only be noise on stderr.
  const runtime = createRuntime(
    config,
    createLogger(config.logLevel === "info" ? "warn" : config.logLevel),
    cluster,
  );
  try {
    await runtime.started;
    return await run(runtime, config);
  } finally {
    await runtime.stop();
  }
}
