/**
 * The PodDisruptionBudgets this tool honours itself, where the API server does not: before a DELETE, and
 * before auto rolls a workload out.
 */
import { isCallFailure } from "../../adapters/kubectl-errors.js";
import {
  countingBudgets,
  type DisruptionBudget,
  type Labels,
  letsUnreadyPodGo,
  type PodHealth,
  selectingAny,
  selectingBudgets,
} from "../../core/disruption-budget.js";
import type { PlanPod } from "../../core/plan.js";
import { counted } from "../../util/counted.js";
import { type Left, leftByStop, type RestartApi, type RestartOptions } from "./restart-options.js";

/** Disruptions let through by the budgets selecting the pods, held against them until `release`. */
export interface Allowance {
  release(): void;
  /** Its deletion was answered: lists sent from now on may show it. Until then none is taken to. */
  landed?(): void;
  /**
   * Released at `time` (the clock's), not before: a deletion whose replacement is not waited for counts as
   * long as a wait for it would have.
   */
  releaseAt?(time: number): void;
  /**
   * Let through by some budget only because the pod was not Ready, or Pending: it must still be so at the
   * deletion.
   */
  letAs?: Exclude<PodHealth, "ready">;
  /** Let through only after waiting: what was read before may have changed. */
  waited?: boolean;
}

/**
 * Checks the disruption budgets of a pod's namespace before each deletion, and before auto rolls a workload
 * out (which the API server's budgets do not govern), waiting while they block. Workloads are restarted side
 * by side, and a budget may select pods of several: a disruption let through counts against each of its
 * budgets until its replacement is up (one not waited for, as long as its wait would have lasted); with
 * --no-wait, which sees none come up, until the budget's status shows it (its disruptionsAllowed has gone
 * down since by as many as were let through).
 */
export class BudgetGate {
  /**
   * Deletions let through and not yet released, by namespace/budget: the budget's disruptionsAllowed then.
   */
  private readonly drawn = new Map<string, Draw[]>();
  /** Draws made so far, numbering each. */
  private draws = 0;
  /** Deletions answered so far, numbering each draw's as it is. */
  private landings = 0;
  /** Lists of budgets sent so far, numbering each. */
  private reads = 0;
  /** Rollouts reading their budgets now (their namespace and pods' labels): not drawn yet, but about to. */
  private readonly reading = new Set<{ namespace: string; labelSets: readonly Labels[] }>();
  /** Evictions checked against rollouts and not answered yet, by namespace; `landed` settles with them. */
  private readonly evicting = new Set<{ namespace: string; landed: Promise<void> }>();
  /**
   * Rollouts that surge with their budgets unread, one entry each, by namespace: their new pods raise what
   * any budget there may count as healthy until they retire old ones, so no eviction there is let through.
   */
  private readonly surgingUnbudgeted: { namespace: string; by: string }[] = [];

  constructor(
    private readonly api: Pick<RestartApi, "listDisruptionBudgets">,
    private readonly options: RestartOptions,
  ) {}

