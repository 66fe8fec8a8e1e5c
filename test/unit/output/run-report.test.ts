/** The RunReport a webhook receives: the document's fields, and its Slack-compatible text. */
import { describe, expect, it } from "vitest";
import type { Plan, PlanContainer, PlanPod, RestartMethod } from "../../../src/core/plan.js";
import type { PodOutcome, RolloutOutcome, RolloutReport } from "../../../src/core/restart-outcomes.js";
import { renderRunReport, runReport } from "../../../src/output/run-report.js";
import { planContainer, planPod } from "../../support/plan-pods.js";

const oldDigest = `sha256:${"0e02c92c72ee".padEnd(64, "0")}`;
const newDigest = `sha256:${"c7ede51f2d83".padEnd(64, "1")}`;
const revision = "9f8e7d1c0b2a39485766554433221100ffeeddcc";
const now = Date.parse("2026-11-30T12:00:00Z");

function container(overrides: Partial<PlanContainer> = {}): PlanContainer {
  return planContainer({
    runningDigest: oldDigest,
    latestDigest: newDigest,
    latestImage: {
      created: "2026-11-30T11:48:00Z",
      revision,
      source: "https://git.example.com/shop/web",
    },
    ...overrides,
  });
}

function pod(name: string, strategy: RestartMethod, controller: { kind: string; name: string }): PlanPod {
  return planPod(name, {
    owner: controller,
    controller: { kind: "ReplicaSet", name: `${controller.name}-rs`, uid: "uid-rs" },
    containers: [container()],
    restart: { strategy, controller, reason: "" },
  });
}

const web = { kind: "Deployment", name: "web" };
const db = { kind: "StatefulSet", name: "db" };
const webPods = [pod("web-a", "rollout", web), pod("web-b", "rollout", web)];
const dbPods = [pod("db-0", "evict", db), pod("db-1", "evict", db)];
const plan: Plan = { resolver: "registry", strategy: "auto", pods: [...webPods, ...dbPods] };

function outcomes(dbOutcome: PodOutcome = { kind: "evicted" }) {
  const rollout: RolloutReport = {
    namespace: "shop",
    controller: web,
    pods: webPods,
    outcome: { kind: "rolled-out", pods: 2 },
  };
  return {
    outcomes: new Map<PlanPod, PodOutcome>([
      [webPods[0]!, { kind: "rolled" }],
      [webPods[1]!, { kind: "rolled" }],
      [dbPods[0]!, { kind: "evicted" }],
      [dbPods[1]!, dbOutcome],
    ]),
    problems: [],
    rollouts: [rollout],
  };
}

describe("the RunReport document", () => {
  it("kind and apiVersion, the RunSummary, and per controller its strategy, outcome, pods and what moved", () => {
    const report = runReport({ id: "run-1", now, dryRun: false, plan, restarted: outcomes() });
    expect(report).toMatchObject({
      apiVersion: "kubectl-autoupdate/v1",
      kind: "RunReport",
      id: "run-1",
      time: "2026-11-30T12:00:00Z",
      outcome: "succeeded",
      dryRun: false,
      summary: { kind: "RunSummary", rolledOut: 2, evicted: 2, failed: 0, dryRun: false },
    });
    expect(report).not.toHaveProperty("error");
    const image = {
      container: "app",
      image: "registry.example.com/shop/web:main",
      oldDigest,
      newDigest,
      newImage: { created: "2026-11-30T11:48:00Z", revision, source: "https://git.example.com/shop/web" },
    };
    expect(report.restarts).toEqual([
      {
        namespace: "shop",
        kind: "Deployment",
        name: "web",
        strategy: "rollout",
        outcome: "restarted",
        pods: ["web-a", "web-b"],
        images: [image],
      },
      {
        namespace: "shop",
        kind: "StatefulSet",
        name: "db",
        strategy: "evict",
        outcome: "restarted",
        pods: ["db-0", "db-1"],
        images: [image],
      },
    ]);
    // One JSON document, the same object.
    expect(JSON.parse(renderRunReport(report))).toEqual(report);
  });

  it("a failed restart: the controller's outcome and reason, the run failed with its error", () => {
    const refused = {
      kind: "not-started" as const,
      reason: "PodDisruptionBudget guard allows no disruption now",
    };
    const report = runReport({
      id: "run-2",
      now,
      dryRun: false,
      plan,
      restarted: outcomes(refused),
      error: { message: "some planned pods were not restarted", interrupted: false },
    });
    expect(report.outcome).toBe("failed");
    expect(report.error).toBe("some planned pods were not restarted");
    expect(report.restarts[1]).toMatchObject({ outcome: "failed", reason: refused.reason });
    expect(report.summary?.failed).toBe(1);
  });

  it("a run that failed before its plan: no summary, no restarts, the error", () => {
    const report = runReport({
      id: "run-3",
      now,
      dryRun: false,
      error: {
        message: "kubectl get failed: Error from server (Forbidden): pods is forbidden",
        interrupted: false,
      },
    });
    expect(report).toMatchObject({ outcome: "failed", summary: null, restarts: [] });
    expect(report.text).toBe(
      "kubectl-autoupdate apply failed: kubectl get failed: Error from server (Forbidden): pods is forbidden",
    );
  });

  it("interrupted", () => {
    const report = runReport({
      id: "run-4",
      now,
      dryRun: false,
      plan,
      restarted: outcomes(),
      error: { message: "interrupted: no further restarts were started", interrupted: true },
    });
    expect(report.outcome).toBe("interrupted");
    expect(report.text.split("\n")[0]).toBe(
      "kubectl-autoupdate apply was interrupted: interrupted: no further restarts were started",
    );
  });
});

