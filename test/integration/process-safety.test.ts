/**
 * The docker resolver's process hygiene, through the built CLI with a real engine, a real htpasswd
 * registry and a pull secret, and a `docker` shim first on PATH that records every call (argv, the
 * --config directory and its mode, DOCKER_CONFIG), can sleep inside `docker pull`, then runs the real
 * docker. What it checks:
 *  - the pull secret reaches docker only in a private config directory (0700, config.json 0600 or
 *    stricter) under TMPDIR, never in argv;
 *  - that directory is gone after a normal exit, an error, a failed pull, SIGINT and SIGTERM mid-pull, and
 *    a second signal that leaves at once;
 *  - an interrupted plan prints nothing, says so on one line and exits 1 (also with --exit-code);
 *  - an interrupt starts no further pull;
 *  - --concurrency bounds the pulls in flight, and reaches that bound.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { cliPath } from "../support/cli.js";
import { FakeCluster, fakeBin, pullSecret } from "../support/fake-kubectl.js";
import { pushImage, removeLocal } from "../support/images.js";
import { makeReplicaSet } from "../support/pods.js";
import { type Registry, startRegistry } from "../support/registry/distribution.js";
import {
  deploymentPod,
  expectNoSecrets,
  type Home,
  loginConfig,
  makeHome,
  planOf,
  removeTempDirs,
  runPlan,
} from "../support/registry/harness.js";

const owners = [makeReplicaSet("web-7d9c8b", "web")];
const user = { user: "puller", password: "s4fe-Pa55word-91" };
const authForm = Buffer.from(`${user.user}:${user.password}`).toString("base64");
/** The real docker CLI, resolved before the shim shadows it. */
const realDocker = execFileSync("sh", ["-c", "command -v docker"], { encoding: "utf8" }).trim();

let registry: Registry;
const images: string[] = [];
const digests: Record<string, string> = {};
/** A tag that moved after its pods started: they are stale, so apply has something to delete. */
let moving: string;
let movingV1: string;

beforeAll(async () => {
  registry = await startRegistry({ htpasswd: user });
  const login = loginConfig(registry.host, user.user, user.password);
  for (const name of ["app", "one", "two", "three", "four"]) {
    const image = `${registry.host}/safety/${name}:latest`;
    images.push(image);
    digests[image] = await pushImage(image, `safety ${name} v1`, { configDir: login });
  }
  moving = `${registry.host}/safety/moving:latest`;
  movingV1 = await pushImage(moving, "moving v1", { configDir: login });
  await pushImage(moving, "moving v2", { configDir: login });
});
afterAll(async () => {
  removeTempDirs();
  await registry?.stop();
});

/**
 * Deployment pods running `list` at their first digest (current, except `moving`'s, which is stale), all
 * naming the pull secret `regcred`.
 */
function clusterFor(list: string[], faults: Record<string, { stderr?: string; exitCode?: number }> = {}) {
  return new FakeCluster({
    pods: list.map((image, i) =>
      deploymentPod(`web-7d9c8b-pod${i}`, image, image === moving ? movingV1 : digests[image]!, {
        imagePullSecrets: ["regcred"],
      }),
    ),
    objects: owners,
    secrets: [
      pullSecret("regcred", "default", { [registry.host]: { username: user.user, password: user.password } }),
    ],
    faults,
  });
}

interface ShimCall {
  pid: number;
  /** ms since the epoch */
  start: number;
  end: number | null;
  sub: string;
  configDir: string;
  dirMode: string;
  fileMode: string;
  dockerConfigEnv: string;
  argv: string;
}

/**
 * A `docker` first on PATH. Each call appends `START pid ns sub cfg dirmode filemode DOCKER_CONFIG argv`;
 * `docker pull` sleeps $SHIM_PULL_SLEEP seconds first (killing its sleep on SIGTERM/SIGINT, or ignoring
 * them with SHIM_IGNORE_TERM=1, logging `IGNORED pid`) and fails with SHIM_PULL_FAIL=1; every call ends
 * with `END pid ns rc`.
 */