  /**
   * The allowance when the pod may be deleted now (or after waiting), else why not. When its budgets
   * cannot be read the pod is left at once: a DELETE would bypass them unseen. A pod `health` says is not
   * Ready, or Pending, at a look (told whether the gate has waited since it was first asked) goes where the
   * budgets let such a pod go (countingBudgets), drawing nothing from them (the allowance says so: `letAs`).
   * A rollout asks for as many disruptions as it takes pods down at once (`disruptions`), for every pod it
   * replaces (`labelSets`: the labels of its pods), and they count until it is released (`lasting`): it takes
   * pods down step by step, and its budget's status shows some steps and not others. Its surge (`surges`: new
   * pods beside the old, Ready before those go) raises its budgets' allowance for a while: it is drawn too,
   * for the other restarts to count, but never waited for. A rollout that only surges is let through at once,
   * also when its budgets cannot be read (nothing else's list of them would be read either: the API server
   * then decides the evictions beside it).
   */
  async waitUntilAllowed(
    pod: PlanPod,
    health?: (afterWait: boolean) => PodHealth | Promise<PodHealth>,
    {
      disruptions = 1,
      by = "a deletion",
      lasting = false,
      labelSets = [pod.labels],
      mayWait = true,
      surges = 0,
    }: {
      disruptions?: number;
      surges?: number;
      by?: string;
      lasting?: boolean;
      labelSets?: readonly Labels[];
      /** False once a wait of its controller's ran out: asked once. */
      mayWait?: boolean;
    } = {},
  ): Promise<Allowance | Left> {
    const { clock, dryRun } = this.options;
    if (disruptions === 0 && (surges === 0 || dryRun)) return { release() {} };
    // A server dry run of a DELETE checks no budget: they are read as for the real run, but not waited for,
    // and a dry run draws nothing from them.
    const waits = mayWait && this.options.wait && !dryRun;
    const deadline = clock.now() + (waits ? this.options.waitTimeoutMs : 0);
    for (let waited = false; ; waited = true) {
      // While a rollout reads its budgets, evictions under them wait (rolloutHolds): it has not drawn yet.
      const reading = { namespace: pod.namespace, labelSets };
      if (lasting) this.reading.add(reading);
      let decided: Allowance | Left | DisruptionBudget[];
      try {
        decided = await this.tryOnce(
          pod,
          health && (() => health(waited)),
          { disruptions, surges },
          by,
          lasting,
          labelSets,
        );
      } finally {
        this.reading.delete(reading);
      }
      if (!Array.isArray(decided)) {
        if ("release" in decided) return waited ? { ...decided, waited } : decided;
        // Its budgets unread: a rollout that takes no pod down goes on, holding every eviction in its
        // namespace while it surges (its allowance's release ends that).
        if (disruptions > 0 || this.options.signal.aborted) return decided;
        if (!lasting || surges === 0) return { release() {} };
        const surging = this.surgingUnbudgeted;
        const entry = { namespace: pod.namespace, by };
        surging.push(entry);
        return {
          release() {
            if (surging.includes(entry)) surging.splice(surging.indexOf(entry), 1);
          },
        };
      }
      if (this.options.signal.aborted) return leftByStop(this.options.signal);
      if (clock.now() >= deadline) {
        // Its status alone would let it go: what holds it is this run's own rollouts, or its restarts.
        const byStatus = decided.every((b) => b.disruptionsAllowed >= disruptions);
        const heldBy = !byStatus
          ? "status"
          : decided.every((b) => this.rolloutDraws(pod.namespace, b) > 0)
            ? "rollouts"
            : "restarts";
        return { reason: blockedBy(decided, disruptions, by, heldBy), blocked: true };
      }
      await clock.sleep(this.options.pollMs, this.options.signal);
    }
  }

  /** One read of the budgets: the allowance, why the pod is left, or the budgets that block it now. */
  private async tryOnce(
    pod: PlanPod,
    health: (() => PodHealth | Promise<PodHealth>) | undefined,
    { disruptions, surges = 0 }: { disruptions: number; surges?: number },
    by: string,
    lasting: boolean,
    labelSets: readonly Labels[],
  ): Promise<Allowance | Left | DisruptionBudget[]> {
    // A rollout's list answered before an eviction beside it lands would not show that eviction.
    if (lasting) await this.evictionsLanded(pod.namespace);
    let selecting: DisruptionBudget[];
    const read = this.sent();
    try {
      const listed = await this.api.listDisruptionBudgets(pod.namespace);
      selecting = selectingAny(listed, labelSets);
    } catch (error) {
      // The cluster out of reach stops the run (restartPods); a Ctrl-C reaches the kubectl too.
      if (!isCallFailure(error)) throw error;
      if (this.options.signal.aborted) return leftByStop(this.options.signal);
      return {
        reason: `its PodDisruptionBudgets could not be read, and ${by} would bypass them (under --strategy evict the API server enforces them): ${error.message}`,
      };
    }
    const blocks = (b: DisruptionBudget, look = false) =>
      b.disruptionsAllowed - this.unseen(pod.namespace, b, read, look) < disruptions;
    // The pod is looked at where that may change what its going draws (a Pending one draws from none) or
    // whether it may go; what the budgets allow is counted after the look, with the draw: other restarts may
    // draw meanwhile.
    const mayDraw = !this.options.dryRun && selecting.length > 0;
    const looked =
      health !== undefined && (mayDraw || selecting.some((b) => letsUnreadyPodGo(b) || blocks(b, true)));
    const healthNow = looked ? await health() : "ready";
    const counting = countingBudgets(selecting, healthNow);
    // What takes no pod down is never held.
    const blocking = disruptions > 0 ? counting.filter((b) => blocks(b)) : [];
    if (blocking.length > 0) return blocking;
    const allowance = this.options.dryRun
      ? { release() {} }
      : this.draw(pod.namespace, counting, disruptions + surges, lasting, read);
    return counting.length < selecting.length && healthNow !== "ready"
      ? { ...allowance, letAs: healthNow }
      : allowance;
  }

  /**
   * Sends an eviction unless a rollout of this run holds a budget selecting the pod by its `labels` now
   * (then why). From before that check until the eviction is answered, rollouts in its namespace wait to
   * read their budgets.
   */
  async evictUnlessHeld<T>(
    pod: PlanPod,
    labels: Labels,
    health: () => PodHealth | Promise<PodHealth>,
    evict: () => Promise<T>,
  ): Promise<T | { held: string }> {
    let land = () => {};
    const flight = { namespace: pod.namespace, landed: new Promise<void>((resolve) => (land = resolve)) };
    const earlier = [...this.evicting].filter((e) => e.namespace === pod.namespace).map((e) => e.landed);
    this.evicting.add(flight);
    try {
      const held = await this.rolloutHolds(pod, labels, health, earlier);
      return held !== null ? { held } : await evict();
    } finally {
      this.evicting.delete(flight);
      land();
    }
  }

