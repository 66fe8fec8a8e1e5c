/** install-cron's objects as text: a YAML stream (as `kubectl apply -f` reads it) or a JSON List. */
import { toYaml } from "../../output/yaml.js";
import type { InstallObject } from "../core/install-objects.js";

/** `---`-separated YAML documents, one per object. */
export function renderObjectsYaml(objects: readonly InstallObject[]): string {
  return objects.map((o) => toYaml(o)).join("---\n");
}

/** A v1 List, as `kubectl get -o json` prints several objects. */
export function renderObjectsJson(objects: readonly InstallObject[]): string {
  return `${JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }, null, 2)}\n`;
}
