/** `kubectl config view -o json` as read here (kubectl redacts its secrets): the kubeconfig merged. */
export interface ConfigView {
  "current-context"?: string;
  contexts?: { name: string; context?: { cluster?: string; user?: string } }[] | null;
  clusters?: { name: string; cluster?: { server?: string } }[] | null;
  users?: { name: string; user?: Record<string, unknown> }[] | null;
}

/** The view kubectl printed, or undefined when it is not JSON. */
export function parseConfigView(stdout: string): ConfigView | undefined {
  try {
    return JSON.parse(stdout) as ConfigView;
  } catch {
    return undefined;
  }
}
