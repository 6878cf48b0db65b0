// How driftguard reaches the API server: a kubeconfig file when the config names one, the pod's
// service account in a pod, else the usual default kubeconfig (KUBECONFIG, ~/.kube/config).
import { KubeConfig } from "@kubernetes/client-node";
import type { KubernetesConfig } from "../config/types.js";

export function runningInPod(env: NodeJS.ProcessEnv): boolean {
  return env.KUBERNETES_SERVICE_HOST !== undefined && env.KUBERNETES_SERVICE_PORT !== undefined;
}

/** A kubeconfig that cannot be read or parsed: the message says which file and why. */
export class KubeConfigError extends Error {}

export function loadKubeConfig(config: KubernetesConfig, env: NodeJS.ProcessEnv): KubeConfig {
  const kubeConfig = new KubeConfig();
  const from =
    config.kubeconfig ?? (runningInPod(env) ? "the pod's service account" : "the default kubeconfig");
  try {
    if (config.kubeconfig !== undefined) kubeConfig.loadFromFile(config.kubeconfig);
    else if (runningInPod(env)) kubeConfig.loadFromCluster();
    else kubeConfig.loadFromDefault();
  } catch (error) {
    const reason = ((error as Error).message ?? String(error)).split("\n")[0];
    throw new KubeConfigError(`cannot load Kubernetes credentials from ${from}: ${reason}`);
  }
  // With no kubeconfig anywhere, client-node falls back to an unauthenticated http://localhost:8080.
  const server = kubeConfig.getCurrentCluster()?.server;
  if (server === undefined || (config.kubeconfig === undefined && server === "http://localhost:8080")) {
    throw new KubeConfigError(
      `no Kubernetes cluster in ${from} (KUBECONFIG, ~/.kube/config); set kubernetes.kubeconfig, or kubernetes.watch: off`,
    );
  }
  return kubeConfig;
}