describe("its text, for chat webhooks", () => {
  it("the counts, then a line per controller naming the move, revision and age", () => {
    const report = runReport({ id: "r", now, dryRun: false, plan, restarted: outcomes() });
    expect(report.text).toBe(
      [
        "kubectl-autoupdate apply: 2 replaced by rollout, 2 evicted (of 4 planned)",
        "• Deployment shop/web (rollout) restarted — registry.example.com/shop/web:main 0e02c92c72ee → c7ede51f2d83 (revision 9f8e7d1, built 12m ago)",
        "• StatefulSet shop/db (evict) restarted — registry.example.com/shop/web:main 0e02c92c72ee → c7ede51f2d83 (revision 9f8e7d1, built 12m ago)",
      ].join("\n"),
    );
  });

  it("a dry run says so", () => {
    const report = runReport({ id: "r", now, dryRun: true, plan, restarted: outcomes() });
    expect(report.dryRun).toBe(true);
    expect(report.text.split("\n")[0]).toBe(
      "kubectl-autoupdate apply: 2 replaced by rollout, 2 evicted (of 4 planned, server dry run)",
    );
  });

  it("&, < and > are escaped as Slack asks; a failure's reason is on its line", () => {
    const report = runReport({
      id: "r",
      now,
      dryRun: false,
      plan,
      restarted: outcomes({ kind: "failed", reason: "Error from server: <html> & more" }),
    });
    expect(report.text).toContain(
      "• StatefulSet shop/db (evict) failed: Error from server: &lt;html&gt; &amp; more — registry.example.com",
    );
    // The document itself keeps the reason as it was.
    expect(report.restarts[1]!.reason).toBe("Error from server: <html> & more");
  });

  it("at most 20 controllers are listed; the rest are counted", () => {
    const many = Array.from({ length: 23 }, (_, i) =>
      pod(`p-${i}`, "evict", { kind: "StatefulSet", name: `s${i}` }),
    );
    const outcomes = new Map<PlanPod, PodOutcome>(many.map((p) => [p, { kind: "evicted" }]));
    const report = runReport({
      id: "r",
      now,
      dryRun: false,
      plan: { resolver: "registry", pods: many },
      restarted: { outcomes, problems: [], rollouts: [] },
    });
    const lines = report.text.split("\n");
    expect(lines).toHaveLength(22);
    expect(lines.at(-1)).toBe("… and 3 more");
    expect(report.restarts).toHaveLength(23);
  });
});

