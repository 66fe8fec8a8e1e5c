/**
 * Records an Event for each restart, best-effort: Events are created side by side with the restarts (never
 * delaying the next one), at most --concurrency at once (under --no-wait restarts come faster than a stuck
 * API server answers), and a refused Event (RBAC, admission, a stuck API server) never fails a restart —
 * the refusals are summed up in one warning at the end. After a few refused in a row in a namespace, the
 * rest there are not sent, and after refusals in a row in a few namespaces, none but the records: 5,000
 * restarts would otherwise run 5,000 kubectl for a role without Events, or hold the end of the run 20 s for
 * every --concurrency of them while the API server does not answer. A refusal in one namespace (its own
 * RBAC, admission policy or quota) says nothing of the others, where an Event that records a restart in vain
 * (or a hold) is what keeps it from being made again: those few are still sent where their namespace has
 * not refused.
 */
import type { Kubectl } from "../../adapters/kubectl.js";
import type { KubeEvent } from "../../core/k8s.js";
import type { PlanPod } from "../../core/plan.js";
import { holdEvent, restartEvent } from "../../core/restart-event.js";
import type { CompletedRestart } from "../../core/restart-outcomes.js";
import { type RememberedRestart, restartedForAnnotation } from "../../core/restarted-for.js";
import type { Clock } from "../../util/clock.js";
import { counted } from "../../util/counted.js";
import { Limiter } from "../../util/limiter.js";

/** Refused in a row in a namespace, after which the rest there are not sent; in as many namespaces, none. */
const refusalsToGiveUp = 3;

export class EventRecorder {
  private readonly pending: Promise<void>[] = [];
  private recorded = 0;
  private readonly refusals: string[] = [];
  /** Refusals in a row, by namespace; and the namespaces of the refusals in a row across all of them. */
  private readonly refusedInARow = new Map<string, number>();
  private readonly refusingNamespaces = new Set<string>();
  private notSent = 0;
  /** How far the API server's clock ran ahead of this one's when it created the last Event; null before. */
  private serverAhead: number | null = null;
  private readonly limiter: Limiter;

  constructor(
    private readonly api: Pick<Kubectl, "createEvent">,
    private readonly clock: Pick<Clock, "now">,
    /** Who reports: the host (a CronJob's pod name). */
    private readonly instance: string,
    concurrency: number,
  ) {
    this.limiter = new Limiter(concurrency);
  }

  record(restart: CompletedRestart): void {
    this.create(restart.namespace, (now) => restartEvent(restart, now, this.instance));
  }

  /** The pods a run held, on their controller: keeps what it remembers from expiring. */
  recordHold(hold: RememberedRestart, pods: readonly PlanPod[]): void {
    this.create(hold.namespace, (now) => holdEvent(hold, pods, now, this.instance));
  }

  private givenUp(event: KubeEvent): boolean {
    const namespace = event.metadata.namespace;
    if ((this.refusedInARow.get(namespace) ?? 0) >= refusalsToGiveUp) return true;
    const isRecord = event.metadata.annotations?.[restartedForAnnotation] !== undefined;
    return !isRecord && this.refusingNamespaces.size >= refusalsToGiveUp;
  }

  /**
   * The Event's time is taken as it is sent, not as it is queued: a reader takes the gap between that time
   * and the server's creation of it for the clocks' difference (an unchecked restart's time is shifted
   * by it).
   */
  private create(namespace: string, build: (now: number) => KubeEvent): void {
    this.pending.push(
      this.limiter.run(async () => {
        const sentAt = this.clock.now();
        const event = build(sentAt);
        if (this.givenUp(event)) {
          this.notSent++;
          return;
        }
        let created: Awaited<ReturnType<typeof this.api.createEvent>>;
        try {
          created = await this.api.createEvent(event);
        } catch (error) {
          created = { ok: false, reason: error instanceof Error ? error.message : String(error) };
        }
        if (created.ok) {
          if (created.createdAt !== undefined) this.serverAhead = created.createdAt - sentAt;
          this.recorded++;
          this.refusedInARow.delete(namespace);
          this.refusingNamespaces.clear();
        } else {
          this.refusals.push(created.reason);
          this.refusedInARow.set(namespace, (this.refusedInARow.get(namespace) ?? 0) + 1);
          this.refusingNamespaces.add(namespace);
        }
      }),
    );
  }

  /**
   * How far the API server's clock runs ahead of this machine's, as the Events created show once those in
   * flight are answered (to the second, the creation's precision); null when none was created.
   */
  async serverClockAhead(): Promise<number | null> {
    await Promise.all(this.pending);
    return this.serverAhead;
  }

  /** Waits for the Events in flight; then one warning when any was not recorded, else null. */
  async settle(): Promise<string | null> {
    await Promise.all(this.pending);
    if (this.refusals.length === 0) return null;
    const unrecorded = this.refusals.length + this.notSent;
    const total = this.recorded + unrecorded;
    const others = new Set(this.refusals).size - 1;
    const more = others > 0 ? ` (and ${counted(others, "other reason")})` : "";
    const gaveUp =
      this.notSent > 0
        ? `; after ${refusalsToGiveUp} refused in a row, ${this.notSent} more were not sent`
        : "";
    return `could not record ${unrecorded} of ${counted(total, "Event")} (the restarts are not affected): ${this.refusals[0]}${more}${gaveUp}`;
  }
}