function dockerShim() {
  const dir = mkdtempSync(join(tmpdir(), "kau-docker-shim-"));
  const log = join(dir, "calls.log");
  writeFileSync(log, "");
  writeFileSync(
    join(dir, "docker"),
    `#!/bin/sh
log='${log}'
if [ "$1" = "--config" ]; then cfg=$2; sub=$3; else cfg=-; sub=$1; fi
dirmode=-; filemode=-
if [ "$cfg" != "-" ]; then dirmode=$(stat -c %a "$cfg"); filemode=$(stat -c %a "$cfg/config.json" 2>/dev/null || echo none); fi
echo "START $$ $(date +%s%N) $sub $cfg $dirmode $filemode \${DOCKER_CONFIG:-unset} $*" >> "$log"
if [ "$sub" = pull ] && [ -n "$SHIM_PULL_SLEEP" ]; then
  # Ignored before the sleep starts, so it ignores them too: docker is one process, signalled as a group.
  if [ "$SHIM_IGNORE_TERM" = 1 ]; then trap '' TERM INT; fi
  sleep "$SHIM_PULL_SLEEP" </dev/null >/dev/null 2>&1 &
  sleeper=$!
  echo "SLEEPER $$ $sleeper" >> "$log"
  if [ "$SHIM_IGNORE_TERM" = 1 ]; then
    trap 'echo "IGNORED $$" >> "$log"' TERM INT
    while kill -0 $sleeper 2>/dev/null; do wait $sleeper; done
  else
    trap 'kill $sleeper; echo "KILLED $$" >> "$log"; exit 143' TERM INT
    wait $sleeper
  fi
fi
if [ "$sub" = pull ] && [ "$SHIM_PULL_FAIL" = 1 ]; then
  echo "Error response from daemon: shim refuses to pull" >&2
  echo "END $$ $(date +%s%N) 1" >> "$log"
  exit 1
fi
'${realDocker}' "$@"
rc=$?
echo "END $$ $(date +%s%N) $rc" >> "$log"
exit $rc
`,
    { mode: 0o755 },
  );
  const text = () => readFileSync(log, "utf8");
  const calls = (): ShimCall[] => {
    const lines = text().split("\n");
    const ends = new Map<number, number>();
    for (const line of lines) {
      const m = /^END (\d+) (\d+) /.exec(line);
      if (m) ends.set(Number(m[1]), Number(m[2]) / 1e6);
    }
    return lines
      .map((line) => /^START (\d+) (\d+) (\S+) (\S+) (\S+) (\S+) (\S+) (.*)$/.exec(line))
      .filter((m) => m !== null)
      .map((m) => ({
        pid: Number(m[1]),
        start: Number(m[2]) / 1e6,
        end: ends.get(Number(m[1])) ?? null,
        sub: m[3]!,
        configDir: m[4]!,
        dirMode: m[5]!,
        fileMode: m[6]!,
        dockerConfigEnv: m[7]!,
        argv: m[8]!,
      }));
  };
  const sleepers = () => [...text().matchAll(/^SLEEPER \d+ (\d+)$/gm)].map((m) => Number(m[1]));
  return { dir, log, text, calls, sleepers };
}

type Shim = ReturnType<typeof dockerShim>;

/** The environment runPlan gives the CLI, with the shim first on PATH. */
function shimEnv(shim: Shim, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: `${shim.dir}:${fakeBin}:${process.env["PATH"]}`, ...extra };
}

/** Files and directories left in a TMPDIR. */
const leftovers = (dir: string) => readdirSync(dir);

interface Spawned {
  child: ChildProcess;
  home: Home;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** The environment spawnPlan gives the CLI. */
function planEnv(cluster: FakeCluster, shim: Shim, home: Home, extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NO_COLOR: "1",
    ...cluster.env(),
    ...shimEnv(shim),
    DOCKER_HOST: inject("dockerHost"),
    DOCKER_CONFIG: home.dockerConfig,
    HOME: home.dir,
    TMPDIR: home.tmp,
    ...extra,
  };
}

/** Starts the CLI as runPlan would, but hands back the child so a test can signal it. */
function spawnPlan(cluster: FakeCluster, shim: Shim, args: string[], extra: NodeJS.ProcessEnv = {}): Spawned {
  const home = makeHome({ auths: {} });
  const child = spawn(process.execPath, [cliPath, ...args], {
    env: planEnv(cluster, shim, home, extra),
    stdio: ["ignore", "pipe", "pipe"],
  });
  return { child, home, done: outcome(child) };
}

