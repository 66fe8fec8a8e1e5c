/**
 * The terminal going away under a run (ssh drops, the window closes): writes to a pseudo-terminal whose
 * other end is closed fail with EIO, as writes to a closed pipe fail with EPIPE, and the run stops the same
 * way (a reader that stops reading, in cli.test.ts): nothing new starts, what is in flight is finished and
 * recorded, no stack trace, exit 141. The built CLI writes stdout to a pseudo-terminal that python3 opens
 * and closes (Node.js cannot open one); stderr goes to a file, to be read. The images are written straight
 * into a real registry (no Docker engine); kubectl is the recording fake behind a wrapper that makes one
 * eviction and every Event slow, so the terminal closes while a restart is in flight.
 */
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliPath } from "../support/cli.js";
import { pushCraftedImage } from "../support/crafted-image.js";
import { FakeCluster, fakeBin } from "../support/fake-kubectl.js";
import { makeReplicaSet } from "../support/pods.js";
import { type Registry, startRegistry } from "../support/registry/distribution.js";
import { deploymentPod, makeHome, removeTempDirs } from "../support/registry/harness.js";

const run = promisify(execFile);

/**
 * Runs a command with stdout on a new pseudo-terminal and prints its exit code (negative: the signal that
 * ended it). argv: how, until, hupAfter, stderr file, command…
 *   how: `gone` (the terminal hung up before the command starts), `session` (it is the command's
 *   controlling terminal and its stdin, as in an interactive shell: hanging up sends SIGHUP too) or `other`
 *   (not its controlling terminal: EIO alone);
 *   until: the text the command prints before the terminal hangs up;
 *   hupAfter: seconds after the hang-up to send the command a SIGHUP (negative: none).
 */
const ptyRun = `
import fcntl, os, signal, subprocess, sys, termios, time
how, until, hup_after, stderr_path = sys.argv[1], sys.argv[2].encode(), float(sys.argv[3]), sys.argv[4]
command = sys.argv[5:]
master, slave = os.openpty()
if how == "gone":
    os.close(master)
def controlling_terminal():
    fcntl.ioctl(1, termios.TIOCSCTTY, 0)
with open(stderr_path, "w") as stderr:
    child = subprocess.Popen(command, stdin=slave if how == "session" else subprocess.DEVNULL,
                             stdout=slave, stderr=stderr,
                             start_new_session=True,
                             preexec_fn=controlling_terminal if how == "session" else None)
os.close(slave)
if how != "gone":
    seen = b""
    while until not in seen:
        try:
            seen += os.read(master, 4096)
        except OSError:
            break
    os.close(master)
    if hup_after >= 0:
        time.sleep(hup_after)
        child.send_signal(signal.SIGHUP)
print(child.wait(timeout=120))
`;

let registry: Registry;
let image: string;
let v1: string;

beforeAll(async () => {
  registry = await startRegistry();
  v1 = (await pushCraftedImage(registry.host, "hangup", "main", { content: "hangup v1" })).manifest;
  await pushCraftedImage(registry.host, "hangup", "main", { content: "hangup v2" });
  image = `${registry.host}/hangup:main`;
});

afterAll(async () => {
  removeTempDirs();
  await registry?.stop();
});

/** Three stale pods of a bare ReplicaSet (auto evicts them: the fake serves no Deployment). */
function staleCluster() {
  return new FakeCluster({
    pods: ["aaaaa", "bbbbb", "ccccc"].map((suffix) => deploymentPod(`web-7d9c8b-${suffix}`, image, v1)),
    objects: [makeReplicaSet("web-7d9c8b", null)],
  });
}

async function onTerminal(
  cluster: FakeCluster,
  how: "gone" | "session" | "other",
  args: string[],
  options: { until?: string; hupAfter?: number; env?: NodeJS.ProcessEnv } = {},
) {
  const home = makeHome({ auths: {} });
  const stderrPath = join(cluster.dir, `stderr-${how}.txt`);
  const { stdout } = await run(
    "python3",
    [
      "-c",
      ptyRun,
      how,
      options.until ?? "",
      String(options.hupAfter ?? -1),
      stderrPath,
      process.execPath,
      cliPath,
      ...args,
    ],
    {
      env: {
        ...process.env,
        ...cluster.env(),
        HOME: home.dir,
        DOCKER_CONFIG: home.dockerConfig,
        TMPDIR: home.tmp,
        NO_COLOR: "1",
        ...options.env,
      },
      timeout: 120_000,
    },
  );
  return { code: Number(stdout.trim()), stderr: readFileSync(stderrPath, "utf8") };
}