  private async evictionsLanded(namespace: string): Promise<void> {
    await Promise.all([...this.evicting].filter((e) => e.namespace === namespace).map((e) => e.landed));
  }

  /** How many disruptions rollouts of this run hold on the budget, their surges included. */
  private rolloutDraws(namespace: string, budget: DisruptionBudget): number {
    return this.drawsOn(`${namespace}/${budget.name}`).filter((draw) => draw.lasting).length;
  }

  /** The draws held on a budget (by namespace/budget) now: those released at a time past are dropped. */
  private drawsOn(key: string): Draw[] {
    const now = this.options.clock.now();
    const drawn = this.drawn.get(key) ?? [];
    const held = drawn.filter((draw) => draw.until === undefined || now < draw.until);
    if (held.length < drawn.length) this.drawn.set(key, held);
    return held;
  }

  /**
   * Whether a rollout of this run holds what a budget selecting the pod allows: the API server lets an
   * eviction by the budget's status, which may not show that rollout's steps yet, nor a rollout reading its
   * budgets now. A budget that lets a not-Ready (or Pending) pod go is left to the API server for such a pod,
   * as it draws nothing from it. Read only while some rollout in the pod's namespace reads or holds a draw (or
   * surges with its budgets unread); a list that fails holds it until the next poll. Why it holds; null when
   * it does not.
   */
  private async rolloutHolds(
    pod: PlanPod,
    labels: Labels,
    health: () => PodHealth | Promise<PodHealth>,
    earlier: readonly Promise<void>[],
  ): Promise<string | null> {
    // A dry run draws nothing: the server's dry runs check what the budgets' status says.
    if (this.options.dryRun) return null;
    const surging = this.surgingUnbudgeted.find((s) => s.namespace === pod.namespace);
    if (surging) {
      return `${surging.by} surges in its namespace, whose PodDisruptionBudgets could not be read: its new pods may count as healthy in them until it ends`;
    }
    const readingHere = [...this.reading].filter((r) => r.namespace === pod.namespace);
    const prefix = `${pod.namespace}/`;
    const drawing = [...this.drawn].some(
      ([key, draws]) => key.startsWith(prefix) && draws.some((d) => d.lasting),
    );
    if (readingHere.length === 0 && !drawing) return null;
    // Beside a rollout, evictions in its namespace are checked one after another: a budget's status shows an
    // eviction once it is answered, and two checked side by side would each take what the rollout left.
    await Promise.all(earlier);
    let selecting: DisruptionBudget[];
    const read = this.sent();
    try {
      selecting = selectingBudgets(await this.api.listDisruptionBudgets(pod.namespace), labels);
    } catch (error) {
      // Held, as by a 429: whether the rollout holds them is asked again at the next poll.
      if (!isCallFailure(error)) throw error;
      return `its PodDisruptionBudgets, which a rollout of this run draws on, could not be read: ${error.message}`;
    }
    const counting = selecting.length > 0 ? countingBudgets(selecting, await health()) : [];
    const readByRollouts = readingHere.flatMap((r) => r.labelSets);
    // A rollout reading a budget may draw what this eviction would take: it goes first.
    const holds = counting.some(
      (b) =>
        selectingAny([b], readByRollouts).length > 0 ||
        b.disruptionsAllowed - this.unseen(pod.namespace, b, read) < 1,
    );
    return holds ? "a rollout of this run holds its PodDisruptionBudget" : null;
  }

  /** A list of budgets about to be sent: its number, and how many deletions had been answered. */
  private sent(): Read {
    return { number: this.reads++, landed: this.landings, shown: new Set() };
  }

