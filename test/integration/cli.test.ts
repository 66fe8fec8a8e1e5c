/**
 * The built CLI where no cluster can answer: usage errors (kubectl is never called), and faults a real API
 * server can't produce: kubectl missing, printing garbage, dying mid-apply. Images live in a real registry;
 * kubectl is the recording fake (test/bin/kubectl). What a real control plane can answer is in test/e2e:
 * kubectl's refusals (one line, --verbose, a refusal while gathering, a refused deletion among others) in
 * plugin.test.ts; output forms, --exit-code, docker trouble, apply -o json, Ctrl-C and the prompt on a
 * terminal in cli.test.ts; apply's waits and timeout in workloads.test.ts and safety.test.ts; the docker
 * resolver's flow in docker-resolver.test.ts.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { cliPath, repoRoot, runCli } from "../support/cli.js";
import { FakeCluster, type FakeState, fakeBin } from "../support/fake-kubectl.js";
import { pushImage } from "../support/images.js";
import { makePod, makeReplicaSet } from "../support/pods.js";
import { type Registry, startRegistry } from "../support/registry/distribution.js";

let registry: Registry;
let image: string;
let v1: string;

beforeAll(async () => {
  registry = await startRegistry();
  image = `${registry.host}/web:latest`;
  v1 = await pushImage(image, "cli v1");
  // The tag moves: every pod of staleCluster() runs v1 and is stale.
  await pushImage(image, "cli v2");
});
afterAll(() => registry?.stop());

/** Three stale replicas of one Deployment and one stale bare pod, after `before`. */
function staleCluster(faults: FakeState["faults"] = {}, before: unknown[] = []) {
  const replica = (suffix: string) =>
    makePod({
      name: `web-7d9c8b-${suffix}`,
      owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
      labels: { app: "web", "pod-template-hash": "7d9c8b" },
      containers: [{ name: "app", image, runningDigest: v1 }],
    });
  return new FakeCluster({
    pods: [
      ...before,
      replica("aaaaa"),
      replica("bbbbb"),
      replica("ccccc"),
      makePod({ name: "debug", owner: null, containers: [{ name: "sh", image, runningDigest: v1 }] }),
    ],
    objects: [makeReplicaSet("web-7d9c8b", "web")],
    faults,
  });
}

const run = (cluster: FakeCluster, args: string[], env: NodeJS.ProcessEnv = {}) =>
  runCli(args, cluster.env({ DOCKER_HOST: inject("dockerHost"), ...env }));

describe("usage", () => {
  it("--version prints the package's version on stdout", async () => {
    const { version } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
      version: string;
    };
    const result = await run(staleCluster(), ["--version"]);
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: "" });
  });

  it.each([
    [["plan", "--bogus"], "error: unknown flag: --bogus"],
    [["plan", "-o", "xml"], 'error: unable to match a printer suitable for the output format "xml"'],
    [["apply", "--strategy", "recreate"], 'error: invalid value "recreate" for --strategy'],
    [["plan", "--concurrency", "0"], 'error: invalid value "0" for --concurrency'],
    [["plan", "--pull-timeout", "soon"], 'error: invalid value "soon" for --pull-timeout'],
    [["apply", "--wait-timeout", "x"], 'error: invalid value "x" for --wait-timeout'],
    [["apply", "--wait-timeout", "0s"], "error: --wait-timeout must be longer than 0 (or use --no-wait)"],
    [["frobnicate"], "error: unknown command 'frobnicate'"],
  ])(
    "%j is a usage error in one line (and the parser's, where the usage is), exit 1",
    async (args, message) => {
      const cluster = staleCluster();
      const result = await run(cluster, args);
      expect(result.code).toBe(1);
      const [first, ...rest] = result.stderr.trim().split("\n");
      expect(first).toContain(message);
      // The option parser's errors, as kubectl's: the verb's help (or the program's) is named after them.
      const parsers = message.includes("unknown flag") || message.includes("unknown command");
      const usage =
        args[0] === "frobnicate"
          ? "Run 'kubectl autoupdate --help'"
          : `See 'kubectl autoupdate ${args[0]} --help'`;
      expect(rest).toEqual(parsers ? [`${usage} for usage.`] : []);
      expect(cluster.calls()).toEqual([]);
    },
  );
});

