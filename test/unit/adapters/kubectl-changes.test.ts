/**
 * What the Kubectl adapter makes of a change (eviction, deletion, patch) that kubectl did not answer: a
 * kubectl killed mid-request (a terminal's Ctrl-C reaches the whole process group) may have sent it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Exec } from "../../../src/adapters/exec.js";
import type { ExecResult } from "../../../src/adapters/exec-result.js";
import { Kubectl } from "../../../src/adapters/kubectl.js";
import { readRecordVersion } from "../../../src/adapters/restart-record.js";
import { repoRoot } from "../../support/cli.js";

const kubectlAnswering = (result: ExecResult) => new Kubectl((async () => result) as Exec, "kubectl", {});
const restart = { restartedAt: "2026-12-01T00:00:00Z", restartedFor: null };
const patchWeb = (kubectl: Kubectl) =>
  kubectl.patchRestartedAt("Deployment", "shop", "web", "7", restart, false);
const killed: ExecResult = { exitCode: -1, stdout: "", stderr: "", interrupted: false, killedBy: "SIGINT" };

describe("a change kubectl did not answer", () => {
  it("killed: the reason says it may have reached the server", async () => {
    const kubectl = kubectlAnswering(killed);
    expect(await kubectl.evictPod("shop", "web-0", "uid", false)).toEqual({
      kind: "failed",
      reason: "kubectl was killed by SIGINT before it answered: the eviction may have reached the server",
    });
    expect(await kubectl.deletePod("shop", "web-0", "uid", false)).toEqual({
      kind: "failed",
      reason: "kubectl was killed by SIGINT before it answered: the deletion may have reached the server",
    });
    // Nor could the workload be read to tell.
    expect(await kubectl.patchRestartedAt("Deployment", "shop", "web", "7", restart, false)).toEqual({
      kind: "failed",
      reason: "kubectl was killed by SIGINT before it answered: the patch may have reached the server",
      perhapsPatched: true,
    });
  });

  it("an exit without a word is said as it ended; kubectl's own line when it printed one", async () => {
    const silent = { exitCode: 3, stdout: "", stderr: "", interrupted: false };
    // Nor could the pod be read after, to tell whether it went.
    const unread = {
      kind: "failed",
      reason: "exit 3 (it may have reached the server; the pod could not be read after)",
      perhapsDone: true,
    };
    expect(await kubectlAnswering(silent).evictPod("shop", "web-0", "uid", false)).toEqual(unread);
    expect(await kubectlAnswering(silent).deletePod("shop", "web-0", "uid", false)).toEqual(unread);
    const said = { ...killed, stderr: "Error from server (InternalError): etcd leader changed\n" };
    expect(await kubectlAnswering(said).deletePod("shop", "web-0", "uid", false)).toEqual({
      kind: "failed",
      reason: "Error from server (InternalError): etcd leader changed",
    });
  });
});

describe("an eviction refused with 429", () => {
  const refused = (line: string): ExecResult => ({
    exitCode: 1,
    stdout: "",
    stderr: `${line}\n`,
    interrupted: false,
  });
  it("is a budget's refusal when it names the disruption budget, else an API server shedding load", async () => {
    const budget =
      "Error from server (TooManyRequests): Cannot evict pod as it would violate the pod's disruption budget.";
    expect(await kubectlAnswering(refused(budget)).evictPod("shop", "web-0", "uid", false)).toEqual({
      kind: "blocked",
      reason: budget,
    });
    // API Priority and Fairness, once kubectl's own retries are spent.
    const shed =
      "Error from server (TooManyRequests): the server has received too many requests and has asked us to try again later";
    expect(await kubectlAnswering(refused(shed)).evictPod("shop", "web-0", "uid", false)).toEqual({
      kind: "throttled",
      reason: shed,
    });
  });
});

describe("a change whose kubectl a signal from outside killed (the terminal's Ctrl-C)", () => {
  const fromOutside: ExecResult = { ...killed, interrupted: true, killedFromOutside: true };
  /** A kubectl killed on its first call, answering `then` on the next. */
  const killedOnce = (then: ExecResult) => {
    const calls: string[] = [];
    const exec = (async (_binary: string, args: readonly string[]) => {
      calls.push(args.join(" "));
      return calls.length === 1 ? fromOutside : then;
    }) as Exec;
    return { calls, kubectl: new Kubectl(exec, "kubectl", {}) };
  };
  const ok: ExecResult = { exitCode: 0, stdout: "", stderr: "", interrupted: false };

  it("is asked once more: the eviction, the deletion and the Event that records them go through", async () => {
    const evicting = killedOnce(ok);
    expect(await evicting.kubectl.evictPod("shop", "web-0", "uid", false)).toEqual({ kind: "evicted" });
    expect(evicting.calls).toHaveLength(2);
    expect(evicting.calls[1]).toBe(evicting.calls[0]);
    const deleting = killedOnce(ok);
    expect(await deleting.kubectl.deletePod("shop", "web-0", "uid", false)).toEqual({ kind: "deleted" });
    const recording = killedOnce(ok);
    expect(await recording.kubectl.createEvent({} as never)).toEqual({ ok: true });
    expect(recording.calls).toHaveLength(2);
  });

  it("an Event created says when, by the API server's clock", async () => {
    const calls: (readonly string[])[] = [];
    const exec = (async (_file: string, args: readonly string[]) => {
      calls.push(args);
      return { ...ok, stdout: "2026-12-07T09:00:05Z" };
    }) as Exec;
    expect(await new Kubectl(exec, "kubectl", {}).createEvent({} as never)).toEqual({
      ok: true,
      createdAt: Date.parse("2026-12-07T09:00:05Z"),
    });
    expect(calls[0]).toContain("jsonpath={.metadata.creationTimestamp}");
  });

  it("so is the record's read that its write is made against: the run's record is kept", async () => {
    const record = { metadata: { resourceVersion: "8" }, data: { "shop.uid": "{}" } };
    const reading = killedOnce({ ...ok, stdout: JSON.stringify({ items: [record] }) });
    const ref = { namespace: "ops", name: "kubectl-autoupdate" };
    expect(await readRecordVersion(reading.kubectl, ref)).toEqual({
      data: record.data,
      binaryBytes: 0,
      resourceVersion: "8",
    });
    expect(reading.calls).toHaveLength(2);
    // Killed twice: said so, not taken for a timeout.
    const killedTwice = killedOnce(fromOutside);
    await expect(readRecordVersion(killedTwice.kubectl, ref)).rejects.toThrow(
      /^kubectl get configmaps: kubectl was killed by SIGINT$/,
    );
  });

  it("the repeat not sent (no connection now): the first may have gone through, so it is looked for", async () => {
    const refused: ExecResult = {
      exitCode: 1,
      stdout: "",
      stderr:
        "The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?\n",
      interrupted: false,
    };
    const patching = killedOnce(refused);
    const patched = await patching.kubectl.patchRestartedAt("Deployment", "shop", "web", "7", restart, false);
    expect(patched).toMatchObject({ kind: "failed", perhapsPatched: true });
    expect(patching.calls.length).toBeGreaterThan(2);
    const evicting = killedOnce(refused);
    expect(await evicting.kubectl.evictPod("shop", "web-0", "uid", false)).toMatchObject({
      kind: "failed",
      reason: expect.stringContaining("may have reached the server"),
    });
  });

  it("the repeat finds the pod gone, or another under its name: the first one went through", async () => {
    const notFound = { ...ok, exitCode: 1, stderr: 'Error from server (NotFound): pods "web-0" not found\n' };
    const conflict = {
      ...ok,
      exitCode: 1,
      stderr:
        'Error from server (Conflict): Operation cannot be fulfilled on Pod "web-0": Precondition failed: UID in precondition: uid, UID in object meta: uid-2\n',
    };
    expect(await killedOnce(notFound).kubectl.evictPod("shop", "web-0", "uid", false)).toEqual({
      kind: "evicted",
    });
    expect(await killedOnce(conflict).kubectl.evictPod("shop", "web-0", "uid", false)).toEqual({
      kind: "evicted",
    });
    expect(await killedOnce(notFound).kubectl.deletePod("shop", "web-0", "uid", false)).toEqual({
      kind: "deleted",
    });
    // Not repeated, the same answers mean what they say.
    expect(await kubectlAnswering(notFound).evictPod("shop", "web-0", "uid", false)).toEqual({
      kind: "gone",
    });
    expect(await kubectlAnswering(conflict).deletePod("shop", "web-0", "uid", false)).toEqual({
      kind: "replaced",
    });
  });

  it("the API server's own resourceVersion precondition (a pod not running that kept changing) is a failure", async () => {
    const changing = {
      ...ok,
      exitCode: 1,
      stderr:
        'Error from server (Conflict): Operation cannot be fulfilled on Pod "web-0": Precondition failed: ResourceVersion in precondition: 41, ResourceVersion in object meta: 42\n',
    };
    expect(await kubectlAnswering(changing).evictPod("shop", "web-0", "uid", false)).toMatchObject({
      kind: "failed",
    });
    expect(await killedOnce(changing).kubectl.evictPod("shop", "web-0", "uid", false)).toMatchObject({
      kind: "failed",
    });
    // The eviction's own wording of the two preconditions (pkg/registry/core/pod/storage/eviction.go).
    const conflict = (what: string) => ({
      ...ok,
      exitCode: 1,
      stderr: `Error from server (Conflict): Operation cannot be fulfilled on Pod "web-0": the ${what} in the precondition (a) does not match the ${what} in record (b). The object might have been modified\n`,
    });
    expect(
      await kubectlAnswering(conflict("ResourceVersion")).evictPod("shop", "web-0", "uid", false),
    ).toMatchObject({ kind: "failed" });
    expect(await kubectlAnswering(conflict("UID")).evictPod("shop", "web-0", "uid", false)).toEqual({
      kind: "replaced",
    });
  });

  /** The rollout's patch, kubectl answering each of its calls in turn with `answers`. */
  const restartedAt = "2026-12-01T00:00:00Z";
  const patching = (...answers: ExecResult[]) => {
    const calls: string[][] = [];
    const exec = (async (_file: string, args: string[]) => {
      calls.push(args);
      return answers.shift()!;
    }) as Exec;
    const patched = new Kubectl(exec, "kubectl", {}).patchRestartedAt(
      "Deployment",
      "shop",
      "web",
      "7",
      { restartedAt, restartedFor: null },
      false,
    );
    return { patched, calls };
  };
  /** The workload as read back, its template's restartedAt `at`. */
  const workload = (at: string) => ({
    ...ok,
    stdout: JSON.stringify({
      metadata: { name: "web", generation: 5 },
      spec: { template: { metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": at } } } },
    }),
  });

  it("the rollout's patch, asked again, meets a Conflict: patched if the template has its restartedAt", async () => {
    const conflict = {
      ...ok,
      exitCode: 1,
      stderr:
        'Error from server (Conflict): Operation cannot be fulfilled on deployments.apps "web": the object has been modified\n',
    };
    expect(await patching(fromOutside, conflict, workload(restartedAt)).patched).toEqual({
      kind: "patched",
      generation: 5,
    });
    // Someone else's change: a conflict, as without the repeat.
    expect(await patching(fromOutside, conflict, workload("2026-11-30T09:00:00Z")).patched).toMatchObject({
      kind: "conflict",
    });
  });

  it("the rollout's patch failing without a refusal (a Timeout) is looked for: made, not made, or not told", async () => {
    const timedOut = {
      ...ok,
      exitCode: 1,
      stderr: "Error from server (Timeout): Timeout: request did not complete within requested timeout\n",
    };
    const unreadable = { ...timedOut, stderr: "Unable to connect to the server: dial tcp: i/o timeout\n" };
    expect(await patching(timedOut, workload(restartedAt)).patched).toEqual({
      kind: "patched",
      generation: 5,
    });
    expect(await patching(timedOut, workload("2026-11-30T09:00:00Z")).patched).toEqual({
      kind: "failed",
      reason: timedOut.stderr.trim(),
    });
    expect(await patching(timedOut, unreadable).patched).toEqual({
      kind: "failed",
      reason: timedOut.stderr.trim(),
      perhapsPatched: true,
    });
    // A refusal is an answer: nothing was made, nothing to look for.
    const forbidden = {
      ...timedOut,
      stderr: 'Error from server (Forbidden): deployments.apps "web" is forbidden\n',
    };
    const refused = patching(forbidden);
    expect(await refused.patched).toMatchObject({ kind: "failed" });
    expect(refused.calls).toHaveLength(1);
  });

  it("killed again: the Event's reason says so, not that the API server did not answer", async () => {
    const twice = killedOnce(fromOutside);
    expect(await twice.kubectl.createEvent({} as never)).toEqual({
      ok: false,
      reason: "kubectl was killed by SIGINT",
    });
    expect(twice.calls).toHaveLength(2);
  });

  it("its own timeout is not asked again", async () => {
    let calls = 0;
    const timedOut: ExecResult = {
      exitCode: -1,
      stdout: "",
      stderr: "",
      interrupted: true,
      killedBy: "SIGTERM",
    };
    const exec = (async () => {
      calls++;
      return timedOut;
    }) as Exec;
    expect(await new Kubectl(exec, "kubectl", {}).createEvent({} as never)).toEqual({
      ok: false,
      reason: "no answer within 20s",
    });
    expect(calls).toBe(1);
  });
});