/** How the child ended, and what it printed. */
function outcome(child: ChildProcess): Spawned["done"] {
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => {
    stdout += d;
  });
  child.stderr!.on("data", (d) => {
    stderr += d;
  });
  return new Promise((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

/** Whether a process still runs: not gone, and no zombie. */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** Waits until `check` holds, polling; fails after `ms`. */
async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A pull is asleep inside the shim, with its private config directory on disk. */
const pullInProgress = (shim: Shim) => () =>
  shim.calls().some((c) => c.sub === "pull" && c.configDir !== "-") && shim.sleepers().length > 0;

/** plan of one image, its pull asleep in the shim: the run, the shim and the pull's private config. */
async function planMidPull(extra: NodeJS.ProcessEnv = {}) {
  const shim = dockerShim();
  const run = spawnPlan(clusterFor([images[0]!]), shim, ["plan"], { SHIM_PULL_SLEEP: "60", ...extra });
  try {
    await until(pullInProgress(shim), "the pull to start");
  } catch (error) {
    run.child.kill("SIGKILL");
    killSleepers(shim);
    throw error;
  }
  return { shim, run, configDir: shim.calls().find((c) => c.sub === "pull")!.configDir };
}

/** Kills any sleep the shim left behind (a shim killed with SIGKILL cannot reap it). */
function killSleepers(shim: Shim): void {
  for (const pid of shim.sleepers()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

describe("the private docker config", () => {
  it("is a 0700 directory under TMPDIR with a 0600 (or stricter) config.json; no secret in any argv; gone after the run", async () => {
    const [image] = images;
    await removeLocal(image!);
    const cluster = clusterFor([image!]);
    const shim = dockerShim();
    const home = makeHome({ auths: {} });
    const run = await runPlan(cluster, ["plan", "-o", "json"], { home, env: shimEnv(shim) });
    expect(planOf(run).pods.map((p) => p.containers[0]!.status)).toEqual(["current"]);

    const pulls = shim.calls().filter((c) => c.sub === "pull");
    // The pod's secret works: one pull, through the private config.
    expect(pulls).toHaveLength(1);
    const [pull] = pulls;
    expect(pull!.argv).toBe(`--config ${pull!.configDir} pull ${image}`);
    expect(dirname(pull!.configDir)).toBe(home.tmp);
    expect(pull!.configDir).toMatch(/\/kubectl-autoupdate-docker-[^/]+$/);
    expect(pull!.configDir).not.toBe(home.dockerConfig);
    expect(pull!.dirMode).toBe("700");
    const fileMode = Number.parseInt(pull!.fileMode, 8);
    expect(Number.isNaN(fileMode), `config.json mode ${pull!.fileMode}`).toBe(false);
    expect(fileMode & 0o077, `config.json mode ${pull!.fileMode}`).toBe(0);
    expect(fileMode & 0o400, "config.json readable by its owner").toBe(0o400);
    // The plugin never sets DOCKER_CONFIG for docker: the user's stays, --config overrides it.
    expect(pull!.dockerConfigEnv).toBe(home.dockerConfig);

    expectNoSecrets(
      {
        dockerArgv: shim
          .calls()
          .map((c) => c.argv)
          .join("\n"),
        kubectlArgv: JSON.stringify(cluster.calls().map((c) => c.argv)),
        stdout: run.stdout,
        stderr: run.stderr,
      },
      [user.password, `${user.user}:${user.password}`],
    );
    expect(shim.text()).not.toContain(authForm);
    expect(existsSync(pull!.configDir)).toBe(false);
    expect(run.leftovers).toEqual([]);
  });
});

describe("the private config is removed on every way out", () => {
  it("after an error: apply refusing without a terminal (exit 1, after the pull)", async () => {
    const cluster = clusterFor([moving]);
    const shim = dockerShim();
    const run = await runPlan(cluster, ["apply"], { env: shimEnv(shim) });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: refusing to restart 1 pods? without confirmation/m);
    expect(shim.calls().filter((c) => c.sub === "pull" && c.configDir !== "-")).toHaveLength(1);
    expect(cluster.podNames()).toHaveLength(1);
    expect(run.leftovers).toEqual([]);
  });

  it("after an error: kubectl failing to delete after the pull (exit 1)", async () => {
    const cluster = clusterFor([moving], {
      "delete --raw": { stderr: "Error from server (InternalError): etcdserver: request timed out\n" },
    });
    const shim = dockerShim();
    const run = await runPlan(cluster, ["apply", "--yes", "--no-wait", "--strategy", "delete"], {
      env: shimEnv(shim),
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      "pod default/web-7d9c8b-pod0 not deleted: Error from server (InternalError)",
    );
    expect(shim.calls().filter((c) => c.sub === "pull" && c.configDir !== "-")).toHaveLength(1);
    expect(run.leftovers).toEqual([]);
  });

  it("after a failed pull (the image unknown, exit 0)", async () => {
    const cluster = clusterFor([images[0]!]);
    const shim = dockerShim();
    const run = await runPlan(cluster, ["plan", "-o", "json", "--no-local-credentials"], {
      env: shimEnv(shim, { SHIM_PULL_FAIL: "1" }),
    });
    const [pod] = planOf(run).pods;
    expect(pod!.containers[0]!.status).toBe("unknown");
    expect(pod!.containers[0]!.reason).toBe(
      "pull failed: shim refuses to pull (with secret default/regcred)",
    );
    const pulls = shim.calls().filter((c) => c.sub === "pull");
    expect(pulls).toHaveLength(1);
    expect(existsSync(pulls[0]!.configDir)).toBe(false);
    expect(run.leftovers).toEqual([]);
  });

  // SIGTERM: exit 1. Ctrl-C: the process dies of SIGINT, as kubectl does, so a shell loop around it stops.
  for (const [signal, ending] of [
    ["SIGINT", { signal: "SIGINT", code: null }],
    ["SIGTERM", { signal: null, code: 1 }],
  ] as const) {
    it(`${signal} mid-pull: ${ending.signal ?? `exit ${ending.code}`}, no plan on stdout, one "error: interrupted" line, the directory gone`, async () => {
      const { shim, run, configDir } = await planMidPull();
      try {
        expect(existsSync(configDir)).toBe(true);
        run.child.kill(signal);
        const result = await run.done;
        expect({ signal: result.signal, code: result.code }, result.stderr).toEqual(ending);
        expect(result.stdout).toBe("");
        expect(result.stderr.split("\n").filter(Boolean)).toEqual([
          expect.stringMatching(/^error: interrupted/),
        ]);
        // The pull was stopped, not waited for: the shim saw the signal.
        expect(shim.text()).toMatch(/^KILLED \d+$/m);
        expect(existsSync(configDir)).toBe(false);
        expect(leftovers(run.home.tmp)).toEqual([]);
      } finally {
        run.child.kill("SIGKILL");
        killSleepers(shim);
      }
    });
  }

  it("Ctrl-\\ (SIGQUIT) mid-pull quits at once, as kubectl does, but not before the directory is gone and the pull stopped", async () => {
    const { shim, run, configDir } = await planMidPull();
    try {
      const pull = shim.sleepers();
      run.child.kill("SIGQUIT");
      const result = await run.done;
      expect({ signal: result.signal, code: result.code }, result.stderr).toEqual({
        signal: "SIGQUIT",
        code: null,
      });
      expect(existsSync(configDir)).toBe(false);
      expect(leftovers(run.home.tmp)).toEqual([]);
      await until(() => !pull.some(running), "the pull to be stopped", 5000);
    } finally {
      run.child.kill("SIGKILL");
      killSleepers(shim);
    }
  });

  for (const [signal, ending] of [
    ["SIGINT", { signal: "SIGINT", code: null }],
    ["SIGTERM", { signal: null, code: 143 }],
  ] as const) {
    it(`a second ${signal} while docker ignores the first leaves at once (${ending.signal ?? ending.code}), the directory gone`, async () => {
      const { shim, run, configDir } = await planMidPull({ SHIM_PULL_SLEEP: "20", SHIM_IGNORE_TERM: "1" });
      try {
        run.child.kill(signal);
        // docker ignores the SIGTERM it is sent and would be killed only after 2 s: the second signal
        // comes first.
        await until(() => /^IGNORED \d+$/m.test(shim.text()), "docker to ignore the first signal");
        expect(run.child.exitCode).toBeNull();
        run.child.kill(signal);
        const result = await run.done;
        expect({ signal: result.signal, code: result.code }, result.stderr).toEqual(ending);
        expect(result.stdout).toBe("");
        expect(existsSync(configDir)).toBe(false);
        expect(leftovers(run.home.tmp)).toEqual([]);
      } finally {
        run.child.kill("SIGKILL");
        killSleepers(shim);
      }
    });
  }
});

describe("interrupts", () => {
  it("plan --exit-code interrupted by SIGTERM exits 1: a CI gate must neither pass (0) nor read it as stale (2)", async () => {
    const cluster = clusterFor([images[0]!]);
    const shim = dockerShim();
    const run = spawnPlan(cluster, shim, ["plan", "--exit-code"], { SHIM_PULL_SLEEP: "60" });
    try {
      await until(pullInProgress(shim), "the pull to start");
      run.child.kill("SIGTERM");
      const result = await run.done;
      expect(result.code, result.stderr).toBe(1);
      expect(result.stdout).toBe("");
      expect(leftovers(run.home.tmp)).toEqual([]);
    } finally {
      run.child.kill("SIGKILL");
      killSleepers(shim);
    }
  });

  it("apply stopped by SIGTERM keeps, as its result, the error line stderr ends with", async () => {
    const cluster = clusterFor([images[0]!]);
    const shim = dockerShim();
    const resultFile = join(cluster.dir, "termination-log");
    const run = spawnPlan(cluster, shim, ["apply", "--yes"], {
      SHIM_PULL_SLEEP: "60",
      KUBECTL_AUTOUPDATE_RESULT_FILE: resultFile,
    });
    try {
      await until(pullInProgress(shim), "the pull to start");
      run.child.kill("SIGTERM");
      const result = await run.done;
      expect(result.code, result.stderr).toBe(1);
      const last = result.stderr.trimEnd().split("\n").at(-1)!;
      expect(last).toMatch(/^error: interrupted/);
      expect(readFileSync(resultFile, "utf8")).toBe(`${last}\n`);
    } finally {
      run.child.kill("SIGKILL");
      killSleepers(shim);
    }
  });

  // "First signal: stop starting new work" (bin.ts): no pull with the next credential (your docker config)
  // nor of the next image: each would be a `docker pull` started only to be killed.
  it("an interrupt starts no further pull: neither another credential for the same image nor the next image", async () => {
    const cluster = clusterFor(images.slice(0, 3));
    const shim = dockerShim();
    // -v logs every exec before it starts: a pull killed at once never reaches the shim's log, but
    // shows here.
    const run = spawnPlan(cluster, shim, ["plan", "--concurrency", "1", "-v"], { SHIM_PULL_SLEEP: "60" });
    try {
      await until(pullInProgress(shim), "the first pull to start");
      run.child.kill("SIGINT");
      const result = await run.done;
      expect(result.signal, result.stderr).toBe("SIGINT");
      const pulls = result.stderr
        .split("\n")
        .filter((l) => /^exec: \S*docker .*\bpull\b/.test(l))
        .map((l) => l.replace(/--config \S+ /, "--config <private> "));
      expect(pulls).toEqual([`exec: docker --config <private> pull ${images[0]}`]);
    } finally {
      run.child.kill("SIGKILL");
      killSleepers(shim);
    }
  });
  it("a second Ctrl-C, which ends the run by SIGINT at once, still stops the process groups of its calls", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kau-second-sigint-"));
    const started = join(dir, "started");
    // Without a terminal each kubectl runs in a process group of its own (adapters/exec.ts). This one's pod
    // list hangs in a child it waits for, through a SIGTERM too: as a write meant to outlive a first Ctrl-C.
    const kubectl = join(dir, "kubectl");
    const list = `trap : TERM; sleep 120 & echo $! > ${started}; while kill -0 $! 2>/dev/null; do wait; done`;
    writeFileSync(
      kubectl,
      `#!/bin/sh\ncase "$*" in *pods*) ${list} ;; esac\necho '{"kind":"List","items":[]}'\n`,
      {
        mode: 0o755,
      },
    );
    const child = spawn(process.execPath, [cliPath, "plan", "-n", "shop", "--kubectl", kubectl], {
      env: { ...process.env, NO_COLOR: "1", TMPDIR: dir },
      stdio: ["ignore", "pipe", "pipe"],
      // A session of its own: no controlling terminal, as in a CronJob or CI.
      detached: true,
    });
    const ended = outcome(child);
    let sleeper = 0;
    try {
      await until(
        () => existsSync(started) && readFileSync(started, "utf8").trim() !== "",
        "the list to start",
      );
      sleeper = Number(readFileSync(started, "utf8").trim());
      child.kill("SIGINT");
      await new Promise((r) => setTimeout(r, 300));
      child.kill("SIGINT");
      const result = await ended;
      expect(result.signal, result.stderr).toBe("SIGINT");
      await until(() => !running(sleeper), "the list's kubectl and its child to be stopped", 5000);
    } finally {
      if (sleeper > 0 && running(sleeper)) process.kill(sleeper, "SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("Ctrl-C in a shell loop around plan stops the loop, as it stops a loop of kubectl commands", async () => {
    const cluster = clusterFor([images[0]!]);
    const shim = dockerShim();
    const home = makeHome({ auths: {} });
    // bash goes on to a loop's next command unless its child died of the SIGINT (wait and cooperative exit).
    const loop = 'for run in one two; do "$0" "$1" plan; echo "after $run"; done';
    const bash = spawn("bash", ["-c", loop, process.execPath, cliPath], {
      env: planEnv(cluster, shim, home, { SHIM_PULL_SLEEP: "60" }),
      stdio: ["ignore", "pipe", "pipe"],
      // A terminal's foreground job: its Ctrl-C sends SIGINT to the whole process group.
      detached: true,
    });
    const ended = outcome(bash);
    try {
      await until(pullInProgress(shim), "the pull to start");
      process.kill(-bash.pid!, "SIGINT");
      const result = await ended;
      expect(result.stderr).toContain("error: interrupted");
      expect({ stdout: result.stdout, signal: result.signal }).toEqual({ stdout: "", signal: "SIGINT" });
      expect(shim.calls().filter((c) => c.sub === "pull")).toHaveLength(1);
    } finally {
      try {
        process.kill(-bash.pid!, "SIGKILL");
      } catch {
        // already gone
      }
      killSleepers(shim);
    }
  });

  it("Ctrl-C at apply's question, in a script's loop on a terminal, stops the loop too", async () => {
    const cluster = clusterFor([moving]);
    const shim = dockerShim();
    const home = makeHome({ auths: {} });
    const dir = mkdtempSync(join(tmpdir(), "kau-question-loop-"));
    // A script (no job control: its shell shares the process group) run on a terminal (script(1) gives it
    // one). The line editor reads the Ctrl-C as a key, so nobody got a SIGINT unless the plugin sends it.
    const loop = join(dir, "loop.sh");
    writeFileSync(
      loop,
      `for run in one two; do "${process.execPath}" "${cliPath}" apply; echo "after $run"; done\n`,
    );
    const exports = Object.entries(planEnv(cluster, shim, home, {}))
      .filter(([name]) => /^[A-Z_][A-Z0-9_]*$/.test(name))
      .map(([name, value]) => `export ${name}='${String(value).replaceAll("'", "'\\''")}'`);
    const wrapper = join(dir, "run.sh");
    writeFileSync(wrapper, `${exports.join("\n")}\nexec bash ${loop}\n`, { mode: 0o755 });
    const child = spawn("script", ["-qec", `sh ${wrapper}`, "/dev/null"]);
    let out = "";
    let questions = 0;
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const asked = out.split("[y/N]").length - 1;
      if (asked > questions) {
        questions = asked;
        child.stdin.write("\x03");
      }
    });
    const code = await new Promise<number | null>((done) => child.on("exit", (c) => done(c)));
    try {
      expect(out).toContain("error: interrupted at the question: nothing restarted");
      expect({ questions, afterOne: out.includes("after one"), code }).toEqual({
        questions: 1,
        afterOne: false,
        code: 130,
      });
      expect(cluster.podNames()).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("--concurrency", () => {
  /** The most pulls in flight at one time, from the shim's start and end times. */
  function maxOverlap(calls: ShimCall[]): number {
    const events = calls.flatMap((c) => [
      [c.start, 1],
      [c.end!, -1],
    ]) as [number, number][];
    // An end and a start at the same instant: count the end first.
    events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let now = 0;
    let max = 0;
    for (const [, delta] of events) {
      now += delta;
      max = Math.max(max, now);
    }
    return max;
  }

  it("--concurrency 2 with 5 images: never more than 2 pulls at once, and 2 at once at some point", async () => {
    const cluster = clusterFor(images);
    const shim = dockerShim();
    const run = await runPlan(cluster, ["plan", "-o", "json", "--concurrency", "2"], {
      env: shimEnv(shim, { SHIM_PULL_SLEEP: "1" }),
    });
    expect(planOf(run).pods.map((p) => p.containers[0]!.status)).toEqual(images.map(() => "current"));
    const pulls = shim.calls().filter((c) => c.sub === "pull");
    expect(pulls.map((c) => c.argv.split(" ").at(-1)).sort()).toEqual([...images].sort());
    expect(pulls.every((c) => c.end !== null)).toBe(true);
    expect(maxOverlap(pulls)).toBe(2);
    // The same with --concurrency 1: strictly one after another.
    const serial = dockerShim();
    const one = await runPlan(cluster, ["plan", "-o", "json", "--concurrency", "1"], {
      env: shimEnv(serial, { SHIM_PULL_SLEEP: "0.5" }),
    });
    expect(one.code, one.stderr).toBe(0);
    expect(maxOverlap(serial.calls().filter((c) => c.sub === "pull"))).toBe(1);
  });
});
