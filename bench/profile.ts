/**
 * Where a plan's CPU time goes: the plugin run under `node --cpu-prof`, its profile summed by function
 * (self time: the samples taken while that function itself ran), largest first.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  ms: number;
  share: number;
}

/** The profile `node --cpu-prof --cpu-prof-dir DIR` wrote (the only one in DIR), summed by function. */
export function topSelfTimes(dir: string, count: number): { totalMs: number; top: SelfTime[] } {
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as CpuProfile;
  const names = new Map<number, string>();
  for (const { id, callFrame: c } of profile.nodes) {
    const where = c.url ? ` ${c.url.replace(/^.*\//, "")}:${c.lineNumber + 1}` : "";
    names.set(id, `${c.functionName || "(anonymous)"}${where}`);
  }
  const byName = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const us = profile.timeDeltas[i + 1] ?? 0;
    const name = names.get(profile.samples[i]!) ?? "?";
    byName.set(name, (byName.get(name) ?? 0) + us);
    total += us;
  }
  const top = [...byName]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => ({ name, ms: us / 1000, share: us / total }));
  return { totalMs: total / 1000, top };
}