describe("a pod's deletion", () => {
  it("a dry run is the same request, UID precondition and all, with dryRun: a successor is not previewed as deleted", async () => {
    const calls: { args: readonly string[]; input?: string }[] = [];
    const exec = (async (_file: string, args: readonly string[], options?: { input?: string }) => {
      calls.push({ args, input: options?.input });
      return { exitCode: 0, stdout: "{}", stderr: "", interrupted: false };
    }) as unknown as Exec;
    const kubectl = new Kubectl(exec, "kubectl", {});
    await kubectl.deletePod("shop", "db-0", "uid-planned", false);
    await kubectl.deletePod("shop", "db-0", "uid-planned", true);
    const [real, dry] = calls;
    expect(dry!.args).toEqual(real!.args);
    expect(JSON.parse(real!.input!)).toEqual({
      apiVersion: "v1",
      kind: "DeleteOptions",
      preconditions: { uid: "uid-planned" },
    });
    expect(JSON.parse(dry!.input!)).toEqual({ ...JSON.parse(real!.input!), dryRun: ["All"] });
  });
});

describe("the rollout's patch", () => {
  const patchOf = async (restartedFor: string | null) => {
    let args: readonly string[] = [];
    const exec = (async (_binary: string, given: readonly string[]) => {
      args = given;
      return {
        exitCode: 0,
        stdout: '{"metadata":{"name":"web","generation":4}}',
        stderr: "",
        interrupted: false,
      };
    }) as Exec;
    const kubectl = new Kubectl(exec, "kubectl", {});
    const patched = await kubectl.patchRestartedAt(
      "Deployment",
      "shop",
      "web",
      "7",
      { restartedAt: "2026-12-01T00:00:00Z", restartedFor },
      false,
    );
    expect(patched).toEqual({ kind: "patched", generation: 4 });
    return JSON.parse(args.find((a) => a.startsWith("--patch="))!.slice("--patch=".length));
  };

  it("sets restartedAt and what the rollout is for, with that restartedAt, in the template, under the resourceVersion read", async () => {
    expect(await patchOf(`app=sha256:${"a".repeat(64)}`)).toEqual({
      metadata: { resourceVersion: "7" },
      spec: {
        template: {
          metadata: {
            annotations: {
              "kubectl.kubernetes.io/restartedAt": "2026-12-01T00:00:00Z",
              "kubectl-autoupdate/restarted-for": `app=sha256:${"a".repeat(64)}`,
              "kubectl-autoupdate/restarted-at": "2026-12-01T00:00:00Z",
            },
          },
        },
      },
    });
  });

  it("without a digest to name, an earlier rollout's restarted-for is removed (null in a merge patch)", async () => {
    const patch = await patchOf(null);
    expect(patch.spec.template.metadata.annotations).toEqual({
      "kubectl.kubernetes.io/restartedAt": "2026-12-01T00:00:00Z",
      "kubectl-autoupdate/restarted-for": null,
      "kubectl-autoupdate/restarted-at": null,
    });
  });
});

