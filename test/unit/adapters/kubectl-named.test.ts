/**
 * Objects read by name: kubectl sends one request per name, ten at once and then five a second (client-go's
 * default limit), so names go ten a call, a few calls at once, and a thousand nodes cost seconds, not minutes.
 */
import { expect, it } from "vitest";
import type { Exec } from "../../../src/adapters/exec.js";
import { Kubectl } from "../../../src/adapters/kubectl.js";

it("reads 95 nodes in ten calls of at most ten names, at most four at once, every node found", async () => {
  const calls: string[][] = [];
  let running = 0;
  let most = 0;
  const exec = (async (_file: string, args: readonly string[]) => {
    running++;
    most = Math.max(most, running);
    await new Promise((resolve) => setTimeout(resolve, 5));
    running--;
    const from = args.indexOf("nodes") + 1;
    const names = args.slice(
      from,
      args.findIndex((a, i) => i >= from && a.startsWith("-")),
    );
    calls.push(names);
    const items = names.map((name) => ({ kind: "Node", metadata: { name } }));
    return { exitCode: 0, stdout: JSON.stringify({ kind: "List", items }), stderr: "", interrupted: false };
  }) as Exec;
  const names = Array.from({ length: 95 }, (_, i) => `node-${i}`);
  const nodes = await new Kubectl(exec, "kubectl", {}).getNodes(names);
  expect(nodes.map((n) => n.metadata.name).sort()).toEqual([...names].sort());
  expect(calls).toHaveLength(10);
  expect(Math.max(...calls.map((c) => c.length))).toBe(10);
  expect(most).toBe(4);
});

it("a call that fails starts no more, and fails the read once those running have ended", async () => {
  let started = 0;
  let running = 0;
  const exec = (async () => {
    const call = ++started;
    running++;
    await new Promise((resolve) => setTimeout(resolve, 5));
    running--;
    if (call === 1)
      return { exitCode: 1, stdout: "", stderr: "Error from server: boom\n", interrupted: false };
    return {
      exitCode: 0,
      stdout: JSON.stringify({ kind: "List", items: [] }),
      stderr: "",
      interrupted: false,
    };
  }) as Exec;
  const names = Array.from({ length: 95 }, (_, i) => `node-${i}`);
  await expect(new Kubectl(exec, "kubectl", {}).getNamed("secrets", "shop", names)).rejects.toThrow(/boom/);
  expect(running).toBe(0);
  // The four started at once; none after the first failed.
  expect(started).toBe(4);
});
