/**
 * What installing again changes in what the runs do. Every flag install-cron is not given goes back to its
 * default, so a run re-installed only to change --schedule may lose its --strategy or -l and gain rights
 * or pods it did not have: said, not left to a `configured` line.
 */
import type { CronJobObject } from "./jobs.js";
import { jobContainerOf } from "./status.js";

/** Each change of the job's flags and image, `--strategy evict → auto`; empty when none. */
export function runChanges(installed: CronJobObject, wanted: CronJobObject): string[] {
  const before = jobContainerOf(installed);
  const after = jobContainerOf(wanted);
  const flagsBefore = flagsOf([...(before?.command ?? []), ...(before?.args ?? [])]);
  const flagsAfter = flagsOf([...(after?.command ?? []), ...(after?.args ?? [])]);
  const changes: string[] = [];
  for (const name of new Set([...flagsBefore.keys(), ...flagsAfter.keys()])) {
    const was = flagsBefore.get(name);
    const now = flagsAfter.get(name);
    if (was === now) continue;
    if (was === undefined) changes.push(now === "" ? `${name} added` : `${name} ${now} added`);
    else if (now === undefined) changes.push(was === "" ? `${name} dropped` : `${name} ${was} dropped`);
    else changes.push(`${name} ${was} → ${now}`);
  }
  if (before?.image !== after?.image)
    changes.push(`image ${before?.image ?? "none"} → ${after?.image ?? "none"}`);
  return changes;
}

/** `--name=value` and `--name` words by name; the first word, the program, and the verb are not flags. */
function flagsOf(words: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (const word of words) {
    if (!word.startsWith("--")) continue;
    const at = word.indexOf("=");
    flags.set(at === -1 ? word : word.slice(0, at), at === -1 ? "" : word.slice(at + 1));
  }
  return flags;
}
