/** What each run of the CronJob said when it ended, from its Job's pods as the kubelet reports them. */
import { describe, expect, it } from "vitest";
import { type RunPod, runResults } from "../../../../src/cron/core/run-results.js";

type Terminated = { exitCode?: number; reason?: string; message?: string; finishedAt?: string };
const pod = (
  name: string,
  job: string,
  created: string,
  terminated?: Terminated,
  container = "kubectl-autoupdate",
) =>
  ({
    metadata: {
      name,
      creationTimestamp: created,
      ownerReferences: [
        { apiVersion: "batch/v1", kind: "Job", name: job, uid: `uid-${job}`, controller: true },
      ],
    },
    status: {
      containerStatuses: [{ name: container, state: terminated ? { terminated } : { running: {} } } as never],
    },
  }) satisfies RunPod;

describe("runResults", () => {
  it("the line apply wrote, by the Job's uid", () => {
    const results = runResults([
      pod("a-x", "a", "2026-12-02T10:00:00Z", {
        exitCode: 0,
        reason: "Completed",
        message: "Nothing to restart: …\n",
      }),
    ]);
    expect(results).toEqual(new Map([["uid-a", "Nothing to restart: …"]]));
  });

  it("the last line of the log's tail a failed run left instead (FallbackToLogsOnError)", () => {
    const message = 'NAMESPACE  POD\n{"kind":"RunSummary"}\nerror: cannot reach the registry\n\n';
    const results = runResults([
      pod("a-x", "a", "2026-12-02T10:00:00Z", { exitCode: 1, reason: "Error", message }),
    ]);
    expect(results.get("uid-a")).toBe("error: cannot reach the registry");
  });

  it("with no message, a failed run's reason and exit code; a run that ended well says nothing", () => {
    const results = runResults([
      pod("a-x", "a", "2026-12-02T10:00:00Z", { exitCode: 137, reason: "OOMKilled" }),
      pod("b-x", "b", "2026-12-02T10:00:00Z", { exitCode: 0, reason: "Completed" }),
      pod("c-x", "c", "2026-12-02T10:00:00Z"),
    ]);
    expect(results).toEqual(new Map([["uid-a", "OOMKilled (exit 137)"]]));
  });

  it("a run killed from outside says so before its log's last line, which would read as going well", () => {
    const results = runResults([
      pod("a-x", "a", "2026-12-02T10:00:00Z", {
        exitCode: 137,
        reason: "OOMKilled",
        message: "Listing pods (149000 so far)\n",
      }),
      pod("b-x", "b", "2026-12-02T10:00:00Z", {
        exitCode: 143,
        reason: "Error",
        message: "pod shop/web-a evicted\n",
      }),
    ]);
    expect(results).toEqual(
      new Map([
        ["uid-a", "OOMKilled (exit 137): Listing pods (149000 so far)"],
        ["uid-b", "Error (exit 143): pod shop/web-a evicted"],
      ]),
    );
  });

  it("pods made in the same second: the one that ended last", () => {
    const at = "2026-12-02T10:00:00Z";
    const early = pod("a-1", "a", at, {
      exitCode: 1,
      message: "error: early",
      finishedAt: "2026-12-02T10:00:05Z",
    });
    const late = pod("a-2", "a", at, {
      exitCode: 1,
      message: "error: late",
      finishedAt: "2026-12-02T10:00:09Z",
    });
    expect(runResults([late, early]).get("uid-a")).toBe("error: late");
    expect(runResults([early, late]).get("uid-a")).toBe("error: late");
  });

  it("a Job's newest pod that ended speaks for it, in whatever order the pods are listed", () => {
    const first = pod("a-1", "a", "2026-12-02T10:00:00Z", { exitCode: 1, message: "error: first try" });
    const second = pod("a-2", "a", "2026-12-02T10:00:30Z", { exitCode: 1, message: "error: second try" });
    const running = pod("a-3", "a", "2026-12-02T10:01:00Z");
    expect(runResults([first, second, running]).get("uid-a")).toBe("error: second try");
    expect(runResults([running, second, first]).get("uid-a")).toBe("error: second try");
  });

  it("only the tool's container, only pods a Job controls", () => {
    const sidecar = pod(
      "a-x",
      "a",
      "2026-12-02T10:00:00Z",
      { exitCode: 1, message: "proxy exited" },
      "istio-proxy",
    );
    const orphan = pod("o-x", "o", "2026-12-02T10:00:00Z", { exitCode: 1, message: "error: x" });
    orphan.metadata.ownerReferences[0]!.kind = "ReplicaSet";
    expect(runResults([sidecar, orphan])).toEqual(new Map());
  });
});
