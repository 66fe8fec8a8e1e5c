/** install-cron's manifests as text: a YAML stream (as `kubectl apply -f` reads it) or a JSON List. */
import YAML from "yaml";
import type { Manifest } from "../core/cron-manifests.js";

/** `---`-separated YAML documents, one per object. */
export function renderManifestsYaml(objects: readonly Manifest[]): string {
  return objects.map((o) => YAML.stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })).join("---\n");
}

/** A v1 List, as `kubectl get -o json` prints several objects. */
export function renderManifestsJson(objects: readonly Manifest[]): string {
  return `${JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }, null, 2)}\n`;
}
