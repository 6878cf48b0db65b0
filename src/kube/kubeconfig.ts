// How driftguard reaches the API server: a kubeconfig file when the config names one, the pod's
// service account in a pod, else the usual default kubeconfig (KUBECONFIG, ~/.kube/config).
import { KubeConfig } from "@kubernetes/client-node";
import type { KubernetesConfig } from "../config/types.js";
import { DriftguardError, describeError } from "../errors.js";

export function runningInPod(env: NodeJS.ProcessEnv): boolean {
  return env.KUBERNETES_SERVICE_HOST !== undefined && env.KUBERNETES_SERVICE_PORT !== undefined;
}

const WITHOUT = "or set kubernetes.watch: off to run without a cluster";

function fixFor(config: KubernetesConfig, env: NodeJS.ProcessEnv): string {
  if (config.kubeconfig !== undefined) return `fix the file kubernetes.kubeconfig names, ${WITHOUT}`;
  if (runningInPod(env)) return `check that the pod mounts its service account token, ${WITHOUT}`;
  return `set kubernetes.kubeconfig (or KUBECONFIG) to a kubeconfig with a current context, ${WITHOUT}`;
}

/** A kubeconfig that cannot be read or parsed: the message says which file and why. */
export class KubeConfigError extends DriftguardError {
  constructor(message: string, hint: string) {
    super("DG_KUBECONFIG_INVALID", message, { hint });
    this.name = "KubeConfigError";
  }
}

export function loadKubeConfig(config: KubernetesConfig, env: NodeJS.ProcessEnv): KubeConfig {
  const kubeConfig = new KubeConfig();
  const from =
    config.kubeconfig ?? (runningInPod(env) ? "the pod's service account" : "the default kubeconfig");
  try {
    if (config.kubeconfig !== undefined) kubeConfig.loadFromFile(config.kubeconfig);
    else if (runningInPod(env)) kubeConfig.loadFromCluster();
    else kubeConfig.loadFromDefault();
  } catch (error) {
    // Only the first line of the reason, and no cause kept: a YAML parser quotes the file's lines,
    // and a kubeconfig holds tokens and keys.
    throw new KubeConfigError(
      `cannot load Kubernetes credentials from ${from}: ${describeError(error)}`,
      fixFor(config, env),
    );
  }
  // With no kubeconfig anywhere, client-node falls back to an unauthenticated http://localhost:8080.
  const server = kubeConfig.getCurrentCluster()?.server;
  if (server === undefined || (config.kubeconfig === undefined && server === "http://localhost:8080")) {
    throw new KubeConfigError(
      `no Kubernetes cluster in ${from} (KUBECONFIG, ~/.kube/config)`,
      fixFor(config, env),
    );
  }
  return kubeConfig;
}
