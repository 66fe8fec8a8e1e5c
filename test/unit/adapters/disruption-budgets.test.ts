/**
 * The budgets apply reads itself (before a deletion, before auto's rollout): as the Eviction API reads them,
 * a budget changed since its controller last wrote its status allows nothing yet.
 */
import { describe, expect, it } from "vitest";
import type { Exec } from "../../../src/adapters/exec.js";
import { Kubectl } from "../../../src/adapters/kubectl.js";

const budget = (name: string, generation: number, observedGeneration: number | undefined) => ({
  metadata: { name, generation },
  spec: { selector: { matchLabels: { app: "web" } } },
  status: {
    disruptionsAllowed: 2,
    currentHealthy: 4,
    desiredHealthy: 2,
    ...(observedGeneration === undefined ? {} : { observedGeneration }),
  },
});

describe("listDisruptionBudgets", () => {
  it("a budget its controller has not processed since it changed allows no disruption", async () => {
    const items = [budget("seen", 3, 3), budget("tightened", 4, 3), budget("new", 1, undefined)];
    const exec: Exec = async (_file, _args, options) => {
      options?.onStdout?.(Buffer.from(JSON.stringify({ kind: "List", items })));
      return { exitCode: 0, stdout: "", stderr: "", interrupted: false };
    };
    const budgets = await new Kubectl(exec, "kubectl", {}).listDisruptionBudgets("shop");
    expect(budgets.map((b) => [b.name, b.disruptionsAllowed])).toEqual([
      ["seen", 2],
      ["tightened", 0],
      ["new", 0],
    ]);
  });
});
