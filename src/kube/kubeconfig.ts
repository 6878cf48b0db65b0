// How driftguard reaches the API server: a kubeconfig file when the config names one, the pod's
// service account in a pod, else the usual default kubeconfig (KUBECONFIG, ~/.kube/config).
import { KubeConfig } from "@kubernetes/client-node";
import type { KubernetesConfig } from "../config/types.js";

export function runningInPod(env: NodeJS.ProcessEnv): boolean {
  return env.KUBERNETES_SERVICE_HOST !== undefined && env.KUBERNETES_SERVICE_PORT !== undefined;
}

export function loadKubeConfig(config: KubernetesConfig, env: NodeJS.ProcessEnv): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (config.kubeconfig !== undefined) kubeConfig.loadFromFile(config.kubeconfig);
  else if (runningInPod(env)) kubeConfig.loadFromCluster();
  else kubeConfig.loadFromDefault();
  return kubeConfig;
}
