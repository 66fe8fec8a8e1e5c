/** `kubectl config view -o json` as read here (kubectl redacts its secrets): the kubeconfig merged. */
export interface ConfigView {
  "current-context"?: string;
  contexts?: { name: string; context?: { cluster?: string; user?: string; namespace?: string } }[] | null;
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

/** The namespace a context names ("" for none): `name`, or the current context when none is given. */
export function contextNamespace(view: ConfigView, name: string | undefined): string {
  const wanted = name || view["current-context"];
  return view.contexts?.find((entry) => entry.name === wanted)?.context?.namespace ?? "";
}