describe("the text a chat shows", () => {
  /** Each Deployment's one pod rolled out, and the run's RunReport with `more` outcomes after them. */
  function rolledOut(
    names: readonly string[],
    more: [PlanPod, PodOutcome][] = [],
    { rollout = { kind: "rolled-out", pods: 1 }, error }: { rollout?: RolloutOutcome; error?: string } = {},
  ) {
    const pods = names.map((name) => pod(`${name}-7d9c8b6f5-x2x9q`, "rollout", { kind: "Deployment", name }));
    const rollouts: RolloutReport[] = pods.map((p) => ({
      namespace: "shop",
      controller: p.restart!.controller,
      pods: [p],
      outcome: rollout,
    }));
    const outcomes = new Map<PlanPod, PodOutcome>([
      ...pods.map((p): [PlanPod, PodOutcome] => [p, { kind: "rolled" }]),
      ...more,
    ]);
    return runReport({
      id: "r",
      now,
      dryRun: false,
      plan: { resolver: "registry", strategy: "auto", pods: [...pods, ...more.map(([p]) => p)] },
      restarted: { outcomes, problems: [], rollouts },
      ...(more.length > 0 || error
        ? { error: { message: error ?? "some planned pods were not restarted", interrupted: false } }
        : {}),
    });
  }

  it("names what failed first: 21 workloads rolled out do not push it past the bullets shown", () => {
    const names = Array.from({ length: 21 }, (_, i) => `web${i}`);
    const broken = pod("cache-0", "evict", { kind: "StatefulSet", name: "cache" });
    const report = rolledOut(names, [[broken, { kind: "failed", reason: "two budgets select it" }]]);
    expect(report.text.split("\n")[2]).toMatch(
      /^• StatefulSet shop\/cache \(evict\) failed: two budgets select it/,
    );
    expect(report.text).toContain("… and 2 more");
  });

  it("under --no-wait too, where every rollout is only started, what failed comes first", () => {
    const names = Array.from({ length: 21 }, (_, i) => `web${i}`);
    const broken = pod("cache-0", "delete", { kind: "StatefulSet", name: "cache" });
    const report = rolledOut(names, [[broken, { kind: "failed", reason: "forbidden" }]], {
      rollout: { kind: "started" },
    });
    expect(report.text.split("\n")[2]).toMatch(/^• StatefulSet shop\/cache \(delete\) failed: forbidden/);
  });

  it("a run error quoting a proxy's HTML page is cut, escaped within the bound, and leaves room for what failed", () => {
    const page = `<html><body>${"<p>upstream connect error &amp; reset</p>".repeat(60)}`.slice(0, 2048);
    const error = `Error from server (InternalError): an error on the server ("${page}") has prevented the request from succeeding`;
    const broken = Array.from({ length: 12 }, (_, i) =>
      pod(`cache${i}-0`, "evict", { kind: "StatefulSet", name: `cache${i}` }),
    );
    const report = rolledOut(
      [],
      broken.map((p): [PlanPod, PodOutcome] => [p, { kind: "failed", reason: "a <none> && <nil> denial" }]),
      { error },
    );
    expect(report.text.length).toBeLessThanOrEqual(4000);
    expect(report.text.split("\n").filter((line) => line.startsWith("•"))).toHaveLength(12);
  });

  it("a line cut at its length is not cut inside an emoji", () => {
    const broken = pod("cache-0", "evict", { kind: "StatefulSet", name: "cache" });
    const prefix = "• StatefulSet shop/cache (evict) failed: ";
    const reason = "x".repeat(398 - prefix.length) + "🚨".repeat(50);
    const report = rolledOut([], [[broken, { kind: "failed", reason }]]);
    const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
    expect(report.text).not.toMatch(loneSurrogate);
    // Cut where the first emoji began: before it, not inside it.
    expect(report.text).toContain("x…");
  });

  it("keeps each controller on one line: a reason quoting the cluster with line breaks makes no bullet of its own", () => {
    const broken = pod("cache-0", "evict", { kind: "StatefulSet", name: "cache" });
    for (const lineBreak of ["\n", "\r", "\r\n", "\u2028", "\u2029", "\x85", "\v", "\f"]) {
      const reason = `admission webhook denied:${lineBreak}• Deployment shop/web (rollout) restarted`;
      const report = rolledOut([], [[broken, { kind: "failed", reason }]]);
      expect(
        report.text.split(/[\n\r\u2028\u2029\x85\v\f]/).filter((line) => line.startsWith("•")),
      ).toHaveLength(1);
    }
  });

  it("stays under a chat message's 4,000 characters (Slack's; Rocket.Chat refuses more than 5,000)", () => {
    const names = Array.from(
      { length: 20 },
      (_, i) => `checkout-payments-api-gateway-${"x".repeat(150)}-${i}`,
    );
    const report = rolledOut(names);
    expect(report.text.length).toBeLessThanOrEqual(4000);
    expect(report.text).toMatch(/… and \d+ more$/);
  });
});
