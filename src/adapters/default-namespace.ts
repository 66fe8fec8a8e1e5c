/**
 * The namespace kubectl uses when given none. A page read by `kubectl get --raw` names its namespace in
 * the path, so the plugin must pick it as kubectl would (client-go's deferred loading rules): the
 * kubeconfig context's namespace when it sets one; else, inside a pod, $POD_NAMESPACE or the service
 * account's namespace file; else `default`.
 */
import { readFileSync, statSync } from "node:fs";

const serviceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

/** What kubectl would know inside a pod; null outside one (or without a mounted token). */
export interface InCluster {
  podNamespace?: string;
  fileNamespace?: string;
}

/** The rule, pure: `contextNamespace` is "" when the context sets none or there is no context at all. */
export function defaultNamespace(contextNamespace: string, inCluster: InCluster | null): string {
  if (contextNamespace !== "") return contextNamespace;
  if (inCluster) return inCluster.podNamespace || inCluster.fileNamespace || "default";
  return "default";
}

/** client-go's in-cluster test: the service host and port variables, and a mounted token file. */
export function probeInCluster(env: NodeJS.ProcessEnv = process.env): InCluster | null {
  if (!env["KUBERNETES_SERVICE_HOST"] || !env["KUBERNETES_SERVICE_PORT"]) return null;
  try {
    if (!statSync(`${serviceAccountDir}/token`).isFile()) return null;
  } catch {
    return null;
  }
  let fileNamespace: string | undefined;
  try {
    fileNamespace = readFileSync(`${serviceAccountDir}/namespace`, "utf8").trim() || undefined;
  } catch {
    fileNamespace = undefined;
  }
  return { podNamespace: env["POD_NAMESPACE"] || undefined, fileNamespace };
}

/** `kubectl config view --minify` fails this way when there is no context at all (no kubeconfig). */
export function isNoContext(kubectlStderr: string): boolean {
  return /current-context must exist/.test(kubectlStderr);
}
