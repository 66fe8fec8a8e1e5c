/**
 * A controller's pods as the checks around its restarts read them: before each restart, and at every poll
 * while a replacement starts. One list, then a watch from its resourceVersion keeps them current, so a read
 * costs no request; a list of all the controller's pods at every read cost ~10 lists for each pod restarted.
 * Every list starts the watch again from it: when the watch ended (the API server ends each after
 * `watchSeconds`) or failed, when a read must be a list, and when the watch has brought nothing for
 * `quietReads` reads in a row or for `quietMs` (a proxy may hold a stream back; a replacement's start changes
 * its pod every few seconds, and a wait for a pod to settle or a budget to allow may last much longer).
 * Where watching is refused (no `watch` on pods), or every watch ends unasked before it brings anything
 * (`failuresToGiveUp` in a row: a proxy that cuts streams), every read lists.
 */
import type { WatchChange, WatchEnd } from "../../adapters/watch.js";
import type { PodWithConditions } from "../../core/readiness.js";
import type { Clock } from "../../util/clock.js";
import type { RestartApi } from "./restart-options.js";

/** How long the API server keeps one watch: it also bounds how long a watch outlives a run killed hard. */
const watchSeconds = 300;
/** Reads (one a poll) after which a watch that brought nothing is checked by a list. */
const quietReads = 10;
/** How long a watch may bring nothing before a read checks it by a list, however few reads came meanwhile. */
const quietMs = 10_000;
/** Watches in a row that ended unasked before bringing any change, after which the reads only list. */
const failuresToGiveUp = 3;

interface Watch {
  pods: Map<string, PodWithConditions>;
  /** Reads since its last change. */
  quiet: number;
  /** When it last brought a change, or the list it started from was read. */
  heardAt: number;
  /** It brought a change since the last read. */
  news: boolean;
  /** Told of each change. */
  wakers: Set<() => void>;
  /** It brought a change. */
  changed: boolean;
  stop: AbortController;
  ended: Promise<void>;
}

export class FollowedPods {
  /** The running watch: its pods are current. */
  private watch: Watch | null = null;
  /** Watching is given up: refused, or failed too often. */
  private givenUp = false;
  private failures = 0;
  private stopped = false;
  /**
   * The last read listed, or the watch had brought a change since the read before it: a verdict that lets
   * the next pod go may rest on it. A watch quiet since may be held back (a proxy), and the pods changed.
   */
  fresh = false;
  private readonly onAbort = () => void this.stop();

  constructor(
    private readonly api: Pick<RestartApi, "listPodsBySelector" | "watchPodsBySelector">,
    private readonly namespace: string,
    private readonly selector: string,
    private readonly signal: AbortSignal,
    private readonly clock: Pick<Clock, "now">,
  ) {
    if (signal.aborted) this.stopped = true;
    else signal.addEventListener("abort", this.onAbort, { once: true });
  }

  /**
   * The pods now: as watched, or listed (a failed list throws, as listPodsBySelector does). `listed`: read
   * by a list whatever the watch holds, for a verdict that must not rest on a watch.
   */
  async read(listed = false): Promise<PodWithConditions[]> {
    const watch = this.watch;
    const heard = watch && this.clock.now() - watch.heardAt < quietMs;
    if (watch && heard && !listed && watch.quiet++ < quietReads) {
      // Not the first read after the list that started it, unless it brought something: it may be held back.
      this.fresh = watch.news;
      watch.news = false;
      return [...watch.pods.values()];
    }
    this.fresh = true;
    await this.unwatch();
    let version: string | null = null;
    const pods = await this.api.listPodsBySelector(this.namespace, this.selector, (v) => {
      version = v;
    });
    if (version !== null && this.watch === null && !this.givenUp && !this.stopped) this.follow(pods, version);
    return pods;
  }

  /**
   * Waits `ms`, or less: until the watch brings a change, so a check follows the pods as they change rather
   * than a poll behind (a replacement is often Ready within a second of its eviction). A watch that ends
   * wakes no one: the next read lists, a poll later, however soon watches end.
   */
  async pause(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
    const watch = this.watch;
    if (!watch) return clock.sleep(ms, signal);
    const woken = new AbortController();
    const wake = () => woken.abort();
    watch.wakers.add(wake);
    signal.addEventListener("abort", wake, { once: true });
    try {
      await clock.sleep(ms, woken.signal);
    } finally {
      watch.wakers.delete(wake);
      signal.removeEventListener("abort", wake);
    }
  }

  /** Stops the watch and waits for its kubectl to end; nothing is watched after. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.signal.removeEventListener("abort", this.onAbort);
    await this.unwatch();
  }

  private async unwatch(): Promise<void> {
    const watch = this.watch;
    if (!watch) return;
    watch.stop.abort();
    await watch.ended;
  }

  private follow(pods: readonly PodWithConditions[], resourceVersion: string): void {
    const query = {
      namespace: this.namespace,
      labelSelector: this.selector,
      resourceVersion,
      timeoutSeconds: watchSeconds,
    };
    const stop = new AbortController();
    const watch: Watch = {
      pods: new Map(pods.map((pod) => [uidOf(pod), pod])),
      quiet: 0,
      heardAt: this.clock.now(),
      news: false,
      wakers: new Set(),
      changed: false,
      stop,
      ended: this.api
        .watchPodsBySelector(
          query,
          (change) => {
            applyChange(watch.pods, change);
            watch.quiet = 0;
            watch.heardAt = this.clock.now();
            watch.news = true;
            watch.changed = true;
            for (const wake of watch.wakers) wake();
          },
          stop.signal,
        )
        .catch((error: unknown): WatchEnd => ({ kind: "failed", reason: String(error) }))
        .then((end) => {
          // An end not asked for, before any change: failed, or closed at once (a proxy ending streams).
          const early = end.kind !== "refused" && !watch.changed && !stop.signal.aborted;
          this.failures = early ? this.failures + 1 : 0;
          if (end.kind === "refused" || this.failures >= failuresToGiveUp) this.givenUp = true;
          if (this.watch === watch) this.watch = null;
        }),
    };
    this.watch = watch;
  }
}

function uidOf(pod: PodWithConditions): string {
  return pod.metadata.uid ?? `${pod.metadata.namespace}/${pod.metadata.name}`;
}

function applyChange(pods: Map<string, PodWithConditions>, change: WatchChange<PodWithConditions>): void {
  if (change.type === "DELETED") pods.delete(uidOf(change.object));
  else pods.set(uidOf(change.object), change.object);
}
