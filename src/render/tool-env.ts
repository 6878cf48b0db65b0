// The world a render tool runs in: its own binary found once, and an environment that holds nothing
// of driftguard's (no Git credentials, proxies, kubeconfig or cloud variables): a fresh empty HOME
// with every config, cache and data folder of kustomize and helm under it, and a kubeconfig that is
// not there, so that nothing a tool might read or write outlives the render.
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";

/** Folders of system tools a render may need besides its own binary's folder. */
const SYSTEM_PATH = ["/usr/bin", "/bin"];

/** The absolute path of `binary` (a path, or a name looked up on `searchPath`); undefined when none. */
export function findBinary(binary: string, searchPath = process.env.PATH ?? ""): string | undefined {
  if (binary === "") return undefined;
  if (binary.includes("/")) {
    const path = resolve(binary);
    return isExecutableFile(path) ? path : undefined;
  }
  return searchPath
    .split(delimiter)
    .filter((folder) => isAbsolute(folder))
    .map((folder) => join(folder, binary))
    .find(isExecutableFile);
}

/** The only variables a render sees. `home` is the run's fresh, empty HOME. */
export function toolEnvironment(binaryPath: string, home: string): Record<string, string> {
  const path = [...new Set([dirname(binaryPath), ...SYSTEM_PATH])].join(delimiter);
  const config = join(home, ".config");
  const cache = join(home, ".cache");
  const data = join(home, ".local", "share");
  return {
    PATH: path,
    HOME: home,
    XDG_CONFIG_HOME: config,
    XDG_CACHE_HOME: cache,
    XDG_DATA_HOME: data,
    HELM_CONFIG_HOME: join(config, "helm"),
    HELM_CACHE_HOME: join(cache, "helm"),
    HELM_DATA_HOME: join(data, "helm"),
    HELM_PLUGINS: join(data, "helm", "plugins"),
    KUBECONFIG: join(home, ".kube", "config"), // never created: no tool may talk to a cluster
    LANG: "C.UTF-8",
    TZ: "UTC",
  };
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
