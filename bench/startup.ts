/**
 * Start-up: `--version` and `--help` against `node -e 0` (the floor for anything run by node), each run
 * `reps` times, interleaved so that a busy moment hits all three alike; medians and spreads.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { median } from "./measure.js";

const run = promisify(execFile);

export interface Startup {
  command: string;
  seconds: number[];
}

export async function measureStartup(cli: string, reps: number): Promise<Startup[]> {
  const commands: [string, string, string[]][] = [
    ["node -e 0", process.execPath, ["-e", "0"]],
    ["--version", cli, ["--version"]],
    ["--help", cli, ["--help"]],
  ];
  const results = commands.map(([command]) => ({ command, seconds: [] as number[] }));
  for (let r = 0; r < reps + 1; r++) {
    for (const [i, [, file, args]] of commands.entries()) {
      const t0 = process.hrtime.bigint();
      await run(file, args, { env: { ...process.env, NO_COLOR: "1" } });
      // The first round warms the page cache; it is not counted.
      if (r > 0) results[i]!.seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
  }
  return results;
}

/** Each command's median over `node -e 0`'s. */
export function startupRatios(results: readonly Startup[]): Map<string, number> {
  const floor = median(results.find((r) => r.command === "node -e 0")!.seconds);
  return new Map(
    results.filter((r) => r.command !== "node -e 0").map((r) => [r.command, median(r.seconds) / floor]),
  );
}
