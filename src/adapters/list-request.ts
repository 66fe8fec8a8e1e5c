/**
 * The API paths of the lists the plan reads page by page (`kubectl get --raw`), and the pure rules of
 * paging: the page's URL, the next continue token, and which failure means the token expired.
 */

/** A listable resource: where it lives in the API, and the kind its items are. */
export interface ListedResource {
  /** `/api/v1` for the core group, `/apis/GROUP/VERSION` otherwise. */
  prefix: string;
  plural: string;
  /** Items of a list page carry no `kind`; this is theirs. */
  kind: string;
}

/** The resources listed page by page, by the name kubectl knows them under (core/owners.ts names most). */
export const listedResources: Readonly<Record<string, ListedResource>> = {
  pods: { prefix: "/api/v1", plural: "pods", kind: "Pod" },
  serviceaccounts: { prefix: "/api/v1", plural: "serviceaccounts", kind: "ServiceAccount" },
  "replicasets.apps": { prefix: "/apis/apps/v1", plural: "replicasets", kind: "ReplicaSet" },
  "jobs.batch": { prefix: "/apis/batch/v1", plural: "jobs", kind: "Job" },
  "deployments.apps": { prefix: "/apis/apps/v1", plural: "deployments", kind: "Deployment" },
  "statefulsets.apps": { prefix: "/apis/apps/v1", plural: "statefulsets", kind: "StatefulSet" },
  "daemonsets.apps": { prefix: "/apis/apps/v1", plural: "daemonsets", kind: "DaemonSet" },
  "events.events.k8s.io": { prefix: "/apis/events.k8s.io/v1", plural: "events", kind: "Event" },
};

/** What one page asks for. `namespace` undefined means every namespace. */
export interface PageQuery {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit: number;
  continueToken?: string;
}

/**
 * The request URI of one page, as `kubectl get --raw` takes it: the namespace is a path segment,
 * selectors and paging are query parameters (kubectl re-encodes the query, so form encoding is fine).
 */
export function pageUri(resource: ListedResource, query: PageQuery): string {
  const where = query.namespace === undefined ? "" : `/namespaces/${encodeURIComponent(query.namespace)}`;
  const params = new URLSearchParams();
  params.set("limit", String(query.limit));
  // Trimmed as kubectl trims them (a blank one is none): the API server's parsers do not trim.
  const labelSelector = query.labelSelector?.trim();
  const fieldSelector = query.fieldSelector?.trim();
  if (labelSelector) params.set("labelSelector", labelSelector);
  if (fieldSelector) params.set("fieldSelector", fieldSelector);
  if (query.continueToken) params.set("continue", query.continueToken);
  return `${resource.prefix}${where}/${resource.plural}?${params}`;
}

/** What a watch asks for: changes after `resourceVersion` (a list's), until the server ends it. */
export interface WatchQuery {
  namespace: string;
  labelSelector: string;
  resourceVersion: string;
  timeoutSeconds: number;
}

/** The request URI of a watch of a namespace's objects, as `kubectl get --raw` streams it. */
export function watchUri(resource: ListedResource, query: WatchQuery): string {
  const params = new URLSearchParams({
    labelSelector: query.labelSelector.trim(),
    watch: "true",
    resourceVersion: query.resourceVersion,
    timeoutSeconds: String(query.timeoutSeconds),
  });
  return `${resource.prefix}/namespaces/${encodeURIComponent(query.namespace)}/${resource.plural}?${params}`;
}

/** The resourceVersion in a list's metadata (what a watch of it starts from), or null. */
export function resourceVersionOf(metadata: unknown): string | null {
  if (metadata === null || typeof metadata !== "object") return null;
  const version = (metadata as { resourceVersion?: unknown }).resourceVersion;
  return typeof version === "string" && version !== "" ? version : null;
}

/** The continue token in a page's metadata, or null on the last page. */
export function continueTokenOf(metadata: unknown): string | null {
  if (metadata === null || typeof metadata !== "object") return null;
  const token = (metadata as { continue?: unknown }).continue;
  return typeof token === "string" && token !== "" ? token : null;
}

/**
 * A continue token older than the API server keeps history for is refused with 410 Gone, reason
 * Expired; kubectl prints it as `Error from server (Expired): …`, and a 410 without a Status body (a
 * proxy's) as `Error from server: the server responded with the status code 410 …` or `error: 410 while
 * accessing …`. Only then does a restart help.
 */
export function isExpiredContinue(kubectlStderr: string): boolean {
  return /^(Error from server \((Expired|Gone)\)|Error from server: the server responded with the status code 410\b|error: 410 while accessing)/m.test(
    kubectlStderr,
  );
}
