/**
 * apply's question on a terminal: "n" and a Ctrl-C typed there both restart nothing, and neither is a run to
 * report: no RunReport is posted to the webhook (on loopback). apply runs in process on the in-memory
 * cluster, its plan given.
 */
import { PassThrough } from "node:stream";
import { expect, it, vi } from "vitest";
import type { ApplyOptions } from "../../../src/commands/apply.js";
import type { Context } from "../../../src/commands/context.js";
import type { Plan, PlanPod } from "../../../src/core/plan.js";
import { InterruptedError } from "../../../src/errors.js";
import { makeChalk } from "../../../src/output/color.js";
import { FakeClock } from "../../support/fake-clock.js";
import { InMemoryCluster } from "../../support/in-memory-cluster.js";
import { testIo } from "../../support/test-io.js";
import { webhookReceiver } from "../../support/webhook-receiver.js";

const given: { plan?: Plan } = {};
vi.mock("../../../src/commands/plan.js", () => ({
  showPlan: async () => ({ plan: given.plan, warnings: [], notes: [] }),
}));

const webhook = webhookReceiver();

/** A terminal on stdin and stderr; `keys` typed once the question is shown. */
function terminal(keys: string) {
  const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin });
  const stderr = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
  let shown = "";
  stderr.on("data", (chunk) => {
    shown += String(chunk);
    if (shown.includes("[y/N] ") && keys) {
      const typed = keys;
      keys = "";
      setImmediate(() => stdin.write(typed));
    }
  });
  return { stdin, stderr, shown: () => shown };
}

/** apply of two pods to evict, answered with `keys` at its question. */
async function answer(keys: string) {
  const clock = new FakeClock();
  const cluster = new InMemoryCluster(clock);
  const pods: PlanPod[] = cluster.addController({ name: "cache", replicas: 2, strategy: "evict" });
  given.plan = { resolver: "registry", strategy: "auto", pods } as Plan;
  const tty = terminal(keys);
  const controller = new AbortController();
  const io = testIo({
    stdin: tty.stdin as unknown as NodeJS.ReadStream,
    stderr: tty.stderr as unknown as NodeJS.WriteStream,
    signal: controller.signal,
    interrupt: () => controller.abort(new Error("received SIGINT")),
  });
  const ctx = {
    io,
    options: {
      yes: false,
      dryRun: false,
      wait: true,
      waitTimeoutMs: 60_000,
      output: "table",
      concurrency: 4,
      strategy: "auto",
      webhook: {
        url: webhook.url,
        timeoutMs: 5000,
        proxy: { https: null, http: null, noProxy: { all: false, addresses: [], ranges: [], domains: [] } },
      },
    } as unknown as ApplyOptions,
    clock,
    colors: { stdout: makeChalk(false), stderr: makeChalk(false) },
    debug: () => {},
    kubectl: cluster,
  } as unknown as Context<ApplyOptions>;
  const { applyCommand } = await import("../../../src/commands/apply.js");
  const error = await clock.run(applyCommand(ctx)).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  return { error, evictions: cluster.evictions(), shown: tty.shown() };
}

it('"n" restarts nothing and posts nothing: a refusal is no run', async () => {
  const refused = await answer("n\r");
  expect(refused.error?.message).toBe("nothing restarted");
  expect([refused.evictions, webhook.posts]).toEqual([[], []]);
});

it("a Ctrl-C typed there restarts nothing and posts nothing either, and is still an interrupt", async () => {
  const interrupted = await answer("\x03");
  expect(interrupted.shown).toContain("Restart 2 pods in 1 namespace? [y/N] ");
  expect(interrupted.error?.message).toBe("interrupted at the question: nothing restarted");
  expect(interrupted.error).toBeInstanceOf(InterruptedError);
  expect([interrupted.evictions, webhook.posts]).toEqual([[], []]);
});
