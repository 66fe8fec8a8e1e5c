/**
 * Time, memory and CPU of processes. GNU time (`/usr/bin/time`, Debian package `time`) reports a process's
 * peak RSS and CPU time when it is reaped; its figures include the process's own reaped children, so they are
 * used only for leaves (kubectl). The plugin's own peak and CPU come from its `--verbose` report. Every
 * kubectl the plugin (or the benchmark) runs goes through a shim that runs the real one under GNU time and
 * appends one line per call — start, end, peak RSS, CPU, exit code, argv — to a log. What the whole machine's
 * cores were busy with comes from /proc/stat: the fake API server, the registry, every process. The shim also
 * caps each kubectl's address space (prlimit, util-linux): `kubectl get pods -A -o json` needs ~130 KB of
 * memory per pod, ~20 GB at 150,000 pods, and the benchmark shares its machine; a kubectl over the cap dies
 * with "out of memory".
 */
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const gnuTime = "/usr/bin/time";

export function requireGnuTime(): void {
  if (!existsSync(gnuTime)) throw new Error(`${gnuTime} is missing: apt-get install time`);
}

export interface Run {
  seconds: number;
  code: number;
  stdout: string;
  stderr: string;
  /** GNU time's peak RSS, MB: the process's own, or the largest of its reaped children's. */
  peakRssMb: number;
}

/** Runs a command to the end under GNU time; stdout is kept only when asked (else it goes to /dev/null). */
export function timed(
  file: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; keepStdout?: boolean; rssFile: string },
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(gnuTime, ["-q", "-f", "%M", "-o", options.rssFile, file, ...args], {
      env: options.env ?? process.env,
      stdio: ["ignore", options.keepStdout ? "pipe" : "ignore", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on("data", (b: Buffer) => out.push(b));
    child.stderr?.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const kb = Number(readFileSync(options.rssFile, "utf8").trim().split("\n").at(-1));
      rmSync(options.rssFile, { force: true });
      resolve({
        seconds,
        code: code ?? -1,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        peakRssMb: Math.round(kb / 1024),
      });
    });
  });
}

interface KubectlCall {
  /** ms since the epoch */
  start: number;
  end: number;
  peakRssMb: number;
  /** user + system */
  cpuSeconds: number;
  code: number;
  argv: string;
}

/** A kubectl that records each call; `log` is emptied with `reset` between runs. */
export interface KubectlShim {
  path: string;
  /** Every call recorded, once none runs any more (a stopped kubectl proxy records after its plan ends). */
  calls(): Promise<KubectlCall[]>;
  reset(): void;
}

/** Whether any process runs `path` (its command line names it). */
function running(path: string): boolean {
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").includes(path)) return true;
    } catch {
      // Ended meanwhile.
    }
  }
  return false;
}

export function kubectlShim(dir: string, realKubectl: string, addressSpaceGb: number): KubectlShim {
  const path = join(dir, "kubectl");
  const log = join(dir, "kubectl-calls.log");
  // bash's EPOCHREALTIME and $(<file) need no extra process: the shim adds GNU time's fork and little else.
  // A kubectl that runs until stopped (kubectl proxy) is stopped with SIGTERM to the shim's process group:
  // GNU time, in a session of its own, is spared, and only its kubectl is passed the signal, so time still
  // writes what the call cost.
  writeFileSync(
    path,
    `#!/bin/bash
start=$EPOCHREALTIME
rss="${log}.$$"
setsid ${gnuTime} -q -f '%M %U %S' -o "$rss" prlimit --as=${Math.round(addressSpaceGb * 2 ** 30)} -- ${JSON.stringify(realKubectl)} "$@" &
timer=$!
trap 'pkill -TERM -P $timer' TERM
wait $timer
rc=$?
# A trapped signal ends the wait early: wait again, for time to write its record.
if [ $rc -ge 128 ] && kill -0 $timer 2>/dev/null; then
  wait $timer
  rc=$?
fi
end=$EPOCHREALTIME
printf '%s %s %s %s %s\\n' "$start" "$end" "$(<"$rss")" "$rc" "$*" >>${JSON.stringify(log)}
rm -f "$rss"
exit $rc
`,
  );
  chmodSync(path, 0o755);
  writeFileSync(log, "");
  return {
    path,
    reset: () => writeFileSync(log, ""),
    calls: async () => {
      for (let waited = 0; running(path) && waited < 10_000; waited += 20) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return readFileSync(log, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => {
          const [start, end, kb, user, system, code, ...argv] = line.split(" ");
          return {
            start: Number(start) * 1000,
            end: Number(end) * 1000,
            peakRssMb: Math.round(Number(kb) / 1024),
            cpuSeconds: Number(user) + Number(system),
            code: Number(code),
            argv: argv.join(" "),
          };
        });
    },
  };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function spread(xs: readonly number[], digits = 2): string {
  return `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
}

/** The 1-minute load average, to say when the machine was busy. */
export function loadAverage(): number {
  return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
}

const ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

/**
 * CPU seconds the machine's cores have spent running anything since boot (/proc/stat's user, nice, system,
 * irq and softirq; not idle, iowait, or steal, a virtual machine's time taken by its host): the difference
 * over a run, divided by its time, is how many cores it kept busy.
 */
export function machineBusySeconds(): number {
  const ticks = readFileSync("/proc/stat", "utf8")
    .split("\n", 1)[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = ticks;
  return (user + nice + system + irq + softirq) / ticksPerSecond;
}