describe("kubectl's log lines before its answer are not its answer", () => {
  const failing = (stderr: string) =>
    kubectlAnswering({ exitCode: 1, stdout: "", stderr, interrupted: false });
  /** What kubectl ≥ 1.31 prints before its answer while an aggregated API (metrics-server) is down. */
  const staleDiscovery =
    'E1130 15:54:31.186231   13286 memcache.go:265] "Unhandled Error" err="couldn\'t get resource list for metrics.k8s.io/v1beta1: stale GroupVersion discovery: metrics.k8s.io/v1beta1"\n'.repeat(
      3,
    );
  const klog = /^[IWEF]\d{4} /;

  it("a patch: NotFound is gone, Conflict a conflict, a refusal says kubectl's error", async () => {
    const patch = (stderr: string) => patchWeb(failing(`${staleDiscovery}${stderr}\n`));
    expect(await patch('Error from server (NotFound): deployments.apps "web" not found')).toEqual({
      kind: "gone",
    });
    expect(
      (
        await patch(
          'Error from server (Conflict): Operation cannot be fulfilled on deployments.apps "web": the object has been modified',
        )
      ).kind,
    ).toBe("conflict");
    expect(await patch('Error from server (Forbidden): deployments.apps "web" is forbidden')).toEqual({
      kind: "failed",
      reason: 'Error from server (Forbidden): deployments.apps "web" is forbidden',
    });
  });

  it("a patch while the cluster refuses connections (recorded): not sent, and the reason is not a log line", async () => {
    const stderr = readFileSync(join(repoRoot, "test/fixtures/kubectl-failures/refused.stderr"), "utf8");
    expect(stderr).toMatch(klog);
    const outcome = await failing(stderr).patchRestartedAt("Deployment", "shop", "web", "7", restart, false);
    expect(outcome).toEqual({ kind: "failed", reason: expect.not.stringMatching(klog) });
  });

  it("a change kubectl could not send (no credential, no connection) is not one that may have gone through", async () => {
    const pluginFailed =
      "token expired, run login\nUnable to connect to the server: getting credentials: exec: executable kubelogin failed with exit code 1\n";
    const refused =
      "The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?\n";
    for (const stderr of [pluginFailed, refused]) {
      const patched = await patchWeb(failing(stderr));
      expect(patched).not.toHaveProperty("perhapsPatched");
      const evicted = await failing(stderr).evictPod("shop", "web-0", "uid", false);
      expect(evicted).toMatchObject({
        kind: "failed",
        reason: expect.not.stringContaining("may have reached"),
      });
    }
  });

  it("a dry-run deletion of a pod gone meanwhile is gone; a refused Event says kubectl's error", async () => {
    const gone = `${staleDiscovery}Error from server (NotFound): pods "web-0" not found\n`;
    expect(await failing(gone).deletePod("shop", "web-0", "uid", true)).toEqual({ kind: "gone" });
    const refused = `${staleDiscovery}Error from server (Forbidden): error when creating "STDIN": events.events.k8s.io is forbidden\n`;
    expect(await failing(refused).createEvent({} as never)).toEqual({
      ok: false,
      reason: "Error from server (Forbidden): events.events.k8s.io is forbidden",
    });
  });
});

