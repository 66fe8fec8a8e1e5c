/**
 * install-cron checks `-l` before it writes the selector into the CronJob, where a bad one would fail every
 * run; a good one refused would keep a user from installing at all. So its check must agree with the parser
 * the job's list meets: the real API server's, which answers 400 to a labelSelector it cannot parse.
 * Selectors are made from pieces chosen for the parser's corners, by a seeded generator (the same every run).
 */
import { describe, expect, it } from "vitest";
import { checkSelector } from "../../../src/cron/core/selector.js";
import { KubeClient, KubeError } from "../../simulator/kube-client.js";
import { testbed } from "../../support/e2e.js";

const pieces = [
  "a",
  "b1",
  "app.kubernetes.io/name",
  "A",
  "-a",
  "a-",
  "x/y/z",
  "Ex.com/a",
  "ex.com/",
  "/a",
  "a_b",
  "a.b",
  "=",
  "==",
  "!=",
  "in",
  "notin",
  "!",
  ">",
  "<",
  "(",
  ")",
  ",",
  " ",
  "\t",
  "\r",
  "\n",
  "\u00a0",
  "\f",
  "5",
  "-5",
  "007",
  "+5",
  "1.5",
  "9223372036854775807",
  "9223372036854775808",
  "0".repeat(62),
  "x".repeat(64),
  "é",
  "*",
];

/** `count` distinct selectors of 1–7 pieces, from a linear congruential generator with a fixed seed. */
function selectors(count: number): string[] {
  let seed = 42;
  const below = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return seed % n;
  };
  const made = new Set<string>();
  while (made.size < count) {
    let text = "";
    for (let i = 1 + below(7); i > 0; i--) text += pieces[below(pieces.length)];
    // The API server reads an empty selector as "every pod"; install-cron refuses it on purpose.
    if (text.trim() !== "") made.add(text);
  }
  return [...made];
}

/** Whether the API server parses it: a list with it as labelSelector answers 200, or 400 if it cannot. */
async function serverTakes(api: KubeClient, selector: string): Promise<boolean> {
  try {
    await api.get("/api/v1/namespaces/default/pods", { query: { labelSelector: selector, limit: 1 } });
    return true;
  } catch (error) {
    if (error instanceof KubeError && error.status === 400) return false;
    throw error;
  }
}

describe("install-cron's selector check", () => {
  it("takes and refuses exactly the selectors the API server does (4,000 generated)", async () => {
    const api = KubeClient.fromKubeconfig(testbed().kubeconfig);
    const all = selectors(4000);
    const verdicts: boolean[] = new Array(all.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < all.length; i = next++) verdicts[i] = await serverTakes(api, all[i]!);
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    api.close();
    const disagreements = all
      .map((selector, i) => ({ selector, server: verdicts[i], ours: checkSelector(selector).ok }))
      .filter((d) => d.server !== d.ours);
    expect(disagreements).toEqual([]);
    // The sample holds both kinds, so agreement is no accident of one answer.
    const taken = verdicts.filter(Boolean).length;
    expect(taken).toBeGreaterThan(200);
    expect(all.length - taken).toBeGreaterThan(200);
  });
});
