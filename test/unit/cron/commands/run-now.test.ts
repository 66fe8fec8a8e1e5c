/**
 * run-now --wait's polling on a fake clock: it follows the Job's states, gives up at --timeout, and
 * stops waiting on Ctrl-C — in milliseconds. kubectl is answered in-process (an Exec fake behind the real
 * Kubectl adapter); the real Job controller runs in the e2e tests.
 */
import { describe, expect, it } from "vitest";
import type { Exec } from "../../../../src/adapters/exec.js";
import { Kubectl } from "../../../../src/adapters/kubectl.js";
import { podLogs } from "../../../../src/cron/adapters/kubectl.js";
import { JobFailedError, type RunNowOptions, runNowCommand } from "../../../../src/cron/commands/run-now.js";
import { installLabels } from "../../../../src/cron/core/install-labels.js";
import { jobContainerName } from "../../../../src/cron/core/job-contract.js";
import { InterruptedError, RefusedError } from "../../../../src/errors.js";
import { FakeClock } from "../../../support/fake-clock.js";
import { cronVerbDeps } from "../../../support/install-cluster.js";

type JobState = "Pending" | "Running" | "Complete" | "Failed";

/**
 * A Job whose state follows a timeline: [milliseconds since start, state]; `listed`, the Jobs there before;
 * `refuse`, kubectl's error for the calls that fail (by their words and how many gets of the Job
 * came before).
 */
function cluster(
  clock: FakeClock,
  timeline: [number, JobState][],
  listed: unknown[] = [],
  refuse: (text: string, gets: number) => string | undefined = () => undefined,
  pod: unknown = { metadata: { name: "job-pod" } },
) {
  const start = clock.now();
  const gets: number[] = [];
  const stateNow = (): JobState => {
    const elapsed = clock.now() - start;
    return timeline.filter(([at]) => at <= elapsed).at(-1)?.[1] ?? "Pending";
  };
  const job = () => {
    const state = stateNow();
    const conditions =
      state === "Complete" || state === "Failed"
        ? [{ type: state, status: "True", reason: state === "Failed" ? "BackoffLimitExceeded" : undefined }]
        : [];
    return {
      metadata: { name: "kubectl-autoupdate-manual-abcde", namespace: "tools", uid: "job-uid" },
      status: { active: state === "Running" ? 1 : 0, conditions },
    };
  };
  const exec: Exec = async (_file, args) => {
    const text = args.join(" ");
    const refusal = refuse(text, gets.length);
    if (refusal !== undefined) return { exitCode: 1, stdout: "", stderr: refusal, interrupted: false };
    const answer = (stdout: unknown) => ({
      exitCode: 0,
      stdout: typeof stdout === "string" ? stdout : JSON.stringify(stdout),
      stderr: "",
      interrupted: false,
    });
    if (text.startsWith("get cronjobs.batch")) {
      const name = args[2] ?? "";
      return answer({
        metadata: { name, namespace: "tools", uid: "cron-uid", labels: installLabels(name) },
        spec: { jobTemplate: { metadata: {}, spec: { template: { spec: { containers: [] } } } } },
      });
    }
    if (text.startsWith("create")) return answer(job());
    if (text.startsWith("get jobs.batch --namespace=tools --selector=")) return answer({ items: listed });
    if (text.startsWith("get jobs.batch")) {
      gets.push(clock.now() - start);
      return answer(job());
    }
    if (text.startsWith("get pods")) return answer({ items: [pod] });
    if (text.startsWith("logs")) return answer('{"kind":"RunSummary"}\n');
    throw new Error(`unexpected kubectl ${text}`);
  };
  return { exec, gets };
}

/** The installation's labels, as install-cron puts them on its CronJob. */
const ours = installLabels("kubectl-autoupdate");

function deps(clock: FakeClock, exec: Exec, signal = new AbortController().signal) {
  return cronVerbDeps(exec, { clock, signal });
}

const options: RunNowOptions = {
  name: "kubectl-autoupdate",
  namespace: "tools",
  connection: {},
  kubectlPath: "kubectl",
  color: "never",
  verbose: false,
  wait: true,
  timeoutMs: 60_000,
  pollMs: 2000,
};

