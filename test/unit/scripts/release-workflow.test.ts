/**
 * The release workflow's rights per job against what each job runs: the job that installs dependencies and
 * builds (their install scripts, rcodesign's crates, mmdebstrap as root) must not hold the token that writes
 * the release and the image.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

interface Step {
  name?: string;
  run?: string;
  uses?: string;
}
interface Job {
  needs?: string | string[];
  permissions?: Record<string, string>;
  steps: Step[];
}
const workflow = parse(readFileSync(".github/workflows/release.yml", "utf8")) as {
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
};

/** What runs code fetched from a registry, or as root. */
const builds = (step: Step) =>
  step.run !== undefined && /\bnpm (ci|install|run)\b|\bsudo\b|\bcargo\b/.test(step.run);
const writes = (job: Job) =>
  Object.entries(job.permissions ?? workflow.permissions)
    .filter(([, level]) => level === "write")
    .map(([scope]) => scope);

describe("the release workflow", () => {
  it("reads only, but for one job that builds nothing and writes the release and the image", () => {
    expect(workflow.permissions).toEqual({ contents: "read" });
    const writers = Object.entries(workflow.jobs).filter(([, job]) => writes(job).length > 0);
    expect(writers.map(([name, job]) => [name, writes(job)])).toEqual([
      ["publish", ["contents", "packages"]],
    ]);
    expect(writers[0]![1].steps.filter(builds)).toEqual([]);
    expect(Object.values(workflow.jobs).some((job) => job.steps.some(builds))).toBe(true);
  });

  it("checks what the build job made against its checksums before it publishes", () => {
    const publish = workflow.jobs["publish"]!;
    expect(publish.needs).toBe("build");
    const runs = publish.steps.map((step) => step.run ?? step.uses ?? "");
    const check = runs.findIndex((run) => run.includes("sha256sum -c"));
    const release = runs.findIndex((run) => run.includes("gh release create"));
    expect(check).toBeGreaterThan(-1);
    expect(check).toBeLessThan(release);
  });
});