describe("an eviction or deletion that failed without a refusal", () => {
  const timedOut: ExecResult = {
    exitCode: 1,
    stdout: "",
    stderr:
      "Unable to connect to the server: net/http: request canceled (Client.Timeout exceeded while awaiting headers)\n",
    interrupted: false,
  };
  /** kubectl that fails the change as `change`, and lists the pod back as `pods` (a list streams). */
  const kubectlWith = (change: ExecResult, pods: object[]) =>
    new Kubectl(
      (async (_file: string, args: readonly string[], options?: { onStdout?: (chunk: string) => void }) => {
        if (args[0] !== "get") return change;
        options?.onStdout?.(JSON.stringify({ kind: "PodList", apiVersion: "v1", metadata: {}, items: pods }));
        return { exitCode: 0, stdout: "", stderr: "", interrupted: false };
      }) as Exec,
      "kubectl",
      {},
    );
  const pod = (uid: string, going = false) => ({
    metadata: {
      name: "web-0",
      namespace: "shop",
      uid,
      ...(going ? { deletionTimestamp: "2026-12-06T10:00:00Z" } : {}),
    },
  });

  it("is read back: the pod gone, going, or another under its name, it went after all", async () => {
    expect(await kubectlWith(timedOut, []).evictPod("shop", "web-0", "uid", false)).toEqual({
      kind: "evicted",
    });
    expect(await kubectlWith(timedOut, [pod("uid", true)]).deletePod("shop", "web-0", "uid", false)).toEqual({
      kind: "deleted",
    });
    expect(await kubectlWith(timedOut, [pod("other")]).evictPod("shop", "web-0", "uid", false)).toEqual({
      kind: "evicted",
    });
  });

  it("the pod still there, unchanged: failed, in kubectl's words", async () => {
    expect(await kubectlWith(timedOut, [pod("uid")]).evictPod("shop", "web-0", "uid", false)).toEqual({
      kind: "failed",
      reason:
        "Unable to connect to the server: net/http: request canceled (Client.Timeout exceeded while awaiting headers)",
    });
  });
});
