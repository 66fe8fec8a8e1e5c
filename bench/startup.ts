/**
 * Start-up: `--version` and `--help` against `node -e 0` (the floor for anything run by node), each run
 * `reps` times, interleaved so that a busy moment hits all alike; medians and spreads. The self-contained
 * executable, when given, is measured the same way against its own Node.js's `-e 0`.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { median } from "./measure.js";

const run = promisify(execFile);

export interface Startup {
  command: string;
  seconds: number[];
  /** The command this one is compared with (its Node.js doing nothing); none for the floors. */
  floor?: string;
}

/** The self-contained executable and the Node.js binary it was made from. */
export interface Executable {
  path: string;
  node: string;
  nodeVersion: string;
}

export async function measureStartup(cli: string, reps: number, executable?: Executable): Promise<Startup[]> {
  const commands: (Startup & { file: string; args: string[] })[] = [
    { command: "node -e 0", file: process.execPath, args: ["-e", "0"], seconds: [] },
    { command: "--version", file: cli, args: ["--version"], seconds: [], floor: "node -e 0" },
    { command: "--help", file: cli, args: ["--help"], seconds: [], floor: "node -e 0" },
  ];
  if (executable) {
    const floor = `node ${executable.nodeVersion} -e 0`;
    commands.push(
      { command: floor, file: executable.node, args: ["-e", "0"], seconds: [] },
      { command: "executable --version", file: executable.path, args: ["--version"], seconds: [], floor },
      { command: "executable --help", file: executable.path, args: ["--help"], seconds: [], floor },
    );
  }
  for (let r = 0; r < reps + 1; r++) {
    for (const c of commands) {
      const t0 = process.hrtime.bigint();
      await run(c.file, c.args, { env: { ...process.env, NO_COLOR: "1" } });
      // The first round warms the page cache; it is not counted.
      if (r > 0) c.seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
  }
  return commands.map(({ command, seconds, floor }) => ({ command, seconds, ...(floor ? { floor } : {}) }));
}

/** Each compared command's median over its floor's. */
export function startupRatios(results: readonly Startup[]): Map<string, number> {
  const medians = new Map(results.map((r) => [r.command, median(r.seconds)]));
  return new Map(
    results.flatMap((r) => (r.floor ? [[r.command, medians.get(r.command)! / medians.get(r.floor)!]] : [])),
  );
}