/** A JavaScript stack trace, or Node.js's report of an uncaught exception. */
const stackTrace = /^\s+at |EIO|Uncaught|throw /m;

describe("the terminal hangs up", () => {
  it("before plan prints: the run ends quietly with 141, as on a closed pipe", async () => {
    const cluster = staleCluster();
    const { code, stderr } = await onTerminal(cluster, "gone", [
      "plan",
      "-o",
      "json",
      "--resolver",
      "registry",
    ]);
    // Quiet: no error line, no stack trace; only the plan's own warnings, which -o json prints on stderr.
    const said = stderr.split("\n").filter((line) => line !== "" && !line.startsWith("Warning: "));
    expect({ code, said }).toEqual({ code: 141, said: [] });
  });

  /**
   * The wrapper: web-7d9c8b-bbbbb's eviction says so on the terminal and takes a second, each Event three.
   * The terminal hangs up once bbbbb's eviction has begun, so it is in flight and its line meets the closed
   * terminal.
   */
  function slowKubectl(cluster: FakeCluster): string {
    const path = join(cluster.dir, "kubectl");
    const script = [
      "#!/bin/sh",
      'case "$*" in',
      "  *pods/web-7d9c8b-bbbbb/eviction*) echo 'evicting web-7d9c8b-bbbbb' > /dev/tty; sleep 1 ;;",
      '  *"create -f - -o name"*) sleep 3 ;;',
      "esac",
      `exec "${fakeBin}/kubectl" "$@"`,
    ];
    writeFileSync(path, `${script.join("\n")}\n`, { mode: 0o755 });
    return path;
  }

  const apply = (cluster: FakeCluster) => [
    "apply",
    "--yes",
    "--no-wait",
    "--resolver",
    "registry",
    "--concurrency",
    "1",
    "--kubectl",
    slowKubectl(cluster),
  ];

  const evictedNames = (cluster: FakeCluster) =>
    ["web-7d9c8b-aaaaa", "web-7d9c8b-bbbbb", "web-7d9c8b-ccccc"].filter(
      (n) => !cluster.podNames().includes(n),
    );
  const recordedNames = (cluster: FakeCluster) =>
    cluster
      .events()
      .map((e) => (e["related"] as { name: string }).name)
      .sort();

  it("mid-apply, its controlling terminal (SIGHUP, then EIO): the restart in flight is recorded, nothing new starts", async () => {
    const cluster = staleCluster();
    const resultFile = join(cluster.dir, "termination-log");
    const { code, stderr } = await onTerminal(cluster, "session", apply(cluster), {
      until: "evicting web-7d9c8b-bbbbb",
      env: { KUBECTL_AUTOUPDATE_RESULT_FILE: resultFile },
    });
    expect(stderr).not.toMatch(stackTrace);
    expect(stderr).toContain("error: interrupted: no further restarts were started\n");
    expect(cluster.podNames()).toEqual(["web-7d9c8b-ccccc"]);
    // Both restarts have their Event, and the run's result its counts.
    expect(recordedNames(cluster)).toEqual(["web-7d9c8b-aaaaa", "web-7d9c8b-bbbbb"]);
    expect(readFileSync(resultFile, "utf8")).toMatch(
      /^2 evicted, 1 not started \(of 3 planned\); .*; error: interrupted/,
    );
    expect(code, stderr).toBe(141);
  });

  it("mid-apply, another terminal (EIO alone): the failed write stops the run; a later SIGHUP is no second signal", async () => {
    const cluster = staleCluster();
    const resultFile = join(cluster.dir, "termination-log");
    // The SIGHUP comes while the Events are still being recorded (as when the shell passes its own on late).
    const { code, stderr } = await onTerminal(cluster, "other", apply(cluster), {
      until: "pod default/web-7d9c8b-aaaaa evicted",
      hupAfter: 2,
      env: { KUBECTL_AUTOUPDATE_RESULT_FILE: resultFile },
    });
    expect(stderr).not.toMatch(stackTrace);
    expect(stderr).toContain("error: interrupted: no further restarts were started\n");
    // The write that fails is bbbbb's line: ccccc's eviction may have started meanwhile, and is
    // then finished.
    const evicted = evictedNames(cluster);
    expect(evicted.slice(0, 2)).toEqual(["web-7d9c8b-aaaaa", "web-7d9c8b-bbbbb"]);
    expect(recordedNames(cluster)).toEqual(evicted);
    expect(readFileSync(resultFile, "utf8")).toMatch(
      new RegExp(`^${evicted.length} evicted(, 1 not started)? \\(of 3 planned\\); .*; error: interrupted`),
    );
    expect(code, stderr).toBe(141);
  });
});
