/**
 * The test/testbed scripts, run from TypeScript: the e2e globalSetup (test/support/testbed.setup.ts) and
 * the e2e files that start a real node.
 *
 *   const tb = await launchTestbed("kau-e2e-testbed-");  // build.sh (≤ 60 min), then start.sh (≤ 10 min)
 *   …tb.kubeconfig, tb.bin…
 *   await tb.stop();                                     // stop.sh; rejects if something survived
 *
 *   const node = await launchRealNode(tb, { name: "n1" }); // node-start.sh: kubelet + containerd (root only)
 *   await node.stop();                                   // node-stop.sh; rejects if anything of it survived
 *
 * Each script runs in its own process group. A timeout kills the whole group (SIGTERM, SIGKILL 10 s later),
 * so no `go` compiler outlives a timed-out build and keeps the build lock; so does this process's exit.
 * build.sh's progress (a heartbeat every 30 s during a cold build) reaches our stderr as it comes.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const scripts = import.meta.dirname;
const minute = 60_000;

/** Process groups of scripts still running: killed if this process exits first. */
const running = new Set<number>();
process.on("exit", () => {
  for (const pid of running) killGroup(pid, "SIGKILL");
});

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
}

interface ScriptOptions {
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  /** Copy the script's stderr (its progress lines) to ours as it arrives, not only on failure. */
  live?: boolean;
}

/**
 * Runs test/testbed/NAME ARGS in a new process group; resolves to its stdout, rejects with its stderr's tail.
 */
function runScript(name: string, args: string[], options: ScriptOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(scripts, name), args, {
      detached: true,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const pid = child.pid;
    let stdout = "";
    let stderr = "";
    let failure: string | undefined;
    let escalate: NodeJS.Timeout | undefined;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-16_000);
      if (options.live) process.stderr.write(chunk);
    });
    if (pid !== undefined) running.add(pid);
    const timer = setTimeout(() => {
      failure = `timed out after ${Math.round(options.timeoutMs / 1000)} s; its process group was killed`;
      if (pid === undefined) return;
      killGroup(pid, "SIGTERM");
      escalate = setTimeout(() => killGroup(pid, "SIGKILL"), 10_000);
    }, options.timeoutMs);
    child.on("error", (error) => {
      failure ??= error.message;
      if (pid !== undefined) killGroup(pid, "SIGKILL");
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      clearTimeout(escalate);
      if (pid !== undefined) {
        running.delete(pid);
        // Whatever the script left in its group (e.g. compilers of a killed go build) goes with it.
        if (failure !== undefined || code !== 0) killGroup(pid, "SIGKILL");
      }
      if (failure === undefined && code === 0) resolve(stdout);
      else {
        const why = failure ?? `exited ${code ?? signal}`;
        reject(new Error(`test/testbed/${name} ${args.join(" ")}: ${why}\n${stderr.slice(-4000)}`));
      }
    });
  });
}

export interface RunningTestbed {
  dir: string;
  /** The admin (system:masters) kubeconfig, context "testbed", namespace default. */
  kubeconfig: string;
  /** Directory of kubectl, kube-apiserver… */
  bin: string;
  apiserver: string;
  ca: string;
  /** stop.sh DIR: stops the control plane and removes DIR; rejects when a process or DIR survives. */
  stop(): Promise<void>;
}

/** build.sh: the bin directory, built if the cache lacks it (cold: 5–25 min on 2 cores, progress live). */
export async function buildTestbed(): Promise<string> {
  const out = await runScript("build.sh", [], { timeoutMs: 60 * minute, live: true });
  return out.trim().split("\n").pop()!;
}

/**
 * Builds (or reuses) the binaries, then starts a control plane in a new temporary directory named PREFIX….
 * start.sh's watchdog stops it when this process dies without calling stop().
 */
export async function launchTestbed(prefix: string): Promise<RunningTestbed> {
  const bin = await buildTestbed();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const stop = async () => {
    await runScript("stop.sh", [dir], { timeoutMs: 2 * minute });
  };
  try {
    await runScript("start.sh", [dir], {
      timeoutMs: 10 * minute,
      env: { TESTBED_BIN: bin, TESTBED_WATCH_PID: String(process.pid), TESTBED_START_TIMEOUT: "180" },
    });
  } catch (error) {
    await stop().catch((stopError: Error) => console.error(stopError.message));
    throw error;
  }
  const env = readEnv(join(dir, "env"));
  return {
    dir,
    kubeconfig: env["KUBECONFIG"]!,
    bin: env["TESTBED_BIN"]!,
    apiserver: env["TESTBED_APISERVER"]!,
    ca: env["TESTBED_CA"]!,
    stop,
  };
}

export interface RealNode {
  /** The Node's name. */
  name: string;
  dir: string;
  /** The node's InternalIP (on a bridge of its own). */
  ip: string;
  /**
   * containerd, ctr, crictl, sleeper, sleeper-layer.tar (the layer of runnable test images;
   * see node-images.ts).
   */
  bin: string;
  /** `crictl --config` for diagnosis. */
  crictlConfig: string;
  /**
   * node-stop.sh DIR: stops it, undoes its changes to the host, deletes the Node; rejects when
   * something survives.
   */
  stop(): Promise<void>;
}

/**
 * build-node.sh: containerd, crictl and the pause image, built if the cache lacks them (cold: a few minutes).
 */
async function buildNode(): Promise<string> {
  const out = await runScript("build-node.sh", [], { timeoutMs: 60 * minute, live: true });
  return out.trim().split("\n").pop()!;
}

/**
 * A real node (kubelet + containerd) joined to a running test bed, in a new temporary directory; resolves
 * once the Node is Ready and untainted. Needs root, and one real node per machine at a time (node-start.sh
 * refuses a second). node-start.sh's watchdog stops it when this process dies without calling stop().
 */
export async function launchRealNode(
  testbed: Pick<RunningTestbed, "dir">,
  options: { name?: string } = {},
): Promise<RealNode> {
  const bin = await buildNode();
  const dir = mkdtempSync(join(tmpdir(), "kau-real-node-"));
  const name = options.name ?? "testbed-node";
  const stop = async () => {
    await runScript("node-stop.sh", [dir], { timeoutMs: 3 * minute });
  };
  try {
    await runScript("node-start.sh", [testbed.dir, dir], {
      timeoutMs: 5 * minute,
      env: {
        TESTBED_NODE_BIN: bin,
        TESTBED_NODE_NAME: name,
        TESTBED_WATCH_PID: String(process.pid),
        TESTBED_NODE_START_TIMEOUT: "180",
      },
    });
  } catch (error) {
    await stop().catch((stopError: Error) => console.error(stopError.message));
    throw error;
  }
  const env = readEnv(join(dir, "env"));
  return {
    name: env["TESTBED_NODE_NAME"]!,
    dir,
    ip: env["TESTBED_NODE_IP"]!,
    bin: env["TESTBED_NODE_BIN"]!,
    crictlConfig: env["TESTBED_NODE_CRICTL_CONFIG"]!,
    stop,
  };
}

/** KEY=value lines as start.sh and node-start.sh write them (values %q-quoted only when they must be). */
function readEnv(path: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(path, "utf8")
      .split("\n")
      .filter((line) => line.includes("="))
      .map((line) => [
        line.slice(0, line.indexOf("=")),
        line.slice(line.indexOf("=") + 1).replace(/^'(.*)'$/, "$1"),
      ]),
  );
}