  /**
   * This run's deletions under the budget that its status, as `read` answered, does not show yet. It can show
   * only those answered before it was sent: one let through and not yet sent, or answered after, is not
   * shown, whatever other lists said. Of those, not shown by a list sent before it, it shows at most as many
   * as its disruptionsAllowed has gone down since one of their draws (one drop of one shows one deletion,
   * however many were let through at that allowance, and however often it is read), the earliest first. Once
   * shown, a deletion stays shown to the lists sent after that answer came: its replacement coming up raises
   * the allowance again before the draw is released (with --no-wait, never), and must not hide a later one.
   * A list sent before it came, answered late, judges for itself: the API server may have served it first.
   */
  private unseen(namespace: string, budget: DisruptionBudget, read: Read, look = false): number {
    const drawn = this.drawsOn(`${namespace}/${budget.name}`);
    const lasting = drawn.filter((draw) => draw.lasting).length;
    const held = drawn.filter((draw) => !draw.lasting && landedBefore(draw, read));
    const notAnswered = drawn.filter((draw) => !draw.lasting && !landedBefore(draw, read)).length;
    const shownBefore = (draw: Draw) => draw.seenBy !== undefined && draw.seenBy <= read.number;
    const unseen = held.filter((draw) => !shownBefore(draw));
    // A drop since a draw's allowance shows this run's deletions its allowance did not show yet; those of
    // them shown already were counted at an earlier read, and are not counted again.
    const shownSince = (draw: Draw) => held.filter((d) => shownBefore(d) && d.number >= draw.since).length;
    // Under --wait a deletion counts until its replacement is up, shown or not: a drop in a status that lags
    // both a deletion and its replacement may be an earlier one's, released since. Without a wait nothing is
    // released: only the status can show a deletion.
    const shown = this.options.wait
      ? 0
      : Math.max(0, ...unseen.map((draw) => draw.allowedThen - budget.disruptionsAllowed - shownSince(draw)));
    // Marked once per read of the budget: a second count of the same read would mark later draws seen too.
    if (!look) {
      for (const draw of unseen.slice(0, shown)) {
        read.shown.add(draw);
        draw.seenBy = Math.min(draw.seenBy ?? this.reads, this.reads);
      }
    }
    return lasting + notAnswered + Math.max(0, unseen.length - shown);
  }

  private draw(
    namespace: string,
    budgets: readonly DisruptionBudget[],
    disruptions: number,
    lasting: boolean,
    read: Read,
  ): Allowance {
    const taken = budgets.flatMap((budget) => {
      const key = `${namespace}/${budget.name}`;
      // The first of this run's deletions under the budget its status, as read, did not show: one not
      // answered before the list was sent, or not shown by it nor by a list sent before it.
      const shown = (d: Draw) =>
        landedBefore(d, read) && (read.shown.has(d) || (d.seenBy !== undefined && d.seenBy <= read.number));
      const since = this.drawsOn(key).find((d) => !d.lasting && !shown(d))?.number ?? this.draws;
      const draws = Array.from(
        { length: disruptions },
        (): Draw => ({
          allowedThen: budget.disruptionsAllowed,
          lasting,
          number: this.draws++,
          since,
        }),
      );
      this.drawn.set(key, [...(this.drawn.get(key) ?? []), ...draws]);
      return draws.map((draw) => [key, draw] as const);
    });
    return {
      release: () => {
        for (const [key, draw] of taken)
          this.drawn.set(
            key,
            (this.drawn.get(key) ?? []).filter((d) => d !== draw),
          );
      },
      landed: () => {
        for (const [, draw] of taken) draw.landed ??= this.landings++;
      },
      releaseAt: (time) => {
        for (const [, draw] of taken) draw.until = time;
      },
    };
  }
}

/** Whether a draw's deletion was answered before the list was sent. */
function landedBefore(draw: Draw, read: Read): boolean {
  return draw.landed !== undefined && draw.landed < read.landed;
}

/**
 * A list of budgets: its place among the lists sent, how many deletions had been answered by then, and the
 * deletions its answer showed.
 */
interface Read {
  number: number;
  landed: number;
  shown: Set<Draw>;
}

/**
 * A disruption let through: the budget's disruptionsAllowed when it was, and which list's status showed it; a
 * rollout's counts until it is released, shown or not.
 */
interface Draw {
  allowedThen: number;
  /** From which list on (by number: those sent after the answer that showed it) it is shown. */
  seenBy?: number;
  lasting: boolean;
  /**
   * Its place among the run's draws, and that of the first its allowance did not show (itself, or earlier).
   */
  number: number;
  since: number;
  /** Its place among the deletions answered, once it is. */
  landed?: number;
  /** When it is released, where that was set in advance (releaseAt). */
  until?: number;
}

/** Why budgets still block a disruption at the deadline. */
function blockedBy(
  blocking: readonly DisruptionBudget[],
  disruptions: number,
  by: string,
  /**
   * What holds the budgets: their status, or (where it alone would let the disruption through) this run's
   * own rollouts, or its restarts (its deletions not yet shown, or not yet replaced).
   */
  heldBy: "status" | "rollouts" | "restarts",
): string {
  const names = blocking.map((b) => b.name).join(", ");
  const why =
    by === "a deletion" ? "" : `: ${by} takes ${counted(disruptions, "pod")} out of service at once`;
  if (heldBy === "rollouts") return `PodDisruptionBudget ${names} is held by a rollout of this run${why}`;
  const allows = disruptions === 1 ? "no disruption" : `fewer than ${disruptions} disruptions`;
  const counting = heldBy === "restarts" ? ", counting this run's own restarts under it" : "";
  return `PodDisruptionBudget ${names} allows ${allows} now${counting}${why}`;
}
