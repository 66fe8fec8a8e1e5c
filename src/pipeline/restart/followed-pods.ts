/**
 * A controller's pods as the checks around its restarts read them: before each restart, and at every poll
 * while a replacement starts. One list, then a watch from its resourceVersion keeps them current, so a poll
 * costs no request; it cost a list of all the controller's pods, ~10 for each pod restarted. When the watch
 * ends (the API server ends each after `watchSeconds`) or fails, the next read lists again and starts
 * another; where watching is refused (no `watch` on pods), every read lists.
 */
import type { WatchChange, WatchEnd } from "../../adapters/watch.js";
import type { PodWithConditions } from "../../core/readiness.js";
import type { RestartApi } from "./restart-options.js";

/** How long the API server keeps one watch: it also bounds how long a watch outlives a run killed hard. */
const watchSeconds = 300;

export class FollowedPods {
  /** The pods by UID while a watch keeps them current; null when the next read must list. */
  private watched: Map<string, PodWithConditions> | null = null;
  private watch: Promise<void> | null = null;
  private refused = false;
  private readonly stopped = new AbortController();

  constructor(
    private readonly api: Pick<RestartApi, "listPodsBySelector" | "watchPodsBySelector">,
    private readonly namespace: string,
    private readonly selector: string,
    signal: AbortSignal,
  ) {
    if (signal.aborted) this.stopped.abort();
    else signal.addEventListener("abort", () => this.stopped.abort(), { once: true });
  }

  /**
   * The pods now: as watched, or listed (a failed list throws, as listPodsBySelector does). `listed`: read
   * by a list whatever the watch holds, for a verdict that must not rest on a watch that may have stalled
   * (a proxy that holds the stream back).
   */
  async read(listed = false): Promise<PodWithConditions[]> {
    if (this.watched && !listed) return [...this.watched.values()];
    let version: string | null = null;
    const pods = await this.api.listPodsBySelector(this.namespace, this.selector, (v) => {
      version = v;
    });
    if (version !== null && this.watch === null && !this.refused && !this.stopped.signal.aborted)
      this.follow(pods, version);
    return pods;
  }

  /** Stops the watch and waits for its kubectl to end. */
  async stop(): Promise<void> {
    this.stopped.abort();
    await this.watch;
  }

  private follow(pods: readonly PodWithConditions[], resourceVersion: string): void {
    const watched = new Map(pods.map((pod) => [uidOf(pod), pod]));
    this.watched = watched;
    const query = {
      namespace: this.namespace,
      labelSelector: this.selector,
      resourceVersion,
      timeoutSeconds: watchSeconds,
    };
    this.watch = this.api
      .watchPodsBySelector(query, (change) => applyChange(watched, change), this.stopped.signal)
      .catch((error: unknown): WatchEnd => ({ kind: "failed", reason: String(error) }))
      .then((end) => {
        if (end.kind === "refused") this.refused = true;
        this.watched = null;
        this.watch = null;
      });
  }
}

function uidOf(pod: PodWithConditions): string {
  return pod.metadata.uid ?? `${pod.metadata.namespace}/${pod.metadata.name}`;
}

function applyChange(pods: Map<string, PodWithConditions>, change: WatchChange<PodWithConditions>): void {
  if (change.type === "DELETED") pods.delete(uidOf(change.object));
  else pods.set(uidOf(change.object), change.object);
}
