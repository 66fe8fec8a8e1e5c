/** apply's one-line result, which the CronJob's pod keeps as its termination message. */
import { describe, expect, it } from "vitest";
import type { Plan, PlanContainer, PlanPod } from "../../../src/core/plan.js";
import type { PodOutcome } from "../../../src/core/restart-outcomes.js";
import type { RestartOutcomes } from "../../../src/output/restart-report.js";
import { runResultLine } from "../../../src/output/run-result.js";
import { planContainer, planPod } from "../../support/plan-pods.js";

const pod = (name: string, action: PlanPod["action"], status: PlanContainer["status"] = "current"): PlanPod =>
  planPod(name, {
    action,
    containers: [planContainer({ status })],
    ...(action === "delete"
      ? { restart: { strategy: "evict", controller: { kind: "Deployment", name: "web" }, reason: "" } }
      : {}),
  });
const stale = [pod("web-a", "delete", "stale"), pod("web-b", "delete", "stale")];
const plan: Plan = {
  resolver: "registry",
  pods: [...stale, pod("api-a", "none"), pod("db-a", "none", "unknown")],
};
const outcomes = (...kinds: PodOutcome["kind"][]): RestartOutcomes => ({
  outcomes: new Map(stale.map((p, i) => [p, { kind: kinds[i] } as PodOutcome])),
  problems: [],
  rollouts: [],
});
const checked = "2 stale (2 to restart in 1 namespace, 0 skipped), 1 unknown, 1 current (4 pods checked)";

describe("runResultLine", () => {
  it("nothing to restart: what was checked", () => {
    const current = { resolver: "registry", pods: [pod("api-a", "none")] } satisfies Plan;
    expect(runResultLine({ plan: current }, false)).toBe(
      "Nothing to restart: 0 stale, 0 unknown, 1 current (1 pod checked)",
    );
  });

  it("restarts: what became of them, then what was checked", () => {
    expect(runResultLine({ plan, restarted: outcomes("evicted", "evicted") }, false)).toBe(
      `2 evicted (of 2 planned); ${checked}`,
    );
    expect(runResultLine({ plan, restarted: outcomes("evicted", "evicted") }, true)).toBe(
      `2 evicted (of 2 planned, server dry run); ${checked}`,
    );
  });

  it("a failed restart: its count says it, not the error pointing at the lines above", () => {
    const line = runResultLine(
      { plan, restarted: { ...outcomes("evicted", "failed") } },
      false,
      "some planned pods were not restarted; see above",
    );
    expect(line).toBe(`1 evicted, 1 failed (of 2 planned); ${checked}`);
  });

  it("an interruption after restarts began follows their count", () => {
    const line = runResultLine(
      { plan, restarted: outcomes("evicted", "not-started") },
      false,
      "interrupted: no further restarts were started",
    );
    expect(line).toBe(
      `1 evicted, 1 not started (of 2 planned); ${checked}; error: interrupted: no further restarts were started`,
    );
  });

  it("an error before any restart: what the plan had found, then the error", () => {
    expect(runResultLine({ plan }, false, "refusing to restart 2 pods without confirmation")).toBe(
      `${checked}; error: refusing to restart 2 pods without confirmation`,
    );
    expect(runResultLine({}, false, "cannot reach the API server")).toBe(
      "error: cannot reach the API server",
    );
    // Only restarts' lines can be "above": without them such an error is said.
    expect(runResultLine({ plan }, false, "something failed; see above")).toBe(
      `${checked}; error: something failed; see above`,
    );
  });

  it("a long error is cut, so that the kubelet's last 4 KiB still hold the counts", () => {
    const line = runResultLine({ plan, restarted: outcomes("evicted", "evicted") }, false, "x".repeat(5000));
    expect(line.startsWith(`2 evicted (of 2 planned); ${checked}; error: xxx`)).toBe(true);
    expect(line.endsWith("x…")).toBe(true);
    expect(line.length).toBeLessThan(1200);
  });

  it("a run that gave way says so, and nothing else", () => {
    expect(runResultLine({ gaveWay: "gave way: job j-1 is still running" }, false)).toBe(
      "gave way: job j-1 is still running",
    );
  });
});
