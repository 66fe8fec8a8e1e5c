/**
 * Capacity as a Service sees it, followed through a watch on the real API server: the pods of a selector
 * that are Ready and not being deleted (an EndpointSlice stops sending traffic to a terminating pod). A
 * watch delivers every change the server makes, however brief, so the lowest count is exact, not sampled.
 */
import type { KubeClient } from "../simulator/index.js";

interface WatchedPod {
  metadata: { uid: string; resourceVersion?: string; deletionTimestamp?: string };
  status?: { conditions?: { type: string; status: string }[] };
}

export interface ReadyCount {
  /** Milliseconds since the watch started. */
  at: number;
  ready: number;
}

export interface ReadyWatch {
  /** Serving pods now. */
  current(): number;
  /** Every count the server went through, in order, starting with the one at the start. */
  readonly counts: readonly ReadyCount[];
  /** Ends the watch after `settleMs` (for the events of the last moment to arrive); returns the counts. */
  stop(settleMs?: number): Promise<ReadyCount[]>;
}

const serving = (pod: WatchedPod) =>
  !pod.metadata.deletionTimestamp &&
  (pod.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");

export async function watchReady(
  client: KubeClient,
  namespace: string,
  selector: string,
): Promise<ReadyWatch> {
  const path = `/api/v1/namespaces/${namespace}/pods`;
  const t0 = Date.now();
  const pods = new Map<string, boolean>();
  const counts: ReadyCount[] = [];
  const count = () => [...pods.values()].filter(Boolean).length;
  const note = () => {
    const ready = count();
    if (counts.at(-1)?.ready !== ready) counts.push({ at: Date.now() - t0, ready });
  };
  const list = async () => {
    const listed = await client.get<{ metadata: { resourceVersion: string }; items: WatchedPod[] }>(path, {
      query: { labelSelector: selector },
    });
    pods.clear();
    for (const pod of listed.items) pods.set(pod.metadata.uid, serving(pod));
    note();
    return listed.metadata.resourceVersion;
  };
  let resourceVersion = await list();
  const abort = new AbortController();
  const loop = (async () => {
    while (!abort.signal.aborted) {
      const ended = await client.watch<WatchedPod>(
        path,
        resourceVersion,
        { labelSelector: selector },
        (event) => {
          if (event.object.metadata.resourceVersion) resourceVersion = event.object.metadata.resourceVersion;
          if (event.type === "BOOKMARK") return;
          if (event.type === "DELETED") pods.delete(event.object.metadata.uid);
          else pods.set(event.object.metadata.uid, serving(event.object));
          note();
        },
        abort.signal,
      );
      // An expired resourceVersion (410) or a broken stream: list again and go on from there.
      if (ended.error && !abort.signal.aborted) resourceVersion = await list();
    }
  })();
  return {
    current: count,
    counts,
    async stop(settleMs = 1000) {
      await new Promise((r) => setTimeout(r, settleMs));
      abort.abort();
      await loop;
      return [...counts];
    },
  };
}
