/**
 * Keeps the restarts in vain of one apply run in the record ConfigMap (core/restart-record.ts), beside
 * their Events: each pod evicted or deleted that came back on the old digest, or (under --wait) whose
 * replacement was not checked, and each remembered restart the run held pods for and stamped again. Written
 * once, at the end, and best-effort: a refusal is one warning, never a failed restart.
 */

import type { Kubectl } from "../../adapters/kubectl.js";
import { type RecordRead, readRecordVersion, writeRecord } from "../../adapters/restart-record.js";
import type { CompletedRestart } from "../../core/restart-outcomes.js";
import { leftOutOfRecord, type RecordRef, recordChanges } from "../../core/restart-record.js";
import type { RememberedRestart } from "../../core/restarted-for.js";
import { ToolFailedError } from "../../errors.js";
import type { Clock } from "../../util/clock.js";

/** How a run's restarts not checked are kept (under --no-wait, each restart is one: its Event holds it). */
export interface UncheckedRestarts {
  kept: boolean;
  /** How far the API server's clock runs ahead of this machine's; null when not known. */
  serverClockAhead: () => Promise<number | null>;
}

export class RecordKeeper {
  private readonly recorded: RememberedRestart[] = [];
  /** Restarts not checked, the pod restarted at `restartedAt` by this machine's clock. */
  private readonly unchecked: (Omit<RememberedRestart, "at"> & { restartedAt: number })[] = [];

  constructor(
    private readonly kubectl: Pick<Kubectl, "runChange">,
    private readonly ref: RecordRef,
    private readonly clock: Pick<Clock, "now">,
    private readonly uncheckedRestarts: UncheckedRestarts,
  ) {}

  /**
   * A restart that happened, one at a time: kept when its pod came back on an old digest, the one it ran or
   * another its node had cached (up, but a restart for the same move would bring the same); or when its
   * replacement was not checked (not up in time, the run stopped): the next runs judge the pods made since,
   * as its Event lets them for an hour, and a daily run comes later than that.
   */
  restarted(restart: CompletedRestart): void {
    const { strategy, namespace, regarding, replacement } = restart;
    if (strategy === "rollout" || !replacement.restartedFor || regarding.uid === undefined) return;
    const { kind, name, uid } = regarding;
    const move = { namespace, controller: { kind, name, uid }, restartedFor: replacement.restartedFor };
    const restartedAt = replacement.kind === "up" ? undefined : replacement.restartedAt;
    if (restartedAt !== undefined) {
      if (this.uncheckedRestarts.kept) this.unchecked.push({ ...move, restartedAt });
    } else if (replacement.kind !== "unchecked") {
      this.recorded.push({ ...move, at: this.clock.now() });
    }
  }

  /** A remembered restart the run held pods for: stamped again, so it lasts while runs still need it. */
  held(hold: RememberedRestart): void {
    const firstAt = hold.uncheckedRestartAt === undefined ? { firstAt: hold.firstAt ?? hold.at } : {};
    this.recorded.push({ ...hold, ...firstAt, at: this.clock.now() });
  }

  /**
   * The restarts not checked, their times on the API server's clock, by which the pods made since are
   * created: a laptop's clock may be minutes off. Where no Event showed the server's clock, they are left to
   * their Events.
   */
  private async keepUnchecked(): Promise<void> {
    if (this.unchecked.length === 0) return;
    const ahead = await this.uncheckedRestarts.serverClockAhead();
    if (ahead === null) return;
    const at = this.clock.now();
    for (const { restartedAt, ...move } of this.unchecked.splice(0)) {
      this.recorded.push({ ...move, at, uncheckedRestartAt: restartedAt + ahead });
    }
  }

  /** Writes what the run recorded; why it could not, or null. */
  async save(): Promise<string | null> {
    await this.keepUnchecked();
    if (this.recorded.length === 0) return null;
    // Another run may write it at the same time (the CronJob's, and one by hand): each write is made against
    // what was read, and made again when the record changed in between.
    for (let attempt = 1; attempt <= writeAttempts; attempt++) {
      let read: RecordRead | undefined;
      try {
        read = await readRecordVersion(this.kubectl, this.ref);
      } catch (error) {
        // Even a cluster gone by now: the restarts are done, and this is a side note.
        if (!(error instanceof ToolFailedError)) throw error;
        return error.message;
      }
      const now = this.clock.now();
      const changes = recordChanges(read?.data, this.recorded, now, read?.binaryBytes);
      if (changes === null) return null;
      const written = await writeRecord(this.kubectl, this.ref, changes, read);
      if (written === "changed") continue;
      const leftOut = leftOutOfRecord(read?.data, changes, this.recorded, now);
      return (
        written ??
        (leftOut > 0
          ? `no room left in it for ${leftOut} of this run's (its other keys take the ConfigMap's 1 MiB)`
          : null)
      );
    }
    return `it changed ${writeAttempts} times while this run wrote it (other runs writing it at once)`;
  }
}

const writeAttempts = 3;
