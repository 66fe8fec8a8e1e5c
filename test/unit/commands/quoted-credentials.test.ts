/**
 * A URL with a password pasted into the wrong flag (--context, meant for --server) that kubectl quotes back
 * in its refusal: the run's one-line error and its result line leave it out.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { runMain } from "../../support/cli.js";
import { FakeCluster, fakeKubectl } from "../../support/fake-kubectl.js";

const saved = { ...process.env };
// Restored key by key: a plain object put in process.env's place no longer reaches the real environment.
afterEach(() => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
});

it("apply --context with a URL pasted into it does not repeat it, on stderr nor in the result", async () => {
  const pasted = "https://admin:s3cr3t@k8s.example.com:6443";
  const cluster = new FakeCluster();
  // kubectl 1.35's words for a context not in the kubeconfig.
  cluster.on(["config", "view"], { stderr: `error: cannot locate context ${pasted}\n`, exitCode: 1 });
  cluster.on(["get"], { stderr: `error: context "${pasted}" does not exist\n`, exitCode: 1 });
  cluster.use();
  const dir = mkdtempSync(join(tmpdir(), "kau-unit-quoted-"));
  const resultFile = join(dir, "result");
  const { code, stderr } = await runMain(["apply", "--yes", "--context", pasted], {
    env: { KUBECTL: fakeKubectl, HOME: dir, KUBECTL_AUTOUPDATE_RESULT_FILE: resultFile },
  });
  const result = readFileSync(resultFile, "utf8");
  rmSync(dir, { recursive: true, force: true });
  expect(code).toBe(1);
  expect(stderr).toContain("context (not shown: it may hold credentials) is not in kubeconfig");
  expect({ stderr, result }).toEqual({
    stderr: expect.not.stringContaining("s3cr3t"),
    result: expect.not.stringContaining("s3cr3t"),
  });
});
