/** Completion runs main() on the words being typed: what they ask of a real run is not done for them. */
import { describe, expect, it } from "vitest";
import { runMain } from "../../support/cli.js";

describe("__complete", () => {
  it("a -v among the typed words prints nothing on stderr (the run's own peak RSS is for real runs)", async () => {
    const result = await runMain(["__complete", "plan", "-v", "--concurrency", ""]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^:\d+\n/m);
    expect(result.stderr).toBe("");
  });

  it("a real run with -v reports its own peak RSS and CPU time on stderr", async () => {
    const result = await runMain(["plan", "-v", "--help"]);
    expect(result.stderr).toMatch(/^peak RSS \d+ MB, CPU \d+\.\d\d s$/m);
  });
});

describe("__complete -n when the namespaces cannot be looked up", () => {
  // Nothing, and no file names (4), as kubectl's own -n answers: cobra's scripts answer an error (1) with the
  // directory's files.
  it.each([
    ["a kubectl that is not there", ["--kubectl", "/nonexistent/kubectl"]],
    ["a kuberc that is not there", ["--kuberc", "/nonexistent/kuberc"]],
    ["a --request-timeout the run refuses", ["--request-timeout", "5sec"]],
  ])("%s: no candidates and no file names", async (_, flags) => {
    const result = await runMain(["__complete", "plan", ...flags, "-n", ""]);
    expect(result.stdout).toBe(":4\n");
    expect(result.stderr).toBe("");
  });
});