describe("a reader that stops reading", () => {
  /** The run's exit code and stderr when its stdout's reader has gone before it writes. */
  async function withStdoutGone(args: string[], env: NodeJS.ProcessEnv = process.env) {
    const child = spawn(process.execPath, [cliPath, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const [code] = (await once(child, "close")) as [number];
    return { code, stderr };
  }

  it("ends the run quietly with 141, as SIGPIPE ends kubectl (`plan | head`)", async () => {
    const env = { ...process.env, ...staleCluster().env(), NO_COLOR: "1" };
    expect(await withStdoutGone(["plan", "-o", "json", "--resolver", "registry"], env)).toEqual({
      code: 141,
      stderr: "",
    });
  });

  it.each([["--version"], ["--help"], ["plan", "--help"]])(
    "%s, written all at once at the end, ends with 141 too",
    async (...args) => {
      expect(await withStdoutGone(args)).toEqual({ code: 141, stderr: "" });
    },
  );

  it("stderr's reader gone (`2> >(head -1)`) ends the run the same way, not with a crash", async () => {
    const cluster = staleCluster();
    // -v writes every call on stderr, so the closed pipe is met at once.
    const child = spawn(process.execPath, [cliPath, "plan", "-v", "--resolver", "registry"], {
      env: { ...process.env, ...cluster.env(), NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stderr.destroy();
    child.stdout.resume();
    const [code] = (await once(child, "close")) as [number];
    expect(code).toBe(141);
  });

  it("a closed pipe as Node.js on Windows reports it (EOF) ends the run quietly with 141 too", async () => {
    const child = spawn(
      process.execPath,
      ["--import", join(repoRoot, "test/support/failing-stdout.mjs"), cliPath, "--version"],
      {
        env: { ...process.env, FAILING_STDOUT_CODE: "EOF" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const [code] = (await once(child, "close")) as [number];
    expect({ code, stderr }).toEqual({ code: 141, stderr: "" });
  });

  it("a write that fails with a reader still there (a full disk) is an error, exit 1, not a quiet 141", async () => {
    const full = openSync("/dev/full", "w");
    const env = { ...process.env, ...staleCluster().env(), NO_COLOR: "1" };
    const child = spawn(process.execPath, [cliPath, "plan", "-o", "json", "--resolver", "registry"], {
      env,
      stdio: ["ignore", full, "pipe"],
    });
    closeSync(full);
    let stderr = "";
    child.stderr!.on("data", (chunk) => {
      stderr += chunk;
    });
    const [code] = (await once(child, "close")) as [number];
    expect({ code, stderr }).toEqual({
      code: 1,
      stderr: "error: cannot write to stdout: no space left on device\n",
    });
  });
});

describe("errors name their cause on one line", () => {
  it("a missing kubectl says how to fix it", async () => {
    const result = await run(staleCluster(), ["plan", "--kubectl", "/nonexistent/kubectl"]);
    expect(result).toMatchObject({
      code: 1,
      stderr: "error: /nonexistent/kubectl: not found; install it or point --kubectl (or KUBECTL) at it\n",
    });
  });

  it("what the cluster says reaches the terminal escaped, --verbose's stack and kubectl's output too", async () => {
    const refusal =
      'Error from server (Forbidden): admission webhook "x" denied: \u001b]0;pwned\u0007\u001b[2Ahidden\n';
    const cluster = staleCluster({ "get --raw": { stderr: refusal } });
    const result = await run(cluster, ["plan", "-v"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .*denied: \^\[\]0;pwned\^G\^\[\[2Ahidden$/m);
    expect(result.stderr).toMatch(/^\s+at /m);
    expect(result.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });

  it("malformed kubectl output says so", async () => {
    const cluster = staleCluster({ "get pods": { stdout: "<html>proxy error</html>", exitCode: 0 } });
    expect(await run(cluster, ["plan"])).toMatchObject({
      code: 1,
      stderr: "error: kubectl get pods printed malformed JSON\n",
    });
  });
});

describe("kubectl dying mid-apply", () => {
  it("an eviction whose kubectl is killed is reported; the others go on; exit 1", async () => {
    const cluster = staleCluster();
    // kubectl killed (SIGKILL, as the OOM killer does) while evicting one pod, with nothing on stderr.
    // (No Deployment object in the fake: auto evicts.)
    const dying = join(cluster.dir, "kubectl");
    writeFileSync(
      dying,
      `#!/bin/sh\ncase "$*" in *pods/web-7d9c8b-bbbbb*) kill -KILL $$ ;; esac\nexec "${fakeBin}/kubectl" "$@"\n`,
      { mode: 0o755 },
    );
    const result = await run(cluster, ["apply", "--yes", "--no-wait", "--kubectl", dying]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("pod default/web-7d9c8b-aaaaa evicted");
    // Killed with no word, it may or may not have sent the eviction: the reason does not say it did not.
    expect(result.stdout).toContain(
      "pod default/web-7d9c8b-bbbbb not evicted: kubectl was killed by SIGKILL before it answered: the eviction may have reached the server\n",
    );
    expect(result.stdout).toContain("pod default/web-7d9c8b-ccccc evicted");
    expect(result.stdout).toContain("2 evicted, 1 failed (of 3 planned)");
    expect(result.stderr).toContain("error: some planned pods were not restarted");
    expect(cluster.podNames()).toEqual(["web-7d9c8b-bbbbb", "debug"]);
  });
});

describe("the cluster lost mid-apply", () => {
  it("nothing new starts; what was done is reported and recorded; the run ends with the connection's error", async () => {
    const timedOut = readFileSync(
      join(repoRoot, "test", "fixtures", "kubectl-failures", "timeout.stderr"),
      "utf8",
    );
    const db = makePod({
      name: "db-0",
      owner: { kind: "StatefulSet", name: "db" },
      containers: [{ name: "app", image, runningDigest: v1 }],
    });
    // db-0 first (no StatefulSet object: evicted without a wait); then reading web's ReplicaSet times out.
    const cluster = staleCluster({ "replicasets.apps web-7d9c8b": { stderr: timedOut } }, [db]);
    const resultFile = join(cluster.dir, "termination-log");
    const result = await run(cluster, ["apply", "--yes", "--concurrency", "1", "--summary-json"], {
      KUBECTL_AUTOUPDATE_RESULT_FILE: resultFile,
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("pod default/db-0 evicted\n");
    expect(result.stdout).toContain(
      "pod default/web-7d9c8b-ccccc not evicted: stopped on losing access to the cluster\n",
    );
    expect(result.stdout).toContain("1 evicted, 3 not started (of 4 planned)\n");
    const summary = JSON.parse(result.stdout.trimEnd().split("\n").at(-1)!);
    expect(summary).toMatchObject({ kind: "RunSummary", evicted: 1, failed: 3 });
    expect(result.stderr.trimEnd().split("\n").at(-1)).toMatch(
      /^error: cannot reach the cluster\b.* did not answer in time; /,
    );
    expect(cluster.podNames()).toEqual(["web-7d9c8b-aaaaa", "web-7d9c8b-bbbbb", "web-7d9c8b-ccccc", "debug"]);
    // db-0's restart has its Event, and the run's result its counts.
    expect(cluster.events().map((e) => (e["related"] as { name: string }).name)).toEqual(["db-0"]);
    expect(readFileSync(resultFile, "utf8")).toMatch(
      /^1 evicted, 3 not started \(of 4 planned\); 5 stale .*; error: cannot reach the cluster\b/,
    );
  });
});

describe("apply as the CronJob's Job (install-cron's downward API variables set)", () => {
  /** A Job of the CronJob `kubectl-autoupdate`, made at `created`, still running (or suspended). */
  const job = (name: string, created: string, suspend = false) => ({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name,
      namespace: "tools",
      creationTimestamp: created,
      ownerReferences: [
        {
          apiVersion: "batch/v1",
          kind: "CronJob",
          name: "kubectl-autoupdate",
          uid: "cron-uid",
          controller: true,
        },
      ],
    },
    spec: { suspend },
    status: { active: 1, ready: 1 },
  });
  const jobsWith = (earlier: object) =>
    JSON.stringify({
      kind: "List",
      items: [earlier, job("kubectl-autoupdate-manual-x7k2p", "2026-11-25T13:11:05Z")],
    });
  const jobs = jobsWith(job("kubectl-autoupdate-29926870", "2026-11-25T13:10:00Z"));
  const asJob = (name: string) => ({
    KUBECTL_AUTOUPDATE_JOB: name,
    KUBECTL_AUTOUPDATE_JOB_NAMESPACE: "tools",
  });
  const itsJobs = [
    "get",
    "jobs.batch",
    "--namespace=tools",
    "--selector=app.kubernetes.io/managed-by=kubectl-autoupdate",
  ];
  const later = asJob("kubectl-autoupdate-manual-x7k2p");
  /** The Event the run created, parsed. */
  const eventOf = (cluster: FakeCluster) =>
    JSON.parse(cluster.writes().find((c) => c.argv.includes("create"))!.stdin);

  it("a later run gives way to an earlier one still running: one line, an Event on the CronJob, no plan, exit 0", async () => {
    const cluster = staleCluster().on(itsJobs, { stdout: jobs });
    const resultFile = join(cluster.dir, "termination-log");
    const result = await run(cluster, ["apply", "--yes", "--no-wait", "--summary-json"], {
      ...later,
      KUBECTL_AUTOUPDATE_RESULT_FILE: resultFile,
    });
    expect(result.code, result.stderr).toBe(0);
    const line =
      "job kubectl-autoupdate-29926870 of cronjob/kubectl-autoupdate is still running: this run restarts nothing (one run at a time)";
    expect(result.stderr).toBe(`${line}\n`);
    // In place of the RunSummary: nothing was checked, so no counts.
    expect(JSON.parse(result.stdout)).toEqual({
      kind: "RunSkipped",
      cronJob: "kubectl-autoupdate",
      gaveWayTo: { job: "kubectl-autoupdate-29926870", state: "Running" },
    });
    expect(cluster.calls().map((c) => c.argv.slice(0, 2).join(" "))).toEqual(["get jobs.batch", "create -f"]);
    expect(eventOf(cluster)).toMatchObject({
      apiVersion: "events.k8s.io/v1",
      metadata: { namespace: "tools" },
      type: "Normal",
      reason: "RunSkipped",
      action: "Skip",
      reportingController: "kubectl-autoupdate",
      regarding: { apiVersion: "batch/v1", kind: "CronJob", name: "kubectl-autoupdate", uid: "cron-uid" },
      related: { apiVersion: "batch/v1", kind: "Job", name: "kubectl-autoupdate-29926870" },
      note: line,
    });
    expect(cluster.podNames()).toHaveLength(4);
    // What cron-status shows for this run.
    expect(readFileSync(resultFile, "utf8")).toBe(
      "gave way: job kubectl-autoupdate-29926870 is still running\n",
    );
  });

  it("an earlier Job suspended holds every run back: exit 1, a Warning Event, nothing restarted", async () => {
    const suspended = jobsWith(job("kubectl-autoupdate-29926870", "2026-11-25T13:10:00Z", true));
    const cluster = staleCluster().on(itsJobs, { stdout: suspended });
    const resultFile = join(cluster.dir, "termination-log");
    const env = { ...later, KUBECTL_AUTOUPDATE_RESULT_FILE: resultFile };
    const result = await run(cluster, ["apply", "--yes", "--no-wait"], env);
    expect(result.code).toBe(1);
    // What cron-status shows for this run: the error, as the log ends.
    expect(readFileSync(resultFile, "utf8")).toBe(result.stderr);
    expect(result.stderr).toBe(
      "error: job kubectl-autoupdate-29926870 of cronjob/kubectl-autoupdate is suspended, not finished: no run restarts anything until it is resumed or deleted (kubectl delete job kubectl-autoupdate-29926870 -n tools)\n",
    );
    expect(eventOf(cluster)).toMatchObject({ type: "Warning", reason: "RunSkipped" });
    expect(cluster.podNames()).toHaveLength(4);
  });

  it("the Jobs cannot be read: nothing restarted, exit 1, saying why", async () => {
    const cluster = staleCluster().on(itsJobs, {
      stderr: "Error from server (InternalError): etcdserver: request timed out\n",
      exitCode: 1,
    });
    const result = await run(cluster, ["apply", "--yes", "--no-wait"], later);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "error: cannot tell whether another run of the CronJob is in progress, so nothing was restarted: kubectl get failed: Error from server (InternalError): etcdserver: request timed out\n",
    );
    expect(cluster.writes()).toEqual([]);
  });

  it("the earliest run goes on and restarts the stale pods", async () => {
    const cluster = staleCluster().on(itsJobs, { stdout: jobs });
    const result = await run(cluster, ["apply", "--yes", "--no-wait"], asJob("kubectl-autoupdate-29926870"));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("3 evicted (of 3 planned)");
    expect(cluster.podNames()).toEqual(["debug"]);
  });

  it("its own Job not known (no job-name label): a warning, and the run goes on", async () => {
    const cluster = staleCluster();
    const result = await run(cluster, ["apply", "--yes", "--no-wait"], asJob(""));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      "Warning: cannot tell whether another run of the CronJob is in progress: $KUBECTL_AUTOUPDATE_JOB is empty (the pod has no batch.kubernetes.io/job-name label); going on\n",
    );
    expect(result.stdout).toContain("3 evicted (of 3 planned)");
  });
});

describe("the run's result in $KUBECTL_AUTOUPDATE_RESULT_FILE (the CronJob's termination message)", () => {
  const resultIn = (cluster: FakeCluster) => join(cluster.dir, "termination-log");
  const withResult = (cluster: FakeCluster) => ({ KUBECTL_AUTOUPDATE_RESULT_FILE: resultIn(cluster) });
  const checked = "4 stale (3 to restart in 1 namespace, 1 skipped), 0 unknown, 0 current (4 pods checked)";

  it("restarts: what became of them and what was checked, one line", async () => {
    const cluster = staleCluster();
    const result = await run(cluster, ["apply", "--yes", "--no-wait"], withResult(cluster));
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(resultIn(cluster), "utf8")).toBe(`3 evicted (of 3 planned); ${checked}\n`);
  });

  it("a restart that failed: the count says so; the run still fails", async () => {
    const cluster = staleCluster({
      "/eviction": { stderr: "Error from server (InternalError): boom\n" },
    });
    const result = await run(cluster, ["apply", "--yes", "--no-wait"], withResult(cluster));
    expect(result.code).toBe(1);
    expect(readFileSync(resultIn(cluster), "utf8")).toMatch(/^0 evicted, 3 failed \(of 3 planned\); 4 stale/);
  });

  it("an error before the plan: the line stderr ends with", async () => {
    const cluster = staleCluster({ "get pods": { stdout: "<html>proxy error</html>", exitCode: 0 } });
    const result = await run(cluster, ["apply", "--yes"], withResult(cluster));
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("error: kubectl get pods printed malformed JSON\n");
    expect(readFileSync(resultIn(cluster), "utf8")).toBe(result.stderr);
  });

  it("a file that cannot be written is one warning; the run's outcome is unchanged", async () => {
    const cluster = staleCluster();
    const env = { KUBECTL_AUTOUPDATE_RESULT_FILE: join(cluster.dir, "no-such-dir", "termination-log") };
    const result = await run(cluster, ["apply", "--yes", "--no-wait"], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^Warning: the run's result was not kept: ENOENT: .*no-such-dir/m);
    expect(cluster.podNames()).toEqual(["debug"]);
  });
});