describe("run-now --wait", () => {
  it("follows the Job through its states to Complete, every --poll-interval, and prints its log", async () => {
    const clock = new FakeClock();
    const { exec, gets } = cluster(clock, [
      [3000, "Running"],
      [9000, "Complete"],
    ]);
    const { deps: d, out } = deps(clock, exec);
    await clock.run(runNowCommand(d, options));
    expect(gets).toEqual([0, 2000, 4000, 6000, 8000, 10_000]);
    expect(out.stderr).toBe(
      [
        "job.batch/kubectl-autoupdate-manual-abcde created",
        "job.batch/kubectl-autoupdate-manual-abcde: Pending",
        "job.batch/kubectl-autoupdate-manual-abcde: Running",
        "job.batch/kubectl-autoupdate-manual-abcde: Complete",
        "job.batch/kubectl-autoupdate-manual-abcde complete",
        "",
      ].join("\n"),
    );
    expect(out.stdout).toBe('{"kind":"RunSummary"}\n');
  });

  it("a failed Job fails the command with its reason", async () => {
    const clock = new FakeClock();
    const { exec } = cluster(clock, [[1000, "Failed"]]);
    const { deps: d } = deps(clock, exec);
    await expect(clock.run(runNowCommand(d, options))).rejects.toThrow(
      new JobFailedError("job kubectl-autoupdate-manual-abcde failed: BackoffLimitExceeded"),
    );
  });

  it("a failed run's own ending is its reason (OOMKilled), as cron-status says it, not the Job's", async () => {
    const clock = new FakeClock();
    const killed = {
      metadata: {
        name: "job-pod",
        ownerReferences: [
          { kind: "Job", name: "kubectl-autoupdate-manual-abcde", uid: "job-uid", controller: true },
        ],
      },
      status: {
        containerStatuses: [
          {
            name: jobContainerName,
            state: {
              terminated: { exitCode: 137, reason: "OOMKilled", message: "evicting pod shop/cache-0\n" },
            },
          },
        ],
      },
    };
    const { exec } = cluster(clock, [[1000, "Failed"]], [], () => undefined, killed);
    const { deps: d } = deps(clock, exec);
    await expect(clock.run(runNowCommand(d, options))).rejects.toThrow(
      new JobFailedError(
        "job kubectl-autoupdate-manual-abcde failed: OOMKilled (exit 137): evicting pod shop/cache-0",
      ),
    );
  });

  it("gives up at --timeout and says the Job keeps running", async () => {
    const clock = new FakeClock();
    const { exec, gets } = cluster(clock, [[0, "Running"]]);
    const { deps: d } = deps(clock, exec);
    await expect(clock.run(runNowCommand(d, { ...options, timeoutMs: 10_000 }))).rejects.toThrow(
      "job kubectl-autoupdate-manual-abcde still Running after --timeout; it keeps running",
    );
    expect(gets.at(-1)).toBe(10_000);
  });

  it("a read of the Job that fails is asked again at the next poll: the exit code is still the Job's", async () => {
    const clock = new FakeClock();
    const leaderChanged = "Error from server (InternalError): etcdserver: leader changed";
    let refused = 0;
    const { exec, gets } = cluster(clock, [[5000, "Complete"]], [], (text, done) =>
      text.startsWith("get jobs.batch kubectl") && done === 1 && refused++ === 0 ? leaderChanged : undefined,
    );
    const { deps: d, out } = deps(clock, exec);
    await clock.run(runNowCommand(d, options));
    expect(gets).toEqual([0, 4000, 6000]);
    expect(out.stderr).toContain("job.batch/kubectl-autoupdate-manual-abcde complete\n");
  });

  it("a Job that cannot be read until --timeout: says why, and that it keeps running", async () => {
    const clock = new FakeClock();
    const { exec } = cluster(clock, [[0, "Running"]], [], (text) =>
      text.startsWith("get jobs.batch kubectl")
        ? "Error from server (InternalError): etcdserver: timeout"
        : undefined,
    );
    const { deps: d } = deps(clock, exec);
    await expect(clock.run(runNowCommand(d, { ...options, timeoutMs: 10_000 }))).rejects.toThrow(
      /^job kubectl-autoupdate-manual-abcde could not be read within --timeout \(.*etcdserver: timeout\); it keeps running/,
    );
  });

  it("a read of the Job refused (RBAC) is not asked again: asking would only repeat it", async () => {
    const clock = new FakeClock();
    const forbidden =
      'Error from server (Forbidden): jobs.batch "x" is forbidden: User "ops" cannot get resource "jobs"';
    const { exec, gets } = cluster(clock, [[0, "Running"]], [], (text) =>
      text.startsWith("get jobs.batch kubectl") ? forbidden : undefined,
    );
    const { deps: d } = deps(clock, exec);
    await expect(clock.run(runNowCommand(d, options))).rejects.toThrow(/is forbidden/);
    expect(gets).toEqual([]);
    expect(clock.elapsed()).toBe(0);
  });

  it("a completed Job whose pods may not be listed: exit 0, with a warning that there is no log", async () => {
    const clock = new FakeClock();
    const forbidden =
      'Error from server (Forbidden): pods is forbidden: User "ops" cannot list resource "pods"';
    const { exec } = cluster(clock, [[1000, "Complete"]], [], (text) =>
      text.startsWith("get pods") ? forbidden : undefined,
    );
    const { deps: d, out } = deps(clock, exec);
    await clock.run(runNowCommand(d, options));
    expect(out.stderr).toMatch(/Warning: no log: the job's pods could not be listed: .*pods is forbidden/);
    expect(out.stderr).toContain("job.batch/kubectl-autoupdate-manual-abcde complete\n");
    expect(out.stdout).toBe("");
  });

  it("Ctrl-C stops waiting at once; the Job keeps running", async () => {
    const clock = new FakeClock();
    const { exec, gets } = cluster(clock, [[0, "Running"]]);
    const interrupt = new AbortController();
    clock.at(clock.now() + 5000, () => interrupt.abort());
    const { deps: d } = deps(clock, exec, interrupt.signal);
    await expect(clock.run(runNowCommand(d, options))).rejects.toThrow(InterruptedError);
    expect(gets).toEqual([0, 2000, 4000]);
    expect(clock.elapsed()).toBe(5000);
  });
});

describe("run-now while a run is in progress", () => {
  const ownedBy = (uid: string) => [
    { apiVersion: "batch/v1", kind: "CronJob", name: "x", uid, controller: true },
  ];
  const earlier = (name: string, uid: string, status: object, created = "2026-12-01T10:00:00Z") => ({
    metadata: { name, namespace: "tools", creationTimestamp: created, ownerReferences: ownedBy(uid) },
    status,
  });

  it("refuses, names the oldest running Job and how to follow or stop it, and creates nothing", async () => {
    const clock = new FakeClock();
    const { exec } = cluster(
      clock,
      [],
      [
        earlier("kubectl-autoupdate-29410", "cron-uid", { active: 1, ready: 1 }, "2026-12-01T10:10:00Z"),
        earlier("kubectl-autoupdate-manual-old", "cron-uid", { active: 1 }),
      ],
    );
    const created: string[] = [];
    const { deps: d } = deps(clock, async (file, args, o) => {
      if (args[0] === "create") created.push(args.join(" "));
      return exec(file, args, o);
    });
    await expect(clock.run(runNowCommand(d, options))).rejects.toThrow(
      new RefusedError(
        "job kubectl-autoupdate-manual-old is still running (concurrencyPolicy Forbid); follow it with kubectl logs -f job/kubectl-autoupdate-manual-old -n tools, or stop it first with kubectl delete job kubectl-autoupdate-manual-old --cascade=foreground -n tools",
      ),
    );
    expect(created).toEqual([]);
  });

  it("goes ahead past finished Jobs and another CronJob's", async () => {
    const clock = new FakeClock();
    const done = { conditions: [{ type: "Complete", status: "True" }] };
    const failed = { conditions: [{ type: "Failed", status: "True" }] };
    const { exec } = cluster(
      clock,
      [[0, "Complete"]],
      [
        earlier("finished", "cron-uid", done),
        earlier("failed", "cron-uid", failed),
        earlier("another-cronjobs", "other-uid", { active: 1 }),
      ],
    );
    const { deps: d, out } = deps(clock, exec);
    await clock.run(runNowCommand(d, options));
    expect(out.stderr).toContain("job.batch/kubectl-autoupdate-manual-abcde created\n");
  });

  it.each([
    [
      "not started yet (no pod Ready)",
      {},
      "has not started yet (concurrencyPolicy Forbid); see why with kubectl describe job/queued -n tools, or delete it first with kubectl delete job queued --cascade=foreground -n tools",
    ],
    [
      "suspended (as a queue holds it until it may run)",
      { spec: { suspend: true } },
      "is suspended, not finished (concurrencyPolicy Forbid); see why with kubectl describe job/queued -n tools, or delete it first with kubectl delete job queued --cascade=foreground -n tools",
    ],
  ])("a Job %s is a run in progress too", async (_, extra, message) => {
    const clock = new FakeClock();
    const { exec } = cluster(
      clock,
      [],
      [{ ...earlier("queued", "cron-uid", { active: 1, ready: 0 }), ...extra }],
    );
    const { deps: d } = deps(clock, exec);
    await expect(clock.run(runNowCommand(d, options))).rejects.toThrow(
      new RefusedError(`job queued ${message}`),
    );
  });

  it("a Job failed long ago whose pod is still stopping (its node lost): how to end that pod", async () => {
    const clock = new FakeClock();
    const stopping = {
      active: 0,
      terminating: 1,
      conditions: [{ type: "FailureTarget", status: "True", lastTransitionTime: "2026-11-30T03:30:00Z" }],
    };
    const { exec } = cluster(clock, [], [earlier("stuck", "cron-uid", stopping)]);
    const { deps: d } = deps(clock, exec);
    await expect(clock.run(runNowCommand(d, options))).rejects.toThrow(
      new RefusedError(
        "job stuck has failed, and its pod has been stopping since 2026-11-30T03:30:00Z, its node perhaps lost (concurrencyPolicy Forbid); see its node with kubectl get pods -l batch.kubernetes.io/job-name=stuck -n tools -o wide; once that node is down, kubectl delete pods -l batch.kubernetes.io/job-name=stuck -n tools --force --grace-period=0",
      ),
    );
  });
});

describe("run-now --wait prints its pods' logs", () => {
  it("each whole line, escaped for the terminal, under its pod's header", async () => {
    const clock = new FakeClock();
    const { exec } = cluster(clock, [[0, "Complete"]]);
    const twoPods: Exec = async (file, args, o) => {
      const text = args.join(" ");
      if (text.startsWith("get pods")) {
        const answer = JSON.stringify({
          items: [{ metadata: { name: "first" } }, { metadata: { name: "second" } }],
        });
        return { exitCode: 0, stdout: answer, stderr: "", interrupted: false };
      }
      // The first pod cut off mid-line, with a control sequence in it.
      if (text.startsWith("logs")) {
        const log = text.includes("first") ? "evicting \u001b]0;title\u0007web-0" : "done\n";
        return { exitCode: 0, stdout: log, stderr: "", interrupted: false };
      }
      return exec(file, args, o);
    };
    const { deps: d, out } = deps(clock, twoPods);
    await clock.run(runNowCommand(d, options));
    expect(out.stdout).toBe("==> pod/first <==\nevicting ^[]0;title^Gweb-0\n==> pod/second <==\ndone\n");
  });
});

describe("the commands it tells you to run next name this installation in this cluster", () => {
  const prod = { ...options, name: "nightly", wait: false, connection: { context: "prod" } };
  const withContext = (exec: Exec): Exec => {
    return async (file, args, o) => {
      expect(args[0]).toBe("--context=prod");
      return exec(file, args.slice(1), o);
    };
  };

  it("Follow it: kubectl logs with -n and the connection flags", async () => {
    const clock = new FakeClock();
    const { exec } = cluster(clock, [[0, "Running"]]);
    const { deps: d, out } = deps(clock, withContext(exec));
    d.kubectl = new Kubectl(withContext(exec), "kubectl", { context: "prod" });
    await clock.run(runNowCommand(d, prod));
    expect(out.stderr).toContain(
      "Follow it: kubectl logs -f job/kubectl-autoupdate-manual-abcde -n tools --context=prod\n",
    );
  });

  it("someone else's CronJob of that name (without the installation's labels) is not run", async () => {
    const clock = new FakeClock();
    const { exec } = cluster(clock, [[0, "Running"]]);
    const foreign: Exec = async (file, args, o) => {
      const result = await exec(file, args, o);
      if (!args.join(" ").startsWith("get cronjobs.batch")) return result;
      const cronJob = JSON.parse(result.stdout);
      delete cronJob.metadata.labels;
      return { ...result, stdout: JSON.stringify(cronJob) };
    };
    const { deps: d } = deps(clock, foreign);
    await expect(clock.run(runNowCommand(d, { ...options, wait: false }))).rejects.toThrow(
      "the CronJob kubectl-autoupdate in namespace tools was not made by install-cron (it lacks the labels app.kubernetes.io/managed-by=kubectl-autoupdate,app.kubernetes.io/instance=kubectl-autoupdate); name the installation with --name",
    );
  });

  it("no CronJob: install-cron with -n, --name and the connection flags", async () => {
    const clock = new FakeClock();
    const none: Exec = async () => ({ exitCode: 0, stdout: "", stderr: "", interrupted: false });
    const { deps: d } = deps(clock, none);
    d.kubectl = new Kubectl(withContext(none), "kubectl", { context: "prod" });
    await expect(clock.run(runNowCommand(d, prod))).rejects.toThrow(
      "no CronJob nightly in namespace tools; install it with: kubectl autoupdate install-cron -n tools --name nightly --context=prod",
    );
  });
});

describe("run-now --wait on a Job whose pod does not start", () => {
  const waiting = { reason: "CreateContainerConfigError", message: 'secret "hook" not found' };
  const quota =
    'Error creating: pods "kubectl-autoupdate-manual-abcde-x" is forbidden: exceeded quota: compute';
  const mountFailure =
    'MountVolume.SetUp failed for volume "docker-socket" : hostPath type check failed: /var/run/docker.sock is not a socket file';
  const podEvents = [
    { reason: "Scheduled", message: "assigned to node-1", lastTimestamp: "2026-12-02T10:00:00Z" },
    { reason: "FailedMount", message: mountFailure, lastTimestamp: "2026-12-02T10:00:05Z" },
  ];
  it.each([
    [
      "a pod that waits: its container's reason",
      [
        {
          metadata: { name: "job-pod" },
          status: { containerStatuses: [{ name: "kubectl-autoupdate", state: { waiting } }] },
        },
      ],
      'pod job-pod: CreateContainerConfigError: secret "hook" not found',
    ],
    [
      "no pod at all: the Job controller's latest FailedCreate (a quota, an admission policy)",
      [],
      `FailedCreate: ${quota}`,
    ],
    [
      "a pod whose container stays in creation: the kubelet's latest Event about it (a volume it cannot mount)",
      [
        {
          metadata: { name: "job-pod", uid: "pod-uid" },
          status: {
            containerStatuses: [
              { name: "kubectl-autoupdate", state: { waiting: { reason: "ContainerCreating" } } },
            ],
          },
        },
      ],
      `pod job-pod: FailedMount: ${mountFailure}`,
    ],
  ])("says why while it waits: %s", async (_, pods, why) => {
    const clock = new FakeClock();
    const answer = (stdout: unknown) => ({
      exitCode: 0,
      stdout: typeof stdout === "string" ? stdout : JSON.stringify(stdout),
      stderr: "",
      interrupted: false,
    });
    const job = {
      metadata: { name: "kubectl-autoupdate-manual-abcde", namespace: "tools", uid: "job-uid" },
      status: pods.length > 0 ? { active: 1, ready: 0 } : {},
    };
    const events = [
      { reason: "FailedCreate", message: "an older refusal", lastTimestamp: "2026-12-02T10:00:00Z" },
      { reason: "FailedCreate", message: quota, lastTimestamp: "2026-12-02T10:00:05Z" },
    ];
    const exec: Exec = async (_file, args) => {
      const text = args.join(" ");
      if (text.startsWith("get cronjobs.batch")) {
        return answer({
          metadata: { name: "kubectl-autoupdate", namespace: "tools", uid: "cron-uid", labels: ours },
          spec: { jobTemplate: { metadata: {}, spec: { template: { spec: { containers: [] } } } } },
        });
      }
      if (text.startsWith("create") || text.startsWith("get jobs.batch")) return answer(job);
      if (text.startsWith("get pods")) return answer({ items: pods });
      if (
        text ===
        "get events --namespace=tools --field-selector=involvedObject.uid=job-uid,reason=FailedCreate -o json"
      )
        return answer({ items: events });
      if (
        text ===
        "get events --namespace=tools --field-selector=involvedObject.uid=pod-uid,type=Warning -o json"
      )
        return answer({ items: podEvents });
      throw new Error(`unexpected kubectl ${text}`);
    };
    const { deps: d, out } = deps(clock, exec);
    const run = clock.run(runNowCommand(d, { ...options, timeoutMs: 10_000 }));
    await expect(run).rejects.toBeInstanceOf(JobFailedError);
    expect(out.stderr).toContain(`job.batch/kubectl-autoupdate-manual-abcde: Pending (${why})\n`);
  });

  it("the log printed is the run's own container's, not an injected sidecar's", async () => {
    const asked: string[] = [];
    const exec: Exec = async (_file, args) => {
      asked.push(args.join(" "));
      return { exitCode: 0, stdout: "", stderr: "", interrupted: false };
    };
    await podLogs(new Kubectl(exec, "kubectl", {}), "tools", "job-pod");
    expect(asked).toEqual(["logs job-pod --namespace=tools --container=kubectl-autoupdate"]);
  });
});
